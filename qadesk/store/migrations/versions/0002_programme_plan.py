"""programme plan: template, teams and target per team

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 22:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('teams', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('target_per_team', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_column('created_at')
        batch_op.drop_column('target_per_team')
        batch_op.drop_column('teams')
        batch_op.drop_column('template_id')
