"""accounts and hardening: CMS author ids mapped to accounts, login throttling, token expiry, session idle timeout,
scan leases

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cms_accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('cms_id', sa.String(length=200), nullable=False),
        sa.Column('cms_key', sa.String(length=200), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('unit_id', 'cms_key', name='uq_cms_account'),
    )
    with op.batch_alter_table('cms_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cms_accounts_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unknown_author', sa.String(length=16), server_default='officer', nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_id', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('scan_lease_until', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('scan_lease_until')
        batch_op.drop_column('author_id')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('unknown_author')
    with op.batch_alter_table('cms_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cms_accounts_user_id'))
    op.drop_table('cms_accounts')
