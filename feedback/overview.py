"""What each role's home page shows: a handful of counts over indexed columns and the most urgent tickets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session

from feedback import clock, reference
from feedback.models import Bulletin, Department, Feedback, Ticket, User
from feedback.ticket_lists import live, overdue

URGENT_ROWS = 10


# The home page counts triage only this far: after a big import tens of thousands of fresh rows wait, and
# counting them all (~115 ms on PostgreSQL before vacuum marks them visible) would make every home page wait.
TRIAGE_CAP = 1000


@dataclass
class ManagerHome:
    """The service manager's morning: today's intake, what waits for triage, what is overdue, the bulletin."""

    today: date
    intake: dict[str, int]
    triage: int
    open: int
    overdue: int
    bulletin_day: date
    bulletin: Bulletin | None

    @property
    def triage_shown(self) -> str:
        """The triage count as the tile shows it: "1,000+" past the cap."""
        return f"{TRIAGE_CAP:,}+" if self.triage > TRIAGE_CAP else f"{self.triage:,}"


@dataclass
class HeadHome:
    """A department head's day: the department's open, overdue and due-this-week tickets."""

    department: Department | None
    open: int
    overdue: int
    due_this_week: int
    urgent: list[Ticket] = field(default_factory=list)


@dataclass
class AgentHome:
    """An agent's day: their own tickets, most urgent first."""

    mine: int
    overdue: int
    urgent: list[Ticket] = field(default_factory=list)


def _count(session: Session, *where) -> int:
    # One query per count: `count(*) FILTER (overdue)` over the live tickets would read the whole status index on
    # PostgreSQL (16 ms at 200,000 tickets) where the two counts are ranges of their own indexes (< 1 ms each).
    return session.execute(sa.select(sa.func.count()).select_from(Ticket).where(*where)).scalar_one()


def manager_home(session: Session, *, now: datetime) -> ManagerHome:
    today = clock.business_date(now)
    intake = dict(session.execute(
        sa.select(Feedback.channel, sa.func.count()).where(Feedback.business_date == today).group_by(Feedback.channel)
    ).all())
    yesterday = clock.yesterday(now)
    bulletin = session.execute(  # its status for the home page; the text and chart stay in the database
        sa.select(Bulletin).options(defer(Bulletin.markdown), defer(Bulletin.chart)).where(Bulletin.business_date == yesterday)
    ).scalar_one_or_none()
    return ManagerHome(today, intake, awaiting_triage(session, cap=TRIAGE_CAP), _count(session, live()), _count(session, overdue(now)),
                       yesterday, bulletin)


def awaiting_triage(session: Session, *, cap: int | None = None) -> int:
    """Feedback a person must classify: unclassified or `other` (where intake puts unsure items), no ticket.

    One part per category condition, not an OR: each is then a range of ix_feedback_untriaged alone; both
    are counted in one query. With a cap, counting stops past it (the result is then cap + 1).
    """
    other = next((c.id for c in reference.categories(session) if c.key == "other"), None)

    def count(category):
        rows = sa.select(sa.literal_column("1")).select_from(Feedback).where(
            Feedback.ticket_id.is_(None), Feedback.not_a_problem == "", category)
        rows = rows.limit(cap + 1) if cap is not None else rows
        return sa.select(sa.func.count()).select_from(rows.subquery()).scalar_subquery()

    parts = [count(Feedback.category_id.is_(None))] + ([count(Feedback.category_id == other)] if other else [])
    waiting = session.execute(sa.select(sum(parts[1:], parts[0]))).scalar_one()
    return waiting if cap is None else min(waiting, cap + 1)


def head_home(session: Session, user: User, *, now: datetime) -> HeadHome:
    department = session.get(Department, user.department_id) if user.department_id else None
    mine = Ticket.department_id == (user.department_id or -1)
    week_end = clock.day_bounds(clock.business_date(now) + timedelta(days=6 - clock.business_date(now).weekday()))[1]
    return HeadHome(
        department, _count(session, live(), mine), _count(session, overdue(now), mine),
        _count(session, live(), mine, Ticket.due_at >= now, Ticket.due_at < week_end),
        _urgent(session, live(), mine),
    )


def agent_home(session: Session, user: User, *, now: datetime) -> AgentHome:
    mine = Ticket.owner_id == user.id
    return AgentHome(_count(session, live(), mine), _count(session, overdue(now), mine), _urgent(session, live(), mine))


def _urgent(session: Session, *where) -> list[Ticket]:
    """The tickets due first."""
    stmt = sa.select(Ticket).where(*where).order_by(Ticket.due_at, Ticket.id).limit(URGENT_ROWS)
    return list(session.execute(stmt).scalars())
