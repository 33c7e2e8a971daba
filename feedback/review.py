"""The weekly review: built for an ISO week, read live while open, frozen into a snapshot when the manager closes it.

The snapshot holds the Pareto, the clearance figures, the KPI statuses and the open projects as
they were at closing, so a ticket edited later never rewrites what the review said.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from feedback import clearance, clock, kpi, mail, pareto, projects
from feedback.errors import Forbidden, Invalid, NotFound
from feedback.models import Role, User, WeeklyReview

JOB = "weekly-review"
REMINDER_JOB = "clearance-reminder"
MAX_NOTES = 20_000


def settings(config: dict) -> dict:
    return {"cut": float(config.get("PARETO_CUT", 0.8)), "margin": float(config.get("KPI_AT_RISK_MARGIN", 0.05))}


def build(session: Session, week: str, *, now: datetime, by: User | None = None) -> WeeklyReview:
    """The review of the week, created when missing (safe to call again); people building one must be managers."""
    if by is not None:
        _require_manager(by)
    found = get(session, week, required=False)
    if found is not None:
        return found
    review = WeeklyReview(iso_week=week, week_start=clock.week_start(week), status="open", created_at=now)
    session.add(review)
    session.commit()
    return review


def get(session: Session, week: str, *, required: bool = True) -> WeeklyReview | None:
    review = session.execute(sa.select(WeeklyReview).where(WeeklyReview.iso_week == week)).scalar_one_or_none()
    if review is None and required:
        raise NotFound(f"no weekly review for {week}")
    return review


def archive(session: Session) -> list[WeeklyReview]:
    return list(session.execute(sa.select(WeeklyReview).order_by(WeeklyReview.iso_week.desc())).scalars())


def live(session: Session, week: str, *, config: dict, now: datetime) -> dict:
    """What the review shows while open: computed now, in the same shape as the frozen snapshot."""
    cfg = settings(config)
    ranking = pareto.weekly(session, week, cut=cfg["cut"])
    statuses = kpi.week_statuses(session, week, margin=cfg["margin"], previous=True)
    start, end = kpi.week_range(week)
    return {
        "week": week,
        "pareto": pareto.as_dict(ranking),
        "clearance": [_clearance(c) for c in clearance.summary(session, week)],
        "kpis": [kpi_row(s) for s in statuses],
        "complaints_per_channel": kpi.complaints_per_channel(session, start, end),
        "projects": [_project(p) for p in projects.listing(session, now=now)],
        "breach_tickets": kpi.breach_tickets(session, week),
    }


def contents(session: Session, review: WeeklyReview, *, config: dict, now: datetime) -> dict:
    """The frozen snapshot of a closed review, else the live figures."""
    if review.status == "closed" and review.snapshot:
        return review.snapshot
    return live(session, review.iso_week, config=config, now=now)


def _clearance(c: clearance.DepartmentClearance) -> dict:
    return {"department": c.department.key, "name_en": c.department.name_en, "name_zh": c.department.name_zh,
            "total": c.total, "closed": c.closed, "carried": c.carried, "open": c.open,
            "rate": round(c.rate, 4) if c.rate is not None else None, "signed_by": c.signed_by,
            "signed_at": c.signed_at.isoformat() if c.signed_at else None}


def kpi_row(s: kpi.KPIStatus) -> dict:
    """A KPI status as the snapshot keeps it."""
    k = s.kpi
    return {"key": k.key, "name_en": k.name_en, "name_zh": k.name_zh, "unit": k.unit, "direction": k.direction,
            "target": k.target, "source": k.source, "department_id": k.department_id, "value": s.value,
            "previous": s.previous, "status": s.status}


def _project(v: projects.ProjectView) -> dict:
    p = v.project
    return {"id": p.id, "title": p.title, "status": p.status, "category": v.category.key if v.category else "",
            "owner": v.owner.name if v.owner else "", "kpi": v.kpi.key if v.kpi else "",
            "kpi_name_en": v.kpi.name_en if v.kpi else "", "kpi_name_zh": v.kpi.name_zh if v.kpi else "",
            "baseline": p.baseline_value, "goal": p.goal_value, "current": v.current, "movement": v.movement,
            "improving": v.improving, "due_date": p.due_date.isoformat() if p.due_date else None, "tickets": v.tickets}


def _require_manager(user: User) -> None:
    if user is None or user.role not in (Role.manager, Role.admin):
        raise Forbidden("only the service manager runs the weekly review")


def set_notes(session: Session, week: str, notes: str, *, by: User, now: datetime) -> WeeklyReview:
    """The manager's notes on an open review."""
    _require_manager(by)
    review = get(session, week)
    if review.status == "closed":
        raise Invalid(f"the review of {week} is closed")
    if len(notes or "") > MAX_NOTES:
        raise Invalid(f"notes: at most {MAX_NOTES} characters")
    review.notes = (notes or "").strip()
    session.commit()
    return review


