"""case lists: a case's worker, other columns, source and import dates; saved column mappings; indicators

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:00:00

A case list imported from the case management system (CSV or Excel) keeps each case's allocated worker,
the list's other columns (``fields``, JSON), the list it came in (``source``), whether the latest import
of that list still had it (``listed``) and when it was first and last imported. A column mapping chosen
once for a source is kept by name (``case_list_mappings``). The performance data is one figure per
indicator, team and month (``indicators``). Cases already in the store (typed in with an audit, or the
demo's) count as listed.
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('worker', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('fields', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('listed', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('first_imported_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('imported_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_cases_listed_team', ['listed', 'team', 'reference'], unique=False)
        batch_op.create_index('ix_cases_source', ['source'], unique=False)
    op.create_table(
        'case_list_mappings',
        sa.Column('pk', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('columns', sa.Text(), nullable=False),
        sa.Column('headers', sa.Text(), nullable=True),
        sa.Column('case_type', sa.String(length=8), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('pk'),
        sa.UniqueConstraint('name'),
    )
    op.create_table(
        'indicators',
        sa.Column('pk', sa.Integer(), nullable=False),
        sa.Column('indicator', sa.String(length=200), nullable=False),
        sa.Column('team', sa.String(length=200), nullable=False),
        sa.Column('period', sa.Date(), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('target', sa.Float(), nullable=True),
        sa.Column('unit', sa.String(length=20), nullable=True),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('pk'),
        sa.UniqueConstraint('indicator', 'team', 'period', name='uq_indicator_team_period'),
    )
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.create_index('ix_indicators_team_period', ['team', 'period'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_index('ix_indicators_team_period')
    op.drop_table('indicators')
    op.drop_table('case_list_mappings')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_source')
        batch_op.drop_index('ix_cases_listed_team')
        batch_op.drop_column('imported_at')
        batch_op.drop_column('first_imported_at')
        batch_op.drop_column('listed')
        batch_op.drop_column('source')
        batch_op.drop_column('fields')
        batch_op.drop_column('worker')
