"""the final grade (the moderated grade where a moderator changed it), and who was told of an urgent concern

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:10:00

``final_grade`` is the grade an audit counts with everywhere a grade is
counted or shown first: the grade of its latest moderation where it has one
(an agreed moderation carries the auditor's grade), the auditor's overall
grade otherwise.  ``final_score`` is that grade's score on the template's
overall list, so the audits list sorts by the final grade in grade order from
an index.  The indexes on ``overall_score`` and on (status, completed_at,
overall_grade) served those sorts and Home's grades by month; they move to the
final columns.

An urgent action records who was told of the concern and when
(``told_whom``, ``told_at``): an audit that flags an urgent safeguarding
concern cannot be submitted without one.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _scores(content: str) -> dict[str, float]:
    """value -> score of a template's overall list, read from its canonical JSON."""
    try:
        data = json.loads(content)
        choices = data["lists"][data["overall"]["list"]]
    except (ValueError, KeyError, TypeError):
        return {}
    return {c["value"]: float(c["score"]) for c in choices
            if isinstance(c, dict) and isinstance(c.get("value"), str)
            and isinstance(c.get("score"), (int, float)) and not isinstance(c.get("score"), bool)}


def upgrade() -> None:
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('final_grade', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('final_score', sa.Float(), nullable=True))
        batch_op.drop_index('ix_audits_score_ref')
        batch_op.drop_index('ix_audits_status_completed_grade')
        batch_op.create_index('ix_audits_final_score_ref', ['final_score', 'reference'], unique=False)
        batch_op.create_index('ix_audits_status_completed_final', ['status', 'completed_at', 'final_grade'],
                              unique=False)
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('told_whom', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('told_at', sa.DateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    conn.execute(sa.text(
        "UPDATE audits SET final_grade = COALESCE("
        " (SELECT m.grade FROM moderations m WHERE m.audit_id = audits.id AND m.grade IS NOT NULL"
        "  ORDER BY m.at DESC LIMIT 1), overall_grade)"))
    update = sa.text("UPDATE audits SET final_score = :score WHERE template_pk = :pk AND final_grade = :grade")
    for pk, content in conn.execute(sa.text("SELECT pk, content FROM template_versions")).all():
        for grade, score in _scores(content).items():
            conn.execute(update, {"score": score, "pk": pk, "grade": grade})


def downgrade() -> None:
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_column('told_at')
        batch_op.drop_column('told_whom')
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.drop_index('ix_audits_status_completed_final')
        batch_op.drop_index('ix_audits_final_score_ref')
        batch_op.create_index('ix_audits_status_completed_grade', ['status', 'completed_at', 'overall_grade'],
                              unique=False)
        batch_op.create_index('ix_audits_score_ref', ['overall_score', 'reference'], unique=False)
        batch_op.drop_column('final_score')
        batch_op.drop_column('final_grade')
