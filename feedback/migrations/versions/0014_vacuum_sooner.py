"""vacuum the busiest tables sooner on PostgreSQL, so their counts stay index-only during an import

The ticket list and the manager's home count live tickets, and home counts triage, with index-only scans.
A row stored or changed since the table's last vacuum is not yet marked all-visible, so the scan reads its
heap page as well: after a 10,000-mail import the open-ticket count made 4,274 heap fetches and took 3.8 ms
instead of 0.9, on every list and home page until autovacuum came. PostgreSQL's defaults wait until a fifth
of a table has changed (40,000 tickets, 200,000 feedback at our volume); 1-2 % keeps the visibility map
fresh, and a vacuum that skips the pages already all-visible costs little. SQLite has nothing to set.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:40:00
"""

from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

TABLES = ('ticket', 'feedback')
SETTINGS = {
    'autovacuum_vacuum_insert_scale_factor': '0.01',  # rows added (PostgreSQL 13+)
    'autovacuum_vacuum_scale_factor': '0.02',  # rows changed or deleted
    'autovacuum_analyze_scale_factor': '0.02',
}


def _settings() -> dict[str, str]:
    if op.get_bind().dialect.server_version_info < (13,):
        return {k: v for k, v in SETTINGS.items() if 'insert' not in k}
    return SETTINGS


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f'ALTER TABLE {table} SET ({", ".join(f"{k} = {v}" for k, v in _settings().items())})')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f'ALTER TABLE {table} RESET ({", ".join(_settings())})')
