"""What every table module shares: the constraint naming convention, enumerations, column helpers."""

from __future__ import annotations

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
