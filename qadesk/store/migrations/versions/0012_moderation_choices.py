"""completed audits chosen for moderation by the QA lead's sample

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:10:00

``moderation_choices``: one row per completed audit the moderation sample chose (every extreme grade,
a share stratified by auditor and grade, a minimum per auditor per quarter), with the reason, who chose
it and when, and the seed and options of the draw. The Moderation screen lists these first.
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'moderation_choices',
        sa.Column('audit_id', sa.String(length=36), nullable=False),
        sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('chosen_by', sa.String(length=200), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('step', sa.String(length=16), nullable=False),
        sa.Column('seed', sa.BigInteger(), nullable=False),
        sa.Column('options', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('audit_id'),
    )


def downgrade() -> None:
    op.drop_table('moderation_choices')
