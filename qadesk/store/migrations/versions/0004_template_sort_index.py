"""sort the audits list by template through an index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 23:05:00

The list sorts by template as ``ORDER BY template_pk, reference``; an index on
both lets SQLite stop after one screen.  It replaces the index on template_pk
alone, which it covers.
"""

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.drop_index('ix_audits_template')
        batch_op.create_index('ix_audits_template_ref', ['template_pk', 'reference'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.drop_index('ix_audits_template_ref')
        batch_op.create_index('ix_audits_template', ['template_pk'], unique=False)
