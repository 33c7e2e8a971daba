"""Weekly review: clearance, carry-overs, sign-offs, KPI breaches, projects (issue 9)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 23:15:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import feedback.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('carryover',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('iso_week', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('new_due', sa.Date(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', feedback.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_carryover_by_id_user')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_carryover_department_id_department')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_carryover_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carryover')),
    sa.UniqueConstraint('ticket_id', 'iso_week', name='uq_carryover_ticket_week')
    )
    with op.batch_alter_table('carryover', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carryover_iso_week'), ['iso_week'], unique=False)
        batch_op.create_index(batch_op.f('ix_carryover_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('signoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('iso_week', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', feedback.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_signoff_by_id_user')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_signoff_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signoff')),
    sa.UniqueConstraint('iso_week', 'department_id', name='uq_signoff_week_department')
    )

    op.create_table('projectticket',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_projectticket_project_id_project')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_projectticket_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('project_id', 'ticket_id', name=op.f('pk_projectticket'))
    )


def downgrade() -> None:
    op.drop_table('projectticket')
    op.drop_table('signoff')
    with op.batch_alter_table('carryover', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carryover_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_carryover_iso_week'))
    op.drop_table('carryover')
