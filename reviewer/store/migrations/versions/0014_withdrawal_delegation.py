"""sign-off withdrawal (reviews.withdrawn_at/withdrawn_reason) and delegations set by the secrecy officer

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('reviews', sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('reviews', sa.Column('withdrawn_reason', sa.Text(), nullable=False, server_default=''))
    op.create_table(
        'delegations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('absent_id', sa.Integer(), nullable=False),
        sa.Column('delegate_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.ForeignKeyConstraint(['absent_id'], ['users.id']),
        sa.ForeignKeyConstraint(['delegate_id'], ['users.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_delegations_delegate_id', 'delegations', ['delegate_id'])


def downgrade() -> None:
    op.drop_index('ix_delegations_delegate_id', table_name='delegations')
    op.drop_table('delegations')
    op.drop_column('reviews', 'withdrawn_reason')
    op.drop_column('reviews', 'withdrawn_at')
