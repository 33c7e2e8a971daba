"""The tables. Names follow the glossary of ARCHITECTURE.md; no queries and no Flask here."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from feedback.db import UTCDateTime

# Named constraints, so later migrations can address them on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

# Enumerations are stored as short strings: portable across SQLite and PostgreSQL, and a new
# value never needs an ALTER TYPE migration.


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    head = "head"
    agent = "agent"
    viewer = "viewer"


class Channel(StrEnum):
    phone = "phone"
    email = "email"
    forum = "forum"
    review = "review"
    survey = "survey"


class ClassifiedBy(StrEnum):
    rule = "rule"
    model = "model"
    person = "person"


class TicketStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


def utc_column(*, nullable: bool = True, index: bool = False) -> Any:
    """A Field stored with UTCDateTime (aware in, aware out)."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def json_column() -> Any:
    """A Field holding JSON (lists of keywords, snapshots)."""
    return Field(default=None, sa_type=sa.JSON, nullable=True)


class Department(SQLModel, table=True):
    """A department; its head is the User with role `head` in it."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True)
    name_en: str = Field(max_length=100)
    name_zh: str = Field(max_length=100)
    active: bool = True
    assign_rule: str = Field(default="head", max_length=12)  # head | round_robin | least_open | queue
    last_assigned_id: int | None = None  # round-robin position (a user id; no FK to avoid a table cycle)


class User(SQLModel, table=True):
    """Someone who signs in. Flask-Login reads the four attributes below."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=100)
    role: str = Field(max_length=16)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    password_hash: str = Field(default="", max_length=255)
    language: str | None = Field(default=None, max_length=8)
    active: bool = True
    created_at: datetime | None = utc_column()

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class Category(SQLModel, table=True):
    """An experience problem of the taxonomy, e.g. `logistics.late`."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=60, unique=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    name_en: str = Field(max_length=100)
    name_zh: str = Field(max_length=100)
    severity: int = 1
    sla_hours: int = 24
    keywords_en: list[str] | None = json_column()
    keywords_zh: list[str] | None = json_column()
    kpi_keys: list[str] | None = json_column()
    active: bool = True


class KPI(SQLModel, table=True):
    """A department measure tied to customer experience."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=60, unique=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    name_en: str = Field(max_length=100)
    name_zh: str = Field(max_length=100)
    description_en: str = Field(default="", max_length=500)
    description_zh: str = Field(default="", max_length=500)
    unit: str = Field(default="", max_length=20)
    direction: str = Field(default="higher", max_length=8)  # higher | lower is better
    target: float | None = None
    source: str = Field(default="imported", max_length=10)  # computed | imported


class KPIValue(SQLModel, table=True):
    """A KPI's value for one period (a day or an ISO week)."""

    __table_args__ = (sa.UniqueConstraint("kpi_id", "period_start", "period_end"),)

    id: int | None = Field(default=None, primary_key=True)
    kpi_id: int = Field(foreign_key="kpi.id")
    period_start: date
    period_end: date
    value: float
    source: str = Field(default="imported", max_length=10)
    entered_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime | None = utc_column()


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


