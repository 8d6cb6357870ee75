"""website monitor (巡检): sites, runs, results; alerts may come from a monitor result (no item for unsigned pages)

Revision ID: 0008
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'monitor_sites',
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('urls', sa.Text(), nullable=False),
        sa.Column('every_seconds', sa.Integer(), nullable=True),
        sa.Column('max_pages', sa.Integer(), nullable=False),
        sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('unit_id'),
    )
    op.create_table(
        'monitor_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('trigger', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('urls', sa.Text(), nullable=False),
        sa.Column('rules_version', sa.String(length=64), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('attachments', sa.Integer(), nullable=False),
        sa.Column('signed', sa.Integer(), nullable=False),
        sa.Column('changed', sa.Integer(), nullable=False),
        sa.Column('unsigned', sa.Integer(), nullable=False),
        sa.Column('unreadable', sa.Integer(), nullable=False),
        sa.Column('problems', sa.Integer(), nullable=False),
        sa.Column('external', sa.Text(), nullable=False),
        sa.Column('not_checked', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_monitor_runs_unit_id', 'monitor_runs', ['unit_id'])
    op.create_table(
        'monitor_results',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), sa.ForeignKey('monitor_runs.id'), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('verdict', sa.String(length=16), nullable=False),
        sa.Column('item_id', sa.Integer(), sa.ForeignKey('items.id'), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('findings', sa.Text(), nullable=False),
        sa.Column('differences', sa.Text(), nullable=False),
        sa.Column('live_text', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('handled_by', sa.String(length=200), nullable=True),
        sa.Column('handled_reason', sa.Text(), nullable=True),
        sa.Column('opened_item_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('run_id', 'seq', name='uq_monitor_result_seq'),
    )
    op.create_index('ix_monitor_results_run_id', 'monitor_results', ['run_id'])
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.alter_column('item_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('monitor_result_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('monitor_result_id')
    op.drop_index('ix_monitor_results_run_id', table_name='monitor_results')
    op.drop_table('monitor_results')
    op.drop_index('ix_monitor_runs_unit_id', table_name='monitor_runs')
    op.drop_table('monitor_runs')
    op.drop_table('monitor_sites')
