"""Mail waiting to go out: written in the transaction that caused it, sent by the "outbox" job."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from feedback.models.base import utc_column


class Outbox(SQLModel, table=True):
    """One mail to one person; the dedupe key makes a second enqueue of the same mail a no-op."""

    __table_args__ = (
        # The job reads only what is still pending: a small partial index however many mails were sent.
        sa.Index("ix_outbox_pending", "next_attempt_at", "id", sqlite_where=sa.text("sent_at IS NULL"),
                 postgresql_where=sa.text("sent_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=20)  # assigned | digest
    user_id: int | None = Field(default=None, foreign_key="user.id")
    to: str = Field(max_length=254)
    language: str = Field(default="en", max_length=8)
    ticket_number: str = Field(default="", max_length=20)
    # Assignment notices are composed when sent (intake stays cheap); digests when enqueued.
    subject: str = Field(default="", max_length=500)
    text: str = Field(default="", sa_type=sa.Text)
    html: str = Field(default="", sa_type=sa.Text)
    created_at: datetime | None = utc_column(nullable=False)
    next_attempt_at: datetime | None = utc_column(nullable=False)
    claimed_by: str = Field(default="", max_length=32)
    lease_until: datetime | None = utc_column()  # a claim older than this is free again (a sender died)
    sent_at: datetime | None = utc_column()
    attempts: int = 0
    last_error: str = Field(default="", sa_type=sa.Text)
