"""render check: findings.page/box, render_checks, render_pages

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('box', sa.String(length=64), nullable=True))
    op.create_table('render_checks',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('page_hashes', sa.Text(), nullable=False),
    sa.Column('pages_sha256', sa.String(length=64), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], ),
    sa.PrimaryKeyConstraint('item_id')
    )
    op.create_table('render_pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.Column('ocr', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'page', name='uq_render_page')
    )
    with op.batch_alter_table('render_pages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_render_pages_item_id'), ['item_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('render_pages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_render_pages_item_id'))
    op.drop_table('render_pages')
    op.drop_table('render_checks')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_column('box')
        batch_op.drop_column('page')
