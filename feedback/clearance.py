"""Weekly clearance: each department's problem list for an ISO week must be cleared, then signed off.

The list of week W = tickets opened in W (business time zone) plus those carried over out of W-1.
An item is cleared when closed before the week ends, or carried over by the head (reason, new due
date) into W+1's list. The head signs the list off once everything on it is cleared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from feedback import clock, history, mail, sla, tickets, users
from feedback.errors import Forbidden, Invalid, NotFound
from feedback.models import CarryOver, Department, Role, SignOff, Ticket, TicketStatus, User
from feedback.pareto import previous_week

MAX_REASON = 2000


def next_week(label: str) -> str:
    return clock.iso_week(clock.week_start(label) + timedelta(days=7))


def _members(week: str):
    """The ids on the week's list: opened in the week, or carried out of the week before."""
    start, end = clock.week_bounds(week)
    return sa.union(
        sa.select(Ticket.id.label("id")).where(Ticket.opened_at >= start, Ticket.opened_at < end),
        sa.select(CarryOver.ticket_id.label("id")).where(CarryOver.iso_week == previous_week(week)),
    ).subquery("members")


def _closed(week: str):
    return sa.and_(Ticket.status == TicketStatus.closed, Ticket.closed_at < clock.week_bounds(week)[1])


@dataclass
class DepartmentClearance:
    department: Department
    total: int = 0
    closed: int = 0
    carried: int = 0
    signed_by: str = ""
    signed_at: datetime | None = None

    @property
    def open(self) -> int:
        return self.total - self.closed - self.carried

    @property
    def rate(self) -> float | None:
        return (self.closed + self.carried) / self.total if self.total else None


def summary(session: Session, week: str) -> list[DepartmentClearance]:
    """Per department: items on the list, closed, carried over, and the sign-off (one grouped query)."""
    members, closed = _members(week), _closed(week)
    carried = sa.and_(CarryOver.id.is_not(None), sa.not_(closed))
    rows = session.execute(
        sa.select(Ticket.department_id, sa.func.count(), sa.func.sum(sa.case((closed, 1), else_=0)),
                  sa.func.sum(sa.case((carried, 1), else_=0)))
        .select_from(members).join(Ticket, Ticket.id == members.c.id)
        .outerjoin(CarryOver, sa.and_(CarryOver.ticket_id == Ticket.id, CarryOver.iso_week == week))
        .group_by(Ticket.department_id)
    ).all()
    figures = {d: (n, c or 0, k or 0) for d, n, c, k in rows}
    signed = {s.department_id: s for s in session.execute(sa.select(SignOff).where(SignOff.iso_week == week)).scalars()}
    names = dict(session.execute(sa.select(User.id, User.name).where(User.id.in_([s.by_id for s in signed.values()]))).all())
    out = []
    for department in session.execute(sa.select(Department).where(Department.active).order_by(Department.key)).scalars():
        total, done, moved = figures.get(department.id, (0, 0, 0))
        sign = signed.get(department.id)
        out.append(DepartmentClearance(department, total, done, moved, names.get(sign.by_id, "") if sign else "",
                                       sign.at if sign else None))
    return out


@dataclass
class Item:
    ticket: Ticket
    carried_in: bool  # on the list because it was carried out of last week
    weeks_carried: int  # how many weeks it has been carried so far (ageing)
    carry: CarryOver | None = None  # carried out of this week
    state: str = field(default="open")  # closed | carried | open


def week_list(session: Session, week: str, department_id: int | None) -> list[Item]:
    """The department's list for the week, not cleared first, oldest first."""
    members = _members(week)
    stmt = sa.select(Ticket).join(members, members.c.id == Ticket.id).order_by(Ticket.opened_at, Ticket.id)
    if department_id is not None:
        stmt = stmt.where(Ticket.department_id == department_id)
    found = list(session.execute(stmt).scalars())
    ids = [t.id for t in found]
    carries = list(session.execute(sa.select(CarryOver).where(CarryOver.ticket_id.in_(ids), CarryOver.iso_week <= week)).scalars())
    end = clock.week_bounds(week)[1]
    out = []
    for ticket in found:
        mine = [c for c in carries if c.ticket_id == ticket.id]
        this = next((c for c in mine if c.iso_week == week), None)
        closed = ticket.status == TicketStatus.closed and ticket.closed_at is not None and ticket.closed_at < end
        state = "closed" if closed else "carried" if this else "open"
        out.append(Item(ticket, any(c.iso_week == previous_week(week) for c in mine), len([c for c in mine if c.iso_week < week]),
                        this, state))
    out.sort(key=lambda i: (i.state != "open", i.ticket.opened_at, i.ticket.id))
    return out


