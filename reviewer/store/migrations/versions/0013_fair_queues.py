"""fair queues: queue_turns (the unit each queue lane served last); render_checks.lease_until (a render task's claim)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'queue_turns',
        sa.Column('lane', sa.String(length=32), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('served', sa.BigInteger(), nullable=False),
        sa.Column('served_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.PrimaryKeyConstraint('lane', 'unit_id'),
    )
    with op.batch_alter_table('render_checks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('render_checks', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
    op.drop_table('queue_turns')
