"""Playbooks, proposals and reply templates (issue 12)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 23:15:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import feedback.db


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('playbookversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('body_zh', sa.Text(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', feedback.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_playbookversion_author_id_user')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_playbookversion_category_id_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_playbookversion')),
    sa.UniqueConstraint('category_id', 'number', name='uq_playbookversion_category_number')
    )
    op.create_table('playbookproposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', feedback.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', feedback.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_playbookproposal_category_id_category')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_playbookproposal_decided_by_id_user')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user.id'], name=op.f('fk_playbookproposal_proposed_by_id_user')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_playbookproposal_ticket_id_ticket')),
    sa.ForeignKeyConstraint(['version_id'], ['playbookversion.id'], name=op.f('fk_playbookproposal_version_id_playbookversion')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_playbookproposal'))
    )
    with op.batch_alter_table('playbookproposal', schema=None) as batch_op:
        batch_op.create_index('ix_playbookproposal_status_category', ['status', 'category_id'], unique=False)
    op.create_table('replytemplate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', feedback.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_replytemplate_category_id_category')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_replytemplate_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_replytemplate')),
    sa.UniqueConstraint('category_id', 'language', name='uq_replytemplate_category_language')
    )


def downgrade() -> None:
    op.drop_table('replytemplate')
    with op.batch_alter_table('playbookproposal', schema=None) as batch_op:
        batch_op.drop_index('ix_playbookproposal_status_category')
    op.drop_table('playbookproposal')
    op.drop_table('playbookversion')