def close(session: Session, week: str, *, by: User, config: dict, now: datetime, notes: str | None = None) -> WeeklyReview:
    """Freeze the review's figures and close it; the caller mails it (see `mail_review`)."""
    _require_manager(by)
    review = get(session, week)
    if review.status == "closed":
        raise Invalid(f"the review of {week} is already closed")
    if notes is not None:
        review.notes = notes.strip()[:MAX_NOTES]
    review.snapshot = live(session, week, config=config, now=now)
    review.status, review.closed_at, review.closed_by_id = "closed", now, by.id
    session.commit()
    return review


def recipients(session: Session) -> list[User]:
    """Heads and managers get the review mail."""
    return list(session.execute(sa.select(User).where(User.active, User.role.in_((Role.head, Role.manager)))
                                .order_by(User.email)).scalars())


def pareto_svg(snapshot: dict, *, title: str, cut_label: str = "", zh: bool = False):
    """The Pareto chart of a review's (live or frozen) figures, for the page and the mail."""
    from feedback import charts

    data = snapshot["pareto"]
    rows = [(r["name_zh"] if zh else r["name_en"], r["value"], r["cumulative"], r["vital"]) for r in data["rows"]]
    return charts.pareto_chart(rows, cut=data["cut"], title=title, cut_label=cut_label)


def mail_review(session: Session, review: WeeklyReview, *, config: dict) -> int:
    """Send the closed review (text, and HTML with the Pareto chart) to every head and manager."""
    snapshot = review.snapshot or {}
    context = {"review": review, "data": snapshot, "chart": pareto_svg(snapshot, title=f"Pareto {review.iso_week}")}
    subject = f"Weekly problem review {review.iso_week}"
    outgoing = [mail.Outgoing(user.email, subject, clearance.render_mail("email/review.txt", user.language, **context),
                              clearance.render_mail("email/review.html", user.language, **context))
                for user in recipients(session)]
    return mail.send(config, outgoing)


def week_under_review(now: datetime) -> str:
    """The ISO week before the business week of `now`."""
    return clock.iso_week(clock.business_date(now) - timedelta(days=7))


def scheduled_build(session: Session, *, config: dict, now: datetime) -> WeeklyReview | None:
    """The hourly "weekly-review" job: from REVIEW_WEEKDAY at REVIEW_HOUR on, build last week's review once
    (claimed by its ISO week, so a late or second scheduler does no harm) and open its KPI breach tickets."""
    from feedback import jobs

    local = clock.local(now)
    if (local.weekday(), local.hour) < (int(config.get("REVIEW_WEEKDAY", 0)), int(config.get("REVIEW_HOUR", 8))):
        return None
    week = week_under_review(now)
    kpi.check_breaches(session, week, margin=settings(config)["margin"], now=now)  # claimed per KPI and week
    if not jobs.claim(session, JOB, week, now=now, hold=True):
        return None
    review = build(session, week, now=now)
    session.commit()  # the held claim, also when the review was already there
    return review


def scheduled_reminder(session: Session, *, config: dict, now: datetime) -> int:
    """The hourly "clearance-reminder" job: on the week's last business day, from CLEARANCE_REMINDER_HOUR,
    mail heads what is not cleared yet, once per ISO week."""
    from feedback import jobs

    today = clock.business_date(now)
    if today != clock.last_business_day_of_week(today) or clock.local(now).hour < int(config.get("CLEARANCE_REMINDER_HOUR", 15)):
        return 0
    week = clock.iso_week(today)
    if not jobs.claim(session, REMINDER_JOB, week, now=now, hold=True):
        return 0
    sent = clearance.remind(session, week, config=config, now=now)
    session.commit()  # the held claim, after the mail went: a crash before resends rather than skips
    return sent
