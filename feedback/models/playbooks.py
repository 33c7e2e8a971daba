"""Playbooks: each category's standard way of handling, in versions; proposals to extend them; reply templates."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from feedback.models.base import utc_column


class PlaybookVersion(SQLModel, table=True):
    """One saved version of a category's playbook (English and Chinese Markdown); the highest number is current.

    Versions are never changed or deleted: every save adds one, so the history and its diffs stay whole.
    """

    __table_args__ = (sa.UniqueConstraint("category_id", "number", name="uq_playbookversion_category_number"),)

    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(foreign_key="category.id")
    number: int
    body_en: str = Field(default="", sa_type=sa.Text)
    body_zh: str = Field(default="", sa_type=sa.Text)
    note: str = Field(default="", max_length=300)  # what changed, as the author put it
    author_id: int | None = Field(default=None, foreign_key="user.id")  # None: the shipped default
    created_at: datetime | None = utc_column()


class PlaybookProposal(SQLModel, table=True):
    """An addition to a playbook suggested when a ticket was closed; the department head accepts or rejects it."""

    __table_args__ = (sa.Index("ix_playbookproposal_status_category", "status", "category_id"),)

    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(foreign_key="category.id")
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    language: str = Field(default="en", max_length=8)  # which body of the playbook it extends
    text: str = Field(sa_type=sa.Text)
    status: str = Field(default="pending", max_length=10)  # pending | accepted | rejected
    proposed_by_id: int | None = Field(default=None, foreign_key="user.id")
    proposed_at: datetime | None = utc_column()
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = utc_column()
    reason: str = Field(default="", max_length=500)  # why it was rejected
    version_id: int | None = Field(default=None, foreign_key="playbookversion.id")  # the version it became


class ReplyTemplate(SQLModel, table=True):
    """A customer reply for a category in one language, with {customer} {order} {due_date} {ticket} placeholders."""

    __table_args__ = (sa.UniqueConstraint("category_id", "language", name="uq_replytemplate_category_language"),)

    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(foreign_key="category.id")
    language: str = Field(max_length=8)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=sa.Text)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime | None = utc_column()
