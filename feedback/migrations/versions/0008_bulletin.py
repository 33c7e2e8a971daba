"""Bulletin revisions and commentary (issue 8)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 23:15:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import feedback.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bulletinrevision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bulletin_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('markdown', sa.Text(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', feedback.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bulletin_id'], ['bulletin.id'], name=op.f('fk_bulletinrevision_bulletin_id_bulletin')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_bulletinrevision_issued_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletinrevision')),
    sa.UniqueConstraint('bulletin_id', 'number', name='uq_bulletinrevision_number')
    )
    with op.batch_alter_table('bulletin', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chart', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('bulletin', schema=None) as batch_op:
        batch_op.drop_column('chart')
    op.drop_table('bulletinrevision')
