"""render_pages.label: the page of an archive member, as locations name it

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('render_pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('render_pages', schema=None) as batch_op:
        batch_op.drop_column('label')
