"""blind second marking: the moderator's own judgements, per section and overall, and the dialogue after

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 15:00:00

A blind moderation is recorded in two steps. First the moderator, who has read the evidence with the
auditor's judgements hidden, records their own grade per section and overall: a ``blind_judgements``
row, one per audit and moderator until the moderation is concluded. Only then are the auditor's
judgements shown beside theirs; the moderator agrees or gives the moderated grade with a rationale,
and the moderation row keeps their own overall grade (``own_grade``, ``own_at``: when it was recorded),
``blind`` (whether the auditor's grades were hidden until then), the learning points for the auditor,
and one ``moderation_sections`` row per section judged (their grade and the auditor's beside it).
``moderation_notes`` is the short dialogue that follows: the moderator's notes and the auditor's
responses, each entry also in the history.
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('moderations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blind', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('own_grade', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('own_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('learning_points', sa.Text(), nullable=True))
    op.create_table(
        'moderation_sections',
        sa.Column('moderation_id', sa.String(length=36), nullable=False),
        sa.Column('section_id', sa.String(length=64), nullable=False),
        sa.Column('own_grade', sa.String(length=64), nullable=True),
        sa.Column('auditor_grade', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['moderation_id'], ['moderations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('moderation_id', 'section_id'),
    )
    op.create_table(
        'blind_judgements',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('audit_id', sa.String(length=36), nullable=False),
        sa.Column('moderator_name', sa.String(length=200), nullable=False),
        sa.Column('moderator_organisation', sa.String(length=200), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('own_grade', sa.String(length=64), nullable=True),
        sa.Column('sections', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_blind_judgements_audit_id', 'blind_judgements', ['audit_id'], unique=False)
    op.create_table(
        'moderation_notes',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('moderation_id', sa.String(length=36), nullable=False),
        sa.Column('author', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['moderation_id'], ['moderations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_moderation_notes_moderation_id', 'moderation_notes', ['moderation_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_moderation_notes_moderation_id', table_name='moderation_notes')
    op.drop_table('moderation_notes')
    op.drop_index('ix_blind_judgements_audit_id', table_name='blind_judgements')
    op.drop_table('blind_judgements')
    op.drop_table('moderation_sections')
    with op.batch_alter_table('moderations', schema=None) as batch_op:
        batch_op.drop_column('learning_points')
        batch_op.drop_column('own_at')
        batch_op.drop_column('own_grade')
        batch_op.drop_column('blind')
