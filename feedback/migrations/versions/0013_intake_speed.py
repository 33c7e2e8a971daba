"""intake speed: feedback carries only the indexes something reads

Every index is one more B-tree to update per stored row; at a million rows they were most of a bulk
import's time. Dropped: business_date and category_id alone (the leading column of
ix_feedback_day_channel / ix_feedback_day_category and ix_feedback_untriaged serves the same
queries) and order_ref (no query looks feedback up by order; tickets carry their own order_ref
index). follows_id and ticket_id become partial: queries only ever look for a given thread or
ticket, and most feedback has neither, so the index holds the few rows that do.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 02:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PARTIAL = {  # column → its partial index's condition, the same on both databases
    'follows_id': 'follows_id IS NOT NULL',
    'ticket_id': 'ticket_id IS NOT NULL',
}


def upgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        for column in ('business_date', 'category_id', 'order_ref', *PARTIAL):
            batch_op.drop_index(f'ix_feedback_{column}')
        for column, where in PARTIAL.items():
            batch_op.create_index(f'ix_feedback_{column}', [column], unique=False,
                                  sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        for column, where in PARTIAL.items():
            batch_op.drop_index(f'ix_feedback_{column}', sqlite_where=sa.text(where), postgresql_where=sa.text(where))
        for column in ('business_date', 'category_id', 'order_ref', *PARTIAL):
            batch_op.create_index(f'ix_feedback_{column}', [column], unique=False)
