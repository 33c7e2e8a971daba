"""Ticket mail, in each person's language: the notice to a ticket's new owner and the daily overdue digest.

Both only write outbox rows (see outbox.py); the "outbox" job sends them. Composing needs the app
(templates, translations) and runs in the job's app context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session

from feedback import clock, jobs, outbox, ticket_lists, tickets
from feedback.models import Category, Department, Outbox, Role, Ticket, User

DIGEST_JOB = "overdue-digest"


def link(endpoint: str, **values) -> str:
    """An absolute link into the tracker for a mail, or "" when BASE_URL is not set."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + current_app.url_map.bind("localhost").build(endpoint, values) if base else ""


def _render(name: str, language: str, subject, **context) -> tuple[str, str, str]:
    """Subject, text and HTML in `language`; a fresh app context so no label cached in `g` leaks across languages."""
    with current_app.app_context(), force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return subject(), render_template(f"email/{name}.txt", **context), render_template(f"email/{name}.html", **context)


@dataclass
class Assigned:
    """One ticket in an assignment notice, with the names it is shown with."""

    t: Ticket
    number: str
    category: Category | None
    department: Department | None
    url: str


def compose_assigned(session: Session, rows: list[Outbox]) -> tuple[str, str, str]:
    """One notice for one owner's queued assignments, from the tickets as they are now (missing ones left out)."""
    ids = sorted({tickets.ticket_id(r.ticket_number) for r in rows})
    found = list(session.execute(sa.select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)).scalars())
    if not found:
        raise LookupError(f"no ticket {', '.join(r.ticket_number for r in rows)}")
    categories = {c.id: c for c in session.execute(sa.select(Category)).scalars()}
    departments = {d.id: d for d in session.execute(sa.select(Department)).scalars()}
    items = [Assigned(t, tickets.number(t.id), categories.get(t.category_id), departments.get(t.department_id),
                      link("tickets.detail", ticket_id=t.id)) for t in found]
    first = items[0]

    def subject() -> str:
        if len(items) == 1:
            return _("%(number)s is yours: %(title)s", number=first.number, title=first.t.title)
        return _("%(count)d tickets are now yours", count=len(items))

    return _render("assigned", rows[0].language, subject, items=items, mine=link("tickets.index", view="mine"))


def send_pending(session: Session, *, now: datetime):
    """The "outbox" job: send what is due (assignment notices are composed on the way)."""
    return outbox.send_pending(session, current_app.config, now=now, compose=compose_assigned)


@dataclass
class Section:
    """Overdue tickets of one person or one department: the count and the first few, due first."""

    count: int
    tickets: list[Ticket]
    url: str
    department: Department | None = None


@dataclass
class Digest:
    user: User
    sections: list[Section] = field(default_factory=list)


def digests(session: Session, *, now: datetime, limit: int = 20) -> list[Digest]:
    """Who has overdue tickets today: each owner their own, each head their department's (one digest each)."""
    late = ticket_lists.overdue(now)
    own = dict(session.execute(
        sa.select(Ticket.owner_id, sa.func.count()).where(late, Ticket.owner_id.is_not(None)).group_by(Ticket.owner_id)).all())
    by_department = dict(session.execute(
        sa.select(Ticket.department_id, sa.func.count()).where(late, Ticket.department_id.is_not(None))
        .group_by(Ticket.department_id)).all())
    people = session.execute(sa.select(User).where(User.active, User.email != "", sa.or_(
        User.id.in_(list(own)), sa.and_(User.role == Role.head, User.department_id.in_(list(by_department))),
    )).order_by(User.id)).scalars()
    found = []
    for user in people:
        digest = Digest(user)
        if user.id in own:
            digest.sections.append(Section(own[user.id], _first(session, late, Ticket.owner_id == user.id, limit),
                                           link("tickets.index", view="overdue", owner="me")))
        if user.role == Role.head and user.department_id in by_department:
            department = session.get(Department, user.department_id)
            digest.sections.append(Section(
                by_department[user.department_id], _first(session, late, Ticket.department_id == user.department_id, limit),
                link("tickets.index", view="overdue", department=department.key), department))
        found.append(digest)
    return found


def _first(session: Session, late, condition, limit: int) -> list[Ticket]:
    return list(session.execute(
        sa.select(Ticket).where(late, condition).order_by(Ticket.due_at, Ticket.id).limit(limit)).scalars())


def queue_digest(session: Session, *, now: datetime) -> int:
    """The "overdue-digest" job: once per business day from DIGEST_HOUR, one mail per person with overdue tickets."""
    config = current_app.config
    local = clock.local(now)
    day = local.date()
    if local.hour < config["DIGEST_HOUR"] or not clock.is_business_day(day):
        return 0
    if not jobs.claim(session, DIGEST_JOB, day.isoformat(), now=now, hold=True):
        return 0
    rows = [_digest_row(d, day.isoformat(), now) for d in digests(session, now=now, limit=config["DIGEST_MAX_TICKETS"])]
    queued = outbox.enqueue(session, rows, now=now)
    session.commit()
    return queued


def _digest_row(digest: Digest, day: str, now: datetime) -> dict:
    total = sum(s.count for s in digest.sections)
    subject, text, html = _render(
        "digest", digest.user.language or "", lambda: _("Overdue tickets: %(count)d", count=total),
        user=digest.user, sections=digest.sections, now=now, day=day,
    )
    return {"dedupe_key": f"digest:{day}:{digest.user.id}", "kind": "digest", "user_id": digest.user.id,
            "to": digest.user.email, "language": digest.user.language or "", "subject": subject, "text": text, "html": html}
