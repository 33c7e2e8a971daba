"""The audit log: one row per change an administrator makes (users, roles, taxonomy, KPI targets, SLA rules)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from feedback.models.base import utc_column


class AuditEvent(SQLModel, table=True):
    """Who changed what, when: like a TicketEvent, for the settings everyone's work depends on."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = utc_column(nullable=False, index=True)
    by_id: int | None = Field(default=None, foreign_key="user.id")  # None: a command or job, not a person
    action: str = Field(max_length=20)  # create | update | delete
    subject: str = Field(max_length=20, index=True)  # user, department, category, kpi, sla_rule, api_token
    subject_id: int | None = None
    name: str = Field(default="", max_length=254)  # the subject as people know it: email, key, rule
    field: str = Field(default="", max_length=40)
    old: str = Field(default="", sa_type=sa.Text)
    new: str = Field(default="", sa_type=sa.Text)
