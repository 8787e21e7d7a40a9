"""calibration exercises: one audit copied without what identifies it, graded blind by several auditors

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 16:00:00

A QA lead picks a completed audit; ``calibration_exercises`` keeps an anonymised copy of it (no case
reference, practitioner, team, auditor, dates of birth, grades, rationale or moderations; names in free
text masked), the auditor's own grades beside it in the store that made it (``original``), and, once the
panel has met, the agreed grades and the notes of the discussion. ``calibration_ratings`` holds each
rater's blind grades, one row per rater (``rater_key``: the name without case or spacing). A copy
imported from a calibration pack on a rater's laptop has no ``audit_id`` and no ``original``.
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'calibration_exercises',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('reference', sa.String(length=40), nullable=False),
        sa.Column('template_pk', sa.Integer(), nullable=False),
        sa.Column('audit_id', sa.String(length=36), nullable=True),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('original', sa.Text(), nullable=True),
        sa.Column('owner_name', sa.String(length=200), nullable=False),
        sa.Column('origin', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('agreed_overall', sa.String(length=64), nullable=True),
        sa.Column('agreed_sections', sa.Text(), nullable=True),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('agreed_by', sa.String(length=200), nullable=True),
        sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['template_pk'], ['template_versions.pk']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_calibration_exercises_audit_id', 'calibration_exercises', ['audit_id'], unique=False)
    op.create_table(
        'calibration_ratings',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('exercise_id', sa.String(length=36), nullable=False),
        sa.Column('rater_name', sa.String(length=200), nullable=False),
        sa.Column('rater_key', sa.String(length=200), nullable=False),
        sa.Column('rater_role', sa.String(length=200), nullable=True),
        sa.Column('organisation', sa.String(length=200), nullable=True),
        sa.Column('overall', sa.String(length=64), nullable=True),
        sa.Column('sections', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('pack_id', sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(['exercise_id'], ['calibration_exercises.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('exercise_id', 'rater_key', name='uq_calibration_rater'),
    )
    op.create_index('ix_calibration_ratings_exercise_id', 'calibration_ratings', ['exercise_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_calibration_ratings_exercise_id', table_name='calibration_ratings')
    op.drop_table('calibration_ratings')
    op.drop_index('ix_calibration_exercises_audit_id', table_name='calibration_exercises')
    op.drop_table('calibration_exercises')
