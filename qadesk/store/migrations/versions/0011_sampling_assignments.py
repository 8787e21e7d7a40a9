"""samples drawn for a programme, and audits assigned to auditors with a due date

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00

``programme_samples`` keeps each confirmed sample whole: its seed, its options
(filters, strata, exclusions), every chosen case with the reason it was chosen,
the counts per team and stratum, the fingerprint of the case list it was drawn
from, and the allocation (the auditors offered and each case's auditor), so a
QA lead can show an inspector how the month's cases were picked and draw the
same sample again.

``assignments``: one row per audit created from a sample (or assigned later):
who it is assigned to, by whom and when, its due date, its programme and the
case's team; Home lists a person's assignments by due date from its index.
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'programme_samples',
        sa.Column('pk', sa.Integer(), nullable=False),
        sa.Column('programme_pk', sa.Integer(), nullable=False),
        sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('drawn_by', sa.String(length=200), nullable=False),
        sa.Column('seed', sa.BigInteger(), nullable=False),
        sa.Column('options', sa.Text(), nullable=False),
        sa.Column('record', sa.Text(), nullable=False),
        sa.Column('allocation', sa.Text(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('chosen', sa.Integer(), nullable=False),
        sa.Column('created', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['programme_pk'], ['programmes.pk'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('pk'),
    )
    with op.batch_alter_table('programme_samples', schema=None) as batch_op:
        batch_op.create_index('ix_programme_samples_programme_pk', ['programme_pk'], unique=False)
    op.create_table(
        'assignments',
        sa.Column('audit_id', sa.String(length=36), nullable=False),
        sa.Column('programme_pk', sa.Integer(), nullable=False),
        sa.Column('sample_pk', sa.Integer(), nullable=True),
        sa.Column('team', sa.String(length=200), nullable=True),
        sa.Column('auditor_name', sa.String(length=200), nullable=False),
        sa.Column('auditor_role', sa.String(length=200), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('assigned_by', sa.String(length=200), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('revision_assigned', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['programme_pk'], ['programmes.pk'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sample_pk'], ['programme_samples.pk'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('audit_id'),
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_auditor_due', ['auditor_name', 'due_on'], unique=False)
        batch_op.create_index('ix_assignments_programme', ['programme_pk', 'team'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_programme')
        batch_op.drop_index('ix_assignments_auditor_due')
    op.drop_table('assignments')
    with op.batch_alter_table('programme_samples', schema=None) as batch_op:
        batch_op.drop_index('ix_programme_samples_programme_pk')
    op.drop_table('programme_samples')
