"""conflicts to resolve, and the sync bases of a laptop that syncs with a team server

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 19:30:00

``conflicts``: one row per field of an audit that two copies changed differently, found by a sync or a
pack import, with the base, this store's and the other copy's values, until a person resolves it (and
then how, by whom, when). ``sync_bases``: on a laptop, each checked-out audit's document as the laptop
and the server last agreed it, with both revisions and both history heads then.
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'conflicts',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('audit_id', sa.String(length=36), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('source_ref', sa.String(length=200), nullable=True),
        sa.Column('path', sa.String(length=200), nullable=False),
        sa.Column('base', sa.Text(), nullable=True),
        sa.Column('mine', sa.Text(), nullable=True),
        sa.Column('theirs', sa.Text(), nullable=True),
        sa.Column('theirs_revision', sa.Integer(), nullable=True),
        sa.Column('theirs_by', sa.String(length=200), nullable=True),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolved_by', sa.String(length=200), nullable=True),
        sa.Column('resolution', sa.String(length=16), nullable=True),
        sa.Column('resolved_value', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_conflicts_audit_open', 'conflicts', ['audit_id', 'resolved_at'])
    op.create_table(
        'sync_bases',
        sa.Column('audit_id', sa.String(length=36), nullable=False),
        sa.Column('server_revision', sa.Integer(), nullable=False),
        sa.Column('local_revision', sa.Integer(), nullable=False),
        sa.Column('server_seq', sa.Integer(), nullable=False),
        sa.Column('local_seq', sa.Integer(), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('audit_id'),
    )


def downgrade() -> None:
    op.drop_table('sync_bases')
    op.drop_index('ix_conflicts_audit_open', table_name='conflicts')
    op.drop_table('conflicts')
