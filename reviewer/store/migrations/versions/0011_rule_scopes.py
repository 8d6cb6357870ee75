"""rule scopes: rule_scopes table; fingerprint_sets.scope (registered documents belong to the registering unit)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rule_scopes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('rule_dirs', sa.Text(), nullable=False),
        sa.Column('units', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    with op.batch_alter_table('fingerprint_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=120), nullable=True))
    # Registrations made before scopes: they belong to the unit of the account that registered them (the web form
    # records the username); those registered from the command line keep applying to every unit (scope NULL).
    op.execute(
        "UPDATE fingerprint_sets SET scope = (SELECT 'unit:' || units.code FROM users JOIN units ON users.unit_id = units.id "
        "WHERE users.username = fingerprint_sets.created_by) "
        "WHERE EXISTS (SELECT 1 FROM users WHERE users.username = fingerprint_sets.created_by)"
    )


def downgrade() -> None:
    with op.batch_alter_table('fingerprint_sets', schema=None) as batch_op:
        batch_op.drop_column('scope')
    op.drop_table('rule_scopes')
