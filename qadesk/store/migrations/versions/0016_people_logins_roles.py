"""people's database logins and their roles in qadesk

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:30:00

``people.login``: on a team server, the database login (a PostgreSQL role of the person's own) that is this
person; unique where given.  ``people.roles``: what the person does in qadesk, the role ids of
qadesk.core.permissions comma-separated (on a server these mirror the login's membership of the qadesk_*
group roles, which are what the database enforces).
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people') as batch:
        batch.add_column(sa.Column('login', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('roles', sa.String(length=200), nullable=True))
    op.create_index('ix_people_login', 'people', ['login'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_people_login', table_name='people')
    with op.batch_alter_table('people') as batch:
        batch.drop_column('roles')
        batch.drop_column('login')
