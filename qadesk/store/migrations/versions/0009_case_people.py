"""the people list of a case (child, family, carers, professionals), used to mask names in external packs

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00

One row a person: the case's reference, the person's place in the list, their role ("child",
"mother", "foster carer", "teacher"), their name and any other names they go by.  Kept only in this
store; pseudonymising an external pack masks each name as its role.
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_people',
        sa.Column('pk', sa.Integer(), nullable=False),
        sa.Column('case_ref', sa.String(length=100), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=100), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('other_names', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('pk'),
    )
    op.create_index('ix_case_people_case', 'case_people', ['case_ref', 'position'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_people_case', table_name='case_people')
    op.drop_table('case_people')
