"""trust: document hash over body + metadata, signed audit checkpoints, publisher severity counts opt-in

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _document_sha256(content_sha256: str, title: str, channel: str, file_name: str) -> str:
    # Frozen copy of reviewer.audit.binding.document_sha256 (a migration must not change when the code does).
    body = {"v": 1, "content_sha256": content_sha256, "title": title or "", "channel": channel or "", "file_name": file_name or ""}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('publisher_counts', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_sha256', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_items_document_sha256'), ['document_sha256'], unique=False)
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_sha256', sa.String(length=64), nullable=True))
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('line', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('seq')
    )
    conn = op.get_bind()
    items = sa.table('items', sa.column('id', sa.Integer), sa.column('content_sha256', sa.String), sa.column('title', sa.String),
                     sa.column('channel', sa.String), sa.column('file_name', sa.String), sa.column('document_sha256', sa.String))
    rows = conn.execute(sa.select(items.c.id, items.c.content_sha256, items.c.title, items.c.channel, items.c.file_name)).all()
    for row in rows:
        conn.execute(items.update().where(items.c.id == row.id).values(
            document_sha256=_document_sha256(row.content_sha256, row.title, row.channel, row.file_name)))


def downgrade() -> None:
    op.drop_table('audit_checkpoints')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_column('document_sha256')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_items_document_sha256'))
        batch_op.drop_column('document_sha256')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('publisher_counts')
