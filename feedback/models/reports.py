"""The bulletin, the weekly review, improvement projects and scheduled-job claims."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from feedback.models.base import json_column, utc_column


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
    # The channel × category chart (SVG) as of the last draft or refresh: frozen with the text on issue.
    chart: str = Field(default="", sa_type=sa.Text)


class BulletinRevision(SQLModel, table=True):
    """An issued text of a bulletin: number 1 is the issue, later numbers are corrections. Never changed."""

    __table_args__ = (sa.UniqueConstraint("bulletin_id", "number", name="uq_bulletinrevision_number"),)

    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="bulletin.id")
    number: int
    markdown: str = Field(default="", sa_type=sa.Text)
    note: str = Field(default="", max_length=500)  # why a correction was made
    issued_by_id: int | None = Field(default=None, foreign_key="user.id")
    issued_at: datetime | None = utc_column()


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
