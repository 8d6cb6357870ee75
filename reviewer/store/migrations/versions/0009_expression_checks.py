"""findings.suggestion (规范表述 of an expression finding); units.expression_checks (the built-in expression pack on/off)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suggestion', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expression_checks', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('expression_checks')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_column('suggestion')