def may_clear(user: User | None, department_id: int | None) -> bool:
    """Heads act on their own department's list; managers on every list."""
    if user is None or not user.active:
        return False
    return user.role == Role.manager or (user.role == Role.head and user.department_id == department_id)


def carry_over(session: Session, week: str, ref: str | int, reason: str, new_due: date, *, by: User,
               now: datetime) -> CarryOver:
    """Carry a ticket of the week's list into next week, with the reason and its new due date."""
    ticket = tickets.get_ticket(session, ref)
    if not may_clear(by, ticket.department_id):
        raise Forbidden(f"you may not carry over {ticket.number}")
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise Invalid(f"reason: required, at most {MAX_REASON} characters")
    if new_due <= clock.business_date(now):
        raise Invalid("new due date: must be after today")
    if ticket.status == TicketStatus.closed:
        raise Invalid(f"{ticket.number} is closed: nothing to carry over")
    if ticket.id not in {i.ticket.id for i in week_list(session, week, ticket.department_id)}:
        raise Invalid(f"{ticket.number} is not on the list of {week}")
    if session.execute(sa.select(CarryOver.id).where(CarryOver.ticket_id == ticket.id, CarryOver.iso_week == week)).first():
        raise Invalid(f"{ticket.number} is already carried over from {week}")
    due = datetime.combine(new_due, sla.settings().work_end, tzinfo=clock.business_tz()).astimezone(clock.UTC)
    row = CarryOver(ticket_id=ticket.id, iso_week=week, department_id=ticket.department_id, reason=reason,
                    new_due=new_due, by_id=by.id, at=now)
    session.add(row)
    history.record(session, [
        history.event(ticket.id, "carry_over", week, next_week(week), by=by, now=now, note=reason),
        history.event(ticket.id, "due_at", ticket.due_at, due, by=by, now=now),
    ])
    ticket.due_at, ticket.updated_at = due, now
    session.commit()
    return row


def sign_off(session: Session, week: str, department_key: str, *, by: User, now: datetime) -> SignOff:
    """The head signs off the department's list; everything on it must be cleared first."""
    department = session.execute(sa.select(Department).where(Department.key == department_key)).scalar_one_or_none()
    if department is None:
        raise NotFound(f"no department {department_key!r}")
    if not may_clear(by, department.id):
        raise Forbidden("only the department's head or a manager signs off its list")
    left = [i for i in week_list(session, week, department.id) if i.state == "open"]
    if left:
        raise Invalid(f"{len(left)} tickets on the list are not cleared yet: close them or carry them over")
    if session.execute(sa.select(SignOff.id).where(SignOff.iso_week == week, SignOff.department_id == department.id)).first():
        raise Invalid(f"{department.key} already signed off {week}")
    row = SignOff(iso_week=week, department_id=department.id, by_id=by.id, at=now)
    session.add(row)
    session.commit()
    return row


def render_mail(template: str, language: str | None, **context) -> str:
    """A mail template in the reader's language (a fresh app context, so no request or cached label is needed)."""
    from flask import current_app, render_template
    from flask_babel import force_locale

    with current_app.app_context(), force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return render_template(template, **context)


def remind(session: Session, week: str, *, config: dict, now: datetime) -> int:
    """Mail each head whose department still has uncleared items this week; returns how many mails went out."""
    outgoing = []
    for figures in summary(session, week):
        if not figures.open or figures.signed_at:
            continue
        left = [i for i in week_list(session, week, figures.department.id) if i.state == "open"]
        for head in users.heads_of(session, figures.department.id):
            text = render_mail("review/reminder.txt", head.language, week=week, department=figures.department, items=left)
            outgoing.append(mail.Outgoing(head.email, f"[{week}] {len(left)} tickets to clear today", text))
    return mail.send(config, outgoing)