class Feedback(SQLModel, table=True):
    """One thing a customer said, on one channel; immutable once stored, raw input kept."""

    __table_args__ = (
        sa.UniqueConstraint("channel", "source", "external_id", name="uq_feedback_origin"),
        sa.Index("ix_feedback_day_channel", "business_date", "channel"),
        sa.Index("ix_feedback_day_category", "business_date", "category_id"),
        # Counts of feedback without a ticket per category (triage) read this index alone.
        sa.Index("ix_feedback_untriaged", "category_id", "ticket_id", "not_a_problem"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=10)
    source: str = Field(max_length=200)
    external_id: str = Field(max_length=255)
    received_at: datetime | None = utc_column(nullable=False, index=True)
    # The business day it arrived on, fixed at intake so daily figures are one indexed GROUP BY.
    business_date: date = Field(index=True)
    customer: str = Field(default="", max_length=200)
    contact: str = Field(default="", max_length=254, index=True)
    order_ref: str = Field(default="", max_length=100, index=True)
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
    category_id: int | None = Field(default=None, foreign_key="category.id", index=True)
    confidence: float | None = None
    classified_by: str | None = Field(default=None, max_length=8)
    not_a_problem: str = Field(default="", max_length=100)  # why it stays out of the problem flow
    follows_id: int | None = Field(default=None, foreign_key="feedback.id", index=True)  # thread it continues
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
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


class Bulletin(SQLModel, table=True):
    """The daily feedback bulletin for one business day: draft, then issued."""

    id: int | None = Field(default=None, primary_key=True)
    business_date: date = Field(unique=True)
    markdown: str = Field(default="", sa_type=sa.Text)
    status: str = Field(default="draft", max_length=8)  # draft | issued
    issued_by_id: int | None = Field(default=None, foreign_key="user.id")
    issued_at: datetime | None = utc_column()
    recipients: list[str] | None = json_column()
    created_at: datetime | None = utc_column()
    updated_at: datetime | None = utc_column()


class WeeklyReview(SQLModel, table=True):
    """One business week's review: Pareto, clearance, KPI status; frozen when closed."""

    id: int | None = Field(default=None, primary_key=True)
    iso_week: str = Field(max_length=8, unique=True)  # 2026-W47
    week_start: date
    status: str = Field(default="open", max_length=8)  # open | closed
    snapshot: dict | None = json_column()
    notes: str = Field(default="", sa_type=sa.Text)
    created_at: datetime | None = utc_column()
    closed_at: datetime | None = utc_column()
    closed_by_id: int | None = Field(default=None, foreign_key="user.id")


class Project(SQLModel, table=True):
    """An improvement project opened from a vital-few Pareto item."""

    id: int | None = Field(default=None, primary_key=True)
    review_id: int | None = Field(default=None, foreign_key="weeklyreview.id", index=True)
    category_id: int | None = Field(default=None, foreign_key="category.id")
    kpi_id: int | None = Field(default=None, foreign_key="kpi.id")
    title: str = Field(max_length=300)
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    baseline_value: float | None = None
    goal_value: float | None = None
    due_date: date | None = None
    status: str = Field(default="open", max_length=10)  # open | done | dropped
    opened_at: datetime | None = utc_column()
    closed_at: datetime | None = utc_column()


class JobRun(SQLModel, table=True):
    """A scheduled job's claim on its key (business day, ISO week): the unique pair makes it run once."""

    __table_args__ = (sa.UniqueConstraint("job", "key", name="uq_jobrun_job_key"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=50)
    key: str = Field(max_length=50)
    started_at: datetime | None = utc_column()
    finished_at: datetime | None = utc_column()
    detail: str = Field(default="", sa_type=sa.Text)


class MailboxState(SQLModel, table=True):
    """Where IMAP polling of one configured mailbox left off: UIDs above last_uid are new."""

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(max_length=100, unique=True)
    uidvalidity: int = 0
    last_uid: int = 0
    polled_at: datetime | None = utc_column()


class FeedbackEvent(SQLModel, table=True):
    """A change a person made to a feedback item (its category): who, when, old → new."""

    id: int | None = Field(default=None, primary_key=True)
    feedback_id: int = Field(foreign_key="feedback.id", index=True)
    at: datetime | None = utc_column()
    by_id: int | None = Field(default=None, foreign_key="user.id")
    field: str = Field(max_length=30)
    old: str = Field(default="", sa_type=sa.Text)
    new: str = Field(default="", sa_type=sa.Text)


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


class ApiToken(SQLModel, table=True):
    """A token for the REST API: only its hash is stored; scoped and revocable."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=12)  # shown so people can tell tokens apart
    token_hash: str = Field(max_length=64, unique=True)
    scopes: list[str] | None = json_column()
    user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime | None = utc_column()
    last_used_at: datetime | None = utc_column()
    revoked_at: datetime | None = utc_column()


class Throttle(SQLModel, table=True):
    """Hits per key per time window, shared by every web worker (rate limits)."""

    __table_args__ = (sa.UniqueConstraint("key", "window_start", name="uq_throttle_window"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    window_start: datetime | None = utc_column(nullable=False, index=True)
    hits: int = 0


class SlaRule(SQLModel, table=True):
    """Time to solve for a priority, per category (category NULL: the default for that priority)."""

    __table_args__ = (sa.UniqueConstraint("category_id", "priority", name="uq_slarule_category_priority"),)

    id: int | None = Field(default=None, primary_key=True)
    category_id: int | None = Field(default=None, foreign_key="category.id")
    priority: str = Field(max_length=10)
    business_hours: int
