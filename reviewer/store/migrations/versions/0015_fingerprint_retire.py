"""registered documents can be retired (停用): fingerprint_sets.retired_at, retired_by

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fingerprint_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('retired_by', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fingerprint_sets', schema=None) as batch_op:
        batch_op.drop_column('retired_by')
        batch_op.drop_column('retired_at')
