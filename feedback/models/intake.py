"""What intake stores: feedback, attachments, import runs, quarantine, polling state, products."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from feedback.models.base import json_column, utc_column


class ImportRun(SQLModel, table=True):
    """One run of an importer or poller, with what it found."""

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=10)
    source: str = Field(max_length=200)
    file_name: str = Field(default="", max_length=500)
    started_at: datetime | None = utc_column(index=True)
    finished_at: datetime | None = utc_column()
    new_count: int = 0
    duplicate_count: int = 0
    quarantined_count: int = 0
    errors: str = Field(default="", sa_type=sa.Text)


class Quarantine(SQLModel, table=True):
    """Input that could not be stored as feedback, kept whole with the reason (once per raw input)."""

    __table_args__ = (sa.UniqueConstraint("channel", "source", "raw_hash", name="uq_quarantine_input"),)

    id: int | None = Field(default=None, primary_key=True)
    import_run_id: int | None = Field(default=None, foreign_key="importrun.id", index=True)
    channel: str = Field(max_length=10)
    source: str = Field(max_length=200)
    locator: str = Field(default="", max_length=500)
    reason: str = Field(sa_type=sa.Text)
    raw: bytes = Field(sa_type=sa.LargeBinary)
    raw_hash: str = Field(max_length=64)  # sha256 of raw: re-importing a bad file quarantines nothing twice
    created_at: datetime | None = utc_column(index=True)
    status: str = Field(default="held", max_length=10)  # held | retried | discarded


class Feedback(SQLModel, table=True):
    """One thing a customer said, on one channel; immutable once stored, raw input kept."""

    __table_args__ = (
        sa.UniqueConstraint("channel", "source", "external_id", name="uq_feedback_origin"),
        sa.Index("ix_feedback_day_channel", "business_date", "channel"),
        sa.Index("ix_feedback_day_category", "business_date", "category_id"),
        # Counts of feedback without a ticket per category (triage) read this index alone.
        sa.Index("ix_feedback_untriaged", "category_id", "ticket_id", "not_a_problem"),
        # The feedback list's other sort orders read an index, not a million rows (migration 0011).
        sa.Index("ix_feedback_channel_received", "channel", "received_at", "id"),
        sa.Index("ix_feedback_customer_id", "customer", "id"),
        # Only rows in a thread or on a ticket: lookups always name one, and a bulk import adds neither (0013).
        sa.Index("ix_feedback_follows_id", "follows_id", sqlite_where=sa.text("follows_id IS NOT NULL"),
                 postgresql_where=sa.text("follows_id IS NOT NULL")),
        sa.Index("ix_feedback_ticket_id", "ticket_id", sqlite_where=sa.text("ticket_id IS NOT NULL"),
                 postgresql_where=sa.text("ticket_id IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=10)
    source: str = Field(max_length=200)
    external_id: str = Field(max_length=255)
    received_at: datetime | None = utc_column(nullable=False, index=True)
    # The business day it arrived on, fixed at intake so daily figures are one indexed GROUP BY
    # (ix_feedback_day_channel / ix_feedback_day_category lead with it; no index of its own, 0013).
    business_date: date
    customer: str = Field(default="", max_length=200)
    contact: str = Field(default="", max_length=254, index=True)
    order_ref: str = Field(default="", max_length=100)  # tickets index their order_ref; feedback is never looked up by it
    product_ref: str = Field(default="", max_length=100, index=True)
    rating: int | None = None
    csat: int | None = None  # survey satisfaction 1–5
    nps: int | None = None  # survey likelihood to recommend 0–10
    key_product_alert: bool = False  # a bad review of a key product
    subject: str = Field(default="", max_length=500)
    body: str = Field(default="", sa_type=sa.Text)
    text: str = Field(default="", sa_type=sa.Text)  # what classification read
    language: str = Field(default="", max_length=8)
    raw: bytes = Field(sa_type=sa.LargeBinary)
    category_id: int | None = Field(default=None, foreign_key="category.id")  # indexed first in ix_feedback_untriaged
    confidence: float | None = None
    classified_by: str | None = Field(default=None, max_length=8)
    not_a_problem: str = Field(default="", max_length=100)  # why it stays out of the problem flow
    follows_id: int | None = Field(default=None, foreign_key="feedback.id")  # thread it continues
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    import_run_id: int | None = Field(default=None, foreign_key="importrun.id", index=True)
    created_at: datetime | None = utc_column()


class Attachment(SQLModel, table=True):
    """A file that came with a feedback item; served for download, never executed."""

    id: int | None = Field(default=None, primary_key=True)
    feedback_id: int = Field(foreign_key="feedback.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=255)
    size: int
    data: bytes = Field(sa_type=sa.LargeBinary)


class FeedbackEvent(SQLModel, table=True):
    """A change a person made to a feedback item (its category): who, when, old → new."""

    id: int | None = Field(default=None, primary_key=True)
    feedback_id: int = Field(foreign_key="feedback.id", index=True)
    at: datetime | None = utc_column()
    by_id: int | None = Field(default=None, foreign_key="user.id")
    field: str = Field(max_length=30)
    old: str = Field(default="", sa_type=sa.Text)
    new: str = Field(default="", sa_type=sa.Text)


class MailboxState(SQLModel, table=True):
    """Where IMAP polling of one configured mailbox left off: UIDs above last_uid are new."""

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(max_length=100, unique=True)
    uidvalidity: int = 0
    last_uid: int = 0
    polled_at: datetime | None = utc_column()


class Product(SQLModel, table=True):
    """A product as reviews name it; key products get their bad reviews flagged every day."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=100, unique=True)
    name: str = Field(default="", max_length=200)
    key_product: bool = False
    created_at: datetime | None = utc_column()


class ColumnMapping(SQLModel, table=True):
    """How one source's CSV/JSON export names its columns, saved for the next import."""

    __table_args__ = (sa.UniqueConstraint("channel", "source", name="uq_columnmapping_source"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=10)
    source: str = Field(max_length=200)
    mapping: dict | None = json_column()
    updated_at: datetime | None = utc_column()
