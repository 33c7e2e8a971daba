"""Improvement projects opened from a vital-few Pareto item: owner, target KPI and goal, due date, tickets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from feedback import clock, kpi, tickets
from feedback.errors import Forbidden, Invalid, NotFound
from feedback.models import KPI, Category, Project, ProjectTicket, Role, Ticket, User, WeeklyReview

STATUSES = ("open", "done", "dropped")
MAX_TICKETS = 200


def may_open(user: User | None, category: Category | None) -> bool:
    """Managers open projects for any problem; a head for their own department's."""
    if user is None or not user.active:
        return False
    return user.role in (Role.manager, Role.admin) or (
        user.role == Role.head and category is not None and user.department_id == category.department_id)


@dataclass
class ProjectIn:
    title: str
    category_key: str
    owner_id: int | None
    kpi_key: str = ""
    goal_value: float | None = None
    due_date: date | None = None
    ticket_refs: str = ""  # "FB-000123, 124"


def open_project(session: Session, week: str, data: ProjectIn, *, by: User, now: datetime) -> Project:
    """Open a project from the week's Pareto item; the KPI's value that week is its baseline."""
    category = session.execute(sa.select(Category).where(Category.key == data.category_key)).scalar_one_or_none()
    if category is None:
        raise NotFound(f"no category {data.category_key!r}")
    if not may_open(by, category):
        raise Forbidden("only a manager or the department's head opens a project for this problem")
    title = (data.title or "").strip()
    if not title or len(title) > 300:
        raise Invalid("title: required, at most 300 characters")
    owner = session.get(User, data.owner_id) if data.owner_id else None
    if owner is None or not owner.active:
        raise Invalid("owner: choose an active user")
    if data.due_date is not None and data.due_date < clock.business_date(now):
        raise Invalid("due date: not in the past")
    target = kpi.get_kpi(session, data.kpi_key) if data.kpi_key else None
    review = session.execute(sa.select(WeeklyReview).where(WeeklyReview.iso_week == week)).scalar_one_or_none()
    start, end = kpi.week_range(week)
    project = Project(title=title, category_id=category.id, kpi_id=target.id if target else None, owner_id=owner.id,
                      review_id=review.id if review else None, goal_value=data.goal_value, due_date=data.due_date,
                      baseline_value=kpi.value(session, target, start, end) if target else None, status="open",
                      opened_at=now)
    session.add(project)
    session.flush()
    link(session, project, _ticket_ids(session, data.ticket_refs))
    session.commit()
    return project


def _ticket_ids(session: Session, refs: str) -> list[int]:
    ids = sorted({tickets.ticket_id(r) for r in refs.replace(";", ",").replace(" ", ",").split(",") if r.strip()})
    if len(ids) > MAX_TICKETS:
        raise Invalid(f"tickets: at most {MAX_TICKETS}")
    found = set(session.execute(sa.select(Ticket.id).where(Ticket.id.in_(ids))).scalars())
    if len(found) != len(ids):
        raise NotFound("some of the linked tickets do not exist")
    return ids


def link(session: Session, project: Project, ticket_ids: list[int]) -> None:
    have = set(session.execute(sa.select(ProjectTicket.ticket_id).where(ProjectTicket.project_id == project.id)).scalars())
    for ticket_id in ticket_ids:
        if ticket_id not in have:
            session.add(ProjectTicket(project_id=project.id, ticket_id=ticket_id))


def week_ticket_refs(session: Session, week: str, category_key: str, limit: int = 50) -> str:
    """The numbers of the week's tickets of a category (the form's default links)."""
    start, end = clock.week_bounds(week)
    ids = session.execute(sa.select(Ticket.id).join(Category, Category.id == Ticket.category_id)
                          .where(Category.key == category_key, Ticket.opened_at >= start, Ticket.opened_at < end)
                          .order_by(Ticket.id).limit(limit)).scalars()
    return ", ".join(tickets.number(i) for i in ids)


def set_status(session: Session, project_id: int, new: str, *, by: User, now: datetime) -> Project:
    """Mark a project done or dropped (or open again)."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"no project {project_id}")
    if not may_open(by, session.get(Category, project.category_id)) and by.id != project.owner_id:
        raise Forbidden("only a manager, the department's head or the owner changes a project")
    if new not in STATUSES:
        raise Invalid(f"status: one of {', '.join(STATUSES)}")
    project.status, project.closed_at = new, (now if new != "open" else None)
    session.commit()
    return project


@dataclass
class ProjectView:
    project: Project
    category: Category | None
    kpi: KPI | None
    owner: User | None
    current: float | None
    tickets: int

    @property
    def movement(self) -> float | None:
        if self.current is None or self.project.baseline_value is None:
            return None
        return round(self.current - self.project.baseline_value, 4)

    @property
    def improving(self) -> bool | None:
        """Whether the KPI moved the good way since the project opened."""
        if self.movement is None or self.kpi is None or self.movement == 0:
            return None
        return (self.movement > 0) == (self.kpi.direction == "higher")


def listing(session: Session, *, now: datetime, status: str | None = "open") -> list[ProjectView]:
    """Projects with their KPI's value in the last complete week against the baseline."""
    stmt = sa.select(Project).order_by(Project.opened_at.desc(), Project.id.desc())
    if status:
        stmt = stmt.where(Project.status == status)
    found = list(session.execute(stmt).scalars())
    counts = dict(session.execute(sa.select(ProjectTicket.project_id, sa.func.count())
                                  .where(ProjectTicket.project_id.in_([p.id for p in found]))
                                  .group_by(ProjectTicket.project_id)).all())
    start = clock.week_start(clock.iso_week(clock.business_date(now) - timedelta(days=7)))
    out = []
    for project in found:
        target = session.get(KPI, project.kpi_id) if project.kpi_id else None
        current = kpi.value(session, target, start, start + timedelta(days=6)) if target else None
        out.append(ProjectView(project, session.get(Category, project.category_id), target,
                               session.get(User, project.owner_id) if project.owner_id else None,
                               current, counts.get(project.id, 0)))
    return out


def linked_tickets(session: Session, project_id: int) -> list[Ticket]:
    return list(session.execute(sa.select(Ticket).join(ProjectTicket, ProjectTicket.ticket_id == Ticket.id)
                                .where(ProjectTicket.project_id == project_id).order_by(Ticket.id)).scalars())


def owner_choices(session: Session) -> list[User]:
    return list(session.execute(sa.select(User).where(User.active, User.role.in_((Role.manager, Role.head, Role.agent)))
                                .order_by(User.name)).scalars())
