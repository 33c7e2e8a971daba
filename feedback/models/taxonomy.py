"""The taxonomy: categories, KPIs and their values, SLA rules."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from feedback.models.base import json_column, utc_column


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


class SlaRule(SQLModel, table=True):
    """Time to solve for a priority, per category (category NULL: the default for that priority)."""

    __table_args__ = (sa.UniqueConstraint("category_id", "priority", name="uq_slarule_category_priority"),)

    id: int | None = Field(default=None, primary_key=True)
    category_id: int | None = Field(default=None, foreign_key="category.id")
    priority: str = Field(max_length=10)
    business_hours: int
