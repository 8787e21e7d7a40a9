"""the overall grade's score, so the audits list sorts by grade in grade order

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00

Sorting on ``overall_grade`` put grades in alphabetical order (Good,
Inadequate, Outstanding, Requires improvement).  ``overall_score`` holds the
grade's score on its template's overall list, filled here from each template
version's stored content; ``ix_audits_score_ref`` (overall_score, reference)
lets the list walk an index and stop after one screen, as every other sort
does (migration 0003), and replaces the index on (overall_grade, reference),
which only that sort used.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
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
        batch_op.add_column(sa.Column('overall_score', sa.Float(), nullable=True))
        batch_op.drop_index('ix_audits_grade_ref')
        batch_op.create_index('ix_audits_score_ref', ['overall_score', 'reference'], unique=False)
    conn = op.get_bind()
    update = sa.text("UPDATE audits SET overall_score = :score WHERE template_pk = :pk AND overall_grade = :grade")
    for pk, content in conn.execute(sa.text("SELECT pk, content FROM template_versions")).all():
        for grade, score in _scores(content).items():
            conn.execute(update, {"score": score, "pk": pk, "grade": grade})


def downgrade() -> None:
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.drop_index('ix_audits_score_ref')
        batch_op.create_index('ix_audits_grade_ref', ['overall_grade', 'reference'], unique=False)
        batch_op.drop_column('overall_score')
