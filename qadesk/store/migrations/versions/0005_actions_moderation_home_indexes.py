"""indexes for the Actions, Moderation and Home screens

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 23:40:00

Each index answers one of the screens' queries (qadesk.services.queries and
overview) from an index instead of reading every open action or moderation;
checked with EXPLAIN QUERY PLAN on the 100,000-audit benchmark store
(docs/benchmarks.md, "Start-up"):

- actions (owner, status, due): "my actions" on Home; 50 ms -> under 1 ms.
- actions (audit_id, status): actions of a set of audits (the auditor's, a
  team's); replaces the index on audit_id alone, which it covers.
- moderations (at): past moderations, newest first; 120 ms -> 3 ms.
- audits (auditor_name, status, updated_at): the auditor's drafts and their
  count on Home; replaces the index on auditor_name alone, which it covers.
- audits (status, completed_at, overall_grade): grades by month on Home (read
  from the index alone) and the Moderation screen's oldest completed first.
"""

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index('ix_actions_audit_id')
        batch_op.create_index('ix_actions_audit_status', ['audit_id', 'status'], unique=False)
        batch_op.create_index('ix_actions_owner_status_due', ['owner', 'status', 'due'], unique=False)
    with op.batch_alter_table('moderations', schema=None) as batch_op:
        batch_op.create_index('ix_moderations_at', ['at'], unique=False)
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.drop_index('ix_audits_auditor')
        batch_op.create_index('ix_audits_auditor_status_updated', ['auditor_name', 'status', 'updated_at'],
                              unique=False)
        batch_op.create_index('ix_audits_status_completed_grade', ['status', 'completed_at', 'overall_grade'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.drop_index('ix_audits_status_completed_grade')
        batch_op.drop_index('ix_audits_auditor_status_updated')
        batch_op.create_index('ix_audits_auditor', ['auditor_name'], unique=False)
    with op.batch_alter_table('moderations', schema=None) as batch_op:
        batch_op.drop_index('ix_moderations_at')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index('ix_actions_owner_status_due')
        batch_op.drop_index('ix_actions_audit_status')
        batch_op.create_index('ix_actions_audit_id', ['audit_id'], unique=False)
