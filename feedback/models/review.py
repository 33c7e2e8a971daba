"""The weekly review's own rows: carry-overs of the week's problem list, department sign-offs, project tickets."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from feedback.models.base import utc_column


class CarryOver(SQLModel, table=True):
    """A head moved an unfinished ticket from week `iso_week` into the next week's list, with a reason."""

    __table_args__ = (sa.UniqueConstraint("ticket_id", "iso_week", name="uq_carryover_ticket_week"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    iso_week: str = Field(max_length=8, index=True)  # the week it was carried out of
    department_id: int | None = Field(default=None, foreign_key="department.id")
    reason: str = Field(sa_type=sa.Text)
    new_due: date
    by_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime | None = utc_column()


class SignOff(SQLModel, table=True):
    """A head signed off the department's cleared list for one ISO week."""

    __table_args__ = (sa.UniqueConstraint("iso_week", "department_id", name="uq_signoff_week_department"),)

    id: int | None = Field(default=None, primary_key=True)
    iso_week: str = Field(max_length=8)
    department_id: int = Field(foreign_key="department.id")
    by_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime | None = utc_column()


class ProjectTicket(SQLModel, table=True):
    """A ticket linked to an improvement project."""

    project_id: int = Field(foreign_key="project.id", primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
