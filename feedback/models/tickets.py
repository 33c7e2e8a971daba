"""Tickets, their history and their search words."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from feedback.models.base import Priority, TicketStatus, utc_column


class Ticket(SQLModel, table=True):
    """The work item for one problem. Its number is derived from the id (FB-000123)."""

    __table_args__ = (
        sa.Index("ix_ticket_status_department", "status", "department_id"),
        sa.Index("ix_ticket_owner_status", "owner_id", "status"),
        sa.Index("ix_ticket_status_due", "status", "due_at"),
        # The working lists read only tickets not yet closed, due first: small partial indexes serve them.
        sa.Index("ix_ticket_live_due", "due_at", "id", sqlite_where=sa.text("status != 'closed'"),
                 postgresql_where=sa.text("status <> 'closed'")),
        sa.Index("ix_ticket_live_department_due", "department_id", "due_at", "id",
                 sqlite_where=sa.text("status != 'closed'"), postgresql_where=sa.text("status <> 'closed'")),
        sa.Index("ix_ticket_live_owner_due", "owner_id", "due_at", "id",
                 sqlite_where=sa.text("status != 'closed'"), postgresql_where=sa.text("status <> 'closed'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    category_id: int | None = Field(default=None, foreign_key="category.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    priority: str = Field(default=Priority.normal, max_length=10)
    status: str = Field(default=TicketStatus.open, max_length=12)
    contact: str = Field(default="", max_length=254, index=True)
    order_ref: str = Field(default="", max_length=100, index=True)
    due_at: datetime | None = utc_column()
    opened_at: datetime | None = utc_column(index=True)
    resolved_at: datetime | None = utc_column()
    closed_at: datetime | None = utc_column(index=True)
    updated_at: datetime | None = utc_column()
    resolution: str = Field(default="", sa_type=sa.Text)
    feedback_count: int = 1
    key_product: bool = False

    @property
    def number(self) -> str:
        return f"FB-{self.id:06d}"


class TicketEvent(SQLModel, table=True):
    """One change to a ticket: who, when, what, old → new."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime | None = utc_column()
    by_id: int | None = Field(default=None, foreign_key="user.id")
    field: str = Field(max_length=30)  # status, owner, category, due_at, comment, merge…
    old: str = Field(default="", sa_type=sa.Text)
    new: str = Field(default="", sa_type=sa.Text)
    note: str = Field(default="", sa_type=sa.Text)


class TicketWord(SQLModel, table=True):
    """The search index of tickets: one row per word of a ticket's title, customer and feedback text."""

    __table_args__ = (sa.Index("ix_ticketword_ticket_id", "ticket_id"), {"sqlite_with_rowid": False})

    word: str = Field(max_length=40, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
