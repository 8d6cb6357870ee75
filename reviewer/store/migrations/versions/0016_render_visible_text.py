"""the render check keeps each page's visible text (render_pages.visible), so a re-scan under new rules reads what the
pages show (OCR text too), not only the extraction

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('render_pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visible', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('render_pages', schema=None) as batch_op:
        batch_op.drop_column('visible')
