"""audit list indexes: sort by any column and search without reading the wide audit rows

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 23:00:00

Each list sort is ``ORDER BY column, reference LIMIT n``: an index on
(column, reference) lets SQLite walk it and stop after one screen instead of
sorting 100,000 rows.  ``ix_audits_search`` covers the searched columns, so a
search count scans a small index rather than the table (whose rows carry the
summaries).  Measured by tests/benchmarks (docs/benchmarks.md).
"""

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_audits_status_ref': ['status', 'reference'],
    'ix_audits_case_type_ref': ['case_type', 'reference'],
    'ix_audits_team_ref': ['team', 'reference'],
    'ix_audits_completed_ref': ['completed_at', 'reference'],
    'ix_audits_grade_ref': ['overall_grade', 'reference'],
    'ix_audits_updated_ref': ['updated_at', 'reference'],
    'ix_audits_search': ['reference', 'case_ref', 'practitioner'],
}


def upgrade() -> None:
    with op.batch_alter_table('audits', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audits', schema=None) as batch_op:
        for name in reversed(list(INDEXES)):
            batch_op.drop_index(name)
