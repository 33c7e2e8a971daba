"""People and access: departments, users, API tokens, rate-limit counters."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from feedback.models.base import json_column, utc_column


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
