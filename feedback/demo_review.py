"""Demo weekly reviews for `make run`: eight weeks of imported KPI values, then the two weeks before this
one reviewed through the real services — carry-overs, a project from the top Pareto item, closed by the manager."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from feedback import clearance, clock, kpi, pareto, projects, review
from feedback.models import KPI, Role, User

REASONS = ["Waiting for the supplier's answer", "Courier investigation still open", "Refund needs finance approval"]


def load(session: Session, *, now: datetime, config: dict, seed: int = 9) -> int:
    """Create the demo reviews; returns how many were closed (0 without a demo manager)."""
    rng = random.Random(seed)
    manager = session.execute(sa.select(User).where(User.role == Role.manager, User.active).order_by(User.id)).scalars().first()
    if manager is None:
        return 0
    this_week = clock.iso_week(clock.business_date(now))
    _kpi_values(session, this_week, rng, now=now)
    closed = 0
    for back in (2, 1):
        week = clock.iso_week(clock.week_start(this_week) - timedelta(days=7 * back))
        review.build(session, week, now=now)
        _carry_some(session, week, rng, now=now)
        kpi.check_breaches(session, week, margin=review.settings(config)["margin"], now=now)
        _project_from_top(session, week, manager, rng, now=now)
        review.close(session, week, by=manager, config=config, now=now,
                     notes=f"{week}: the vital few stay delivery and service problems; projects follow up.")
        closed += 1
    return closed


def _kpi_values(session: Session, this_week: str, rng: random.Random, *, now: datetime) -> None:
    """A weekly value for every imported KPI over the last eight weeks, near its target."""
    monday = clock.week_start(this_week)
    for found in session.execute(sa.select(KPI).where(KPI.source == "imported")).scalars().all():
        if found.key in kpi.COMPUTED or found.target is None:
            continue
        for back in range(8, 0, -1):
            start = monday - timedelta(days=7 * back)
            wobble = 1 + rng.uniform(-0.07, 0.05) * (1 if found.direction == "higher" else -1)
            amount = round(found.target * wobble, 2)
            if found.unit == "%":
                amount = min(amount, 100.0)
            kpi.set_value(session, found.key, start, start + timedelta(days=6), amount, by=None, now=now, commit=False)
    session.commit()


def _carry_some(session: Session, week: str, rng: random.Random, *, now: datetime) -> None:
    """Each department head carries one open ticket of the week over, with a reason and a new due date."""
    for figures in clearance.summary(session, week):
        head = session.execute(sa.select(User).where(User.role == Role.head, User.department_id == figures.department.id)
                               ).scalars().first()
        waiting = [i for i in clearance.week_list(session, week, figures.department.id) if i.state == "open"]
        if head is None or not waiting:
            continue
        due = clock.business_date(now) + timedelta(days=rng.randint(3, 10))
        clearance.carry_over(session, week, waiting[0].ticket.id, rng.choice(REASONS), due, by=head, now=now)


def _project_from_top(session: Session, week: str, manager: User, rng: random.Random, *, now: datetime) -> None:
    """An improvement project for the week's top problem, owned by its department's head."""
    top = next(iter(pareto.weekly(session, week).rows), None)
    if top is None:
        return
    owner = session.execute(sa.select(User).where(User.role == Role.head, User.department_id == top.department_id)
                            ).scalars().first() or manager
    target = top.kpi_keys[0] if top.kpi_keys else ""
    goal = session.execute(sa.select(KPI.target).where(KPI.key == target)).scalar() if target else None
    data = projects.ProjectIn(f"Fewer “{top.name_en}” complaints", top.key, owner.id, target, goal,
                              clock.business_date(now) + timedelta(days=rng.randint(30, 60)),
                              projects.week_ticket_refs(session, week, top.key, limit=10))
    projects.open_project(session, week, data, by=manager, now=now)
