"""Tickets: who may do what, and every change a person makes — each one a TicketEvent.

The rules live here and only here: the pages, the API, the CLI and bulk actions all call these
functions. Closing needs a resolution and is allowed only to the head of the ticket's department or
a manager.
"""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from feedback import assign, grouping, history, outbox, sla
from feedback.errors import Forbidden, Invalid, NotFound
from feedback.grouping import open_for_feedback  # noqa: F401  (intake calls tickets.open_for_feedback)
from feedback.models import Priority, Role, Ticket, TicketStatus, User
from feedback.reroute import reroute_for_feedback  # noqa: F401  (classification calls tickets.reroute_for_feedback)

NUMBER = re.compile(r"^\s*(?:FB-?)?0*(\d{1,9})\s*$", re.IGNORECASE)
ACTIONS = ("view", "comment", "start", "resolve", "close", "reopen", "reassign", "prioritize", "merge", "split")
# Which statuses each workflow action starts from, and where it leads.
TRANSITIONS = {
    "start": ((TicketStatus.open,), TicketStatus.in_progress),
    "resolve": ((TicketStatus.open, TicketStatus.in_progress), TicketStatus.resolved),
    "close": ((TicketStatus.open, TicketStatus.in_progress, TicketStatus.resolved), TicketStatus.closed),
    "reopen": ((TicketStatus.resolved, TicketStatus.closed), TicketStatus.open),
}
LIVE = (TicketStatus.open, TicketStatus.in_progress, TicketStatus.resolved)
MAX_TEXT = 10_000


def configure(config: dict) -> None:
    """Working hours, SLA factors and the grouping window from app config."""
    sla.configure(config)
    grouping.configure(config)


def number(ticket_id: int) -> str:
    return f"FB-{ticket_id:06d}"


def ticket_id(ref: str | int) -> int:
    """The id in a ticket reference: 123, "123", "FB-000123" or "fb123"."""
    match = NUMBER.match(str(ref))
    if not match:
        raise NotFound(f"no ticket {ref}")
    return int(match.group(1))


def get_ticket(session: Session, ref: str | int) -> Ticket:
    ticket = session.get(Ticket, ticket_id(ref))
    if ticket is None:
        raise NotFound(f"no ticket {ref}")
    return ticket


def actor(session: Session, email: str) -> User:
    """The active user acting from the command line."""
    user = session.execute(sa.select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
    if user is None or not user.active:
        raise NotFound(f"no active user {email}")
    return user


# --- permissions -----------------------------------------------------------------------------


def manages(user: User | None, ticket: Ticket) -> bool:
    """Managers manage every ticket; a head manages the tickets of their own department."""
    if user is None or not user.active:
        return False
    return user.role == Role.manager or (user.role == Role.head and user.department_id == ticket.department_id)


def may(user: User | None, ticket: Ticket, action: str) -> bool:
    """Whether `user` may take `action` on `ticket` at all (whatever its status)."""
    if user is None or not user.active:
        return False
    if action == "view":
        return True
    if action == "comment":
        return user.role != Role.viewer
    if action in ("start", "resolve"):
        return manages(user, ticket) or (ticket.owner_id is not None and ticket.owner_id == user.id)
    return action in ACTIONS and manages(user, ticket)


def require(user: User | None, ticket: Ticket, action: str) -> None:
    if not may(user, ticket, action):
        raise Forbidden(f"you may not {action} {number(ticket.id)}")


def available(user: User | None, ticket: Ticket) -> set[str]:
    """The actions a page should offer: permitted, and possible in the ticket's status."""
    possible = {a for a, (sources, _) in TRANSITIONS.items() if ticket.status in sources}
    possible |= {"view", "comment"} | ({"reassign", "prioritize", "merge", "split"} if ticket.status in LIVE else set())
    return {a for a in possible if may(user, ticket, a)}


# --- workflow --------------------------------------------------------------------------------


def _move(ticket: Ticket, action: str, *, by: User, now: datetime, note: str = "") -> list[dict]:
    """Check permission and status, change the status; returns the event rows."""
    require(by, ticket, action)
    sources, target = TRANSITIONS[action]
    if ticket.status not in sources:
        raise Invalid(f"{number(ticket.id)} is {ticket.status}: cannot {action}")
    events = [history.event(ticket.id, "status", ticket.status, target, by=by, now=now, note=note)]
    ticket.status, ticket.updated_at = target, now
    return events


def start(session: Session, ref: str | int, *, by: User, now: datetime) -> Ticket:
    """Someone is working on it: open → in progress."""
    ticket = get_ticket(session, ref)
    history.record(session, _move(ticket, "start", by=by, now=now))
    session.commit()
    return ticket


def resolve(session: Session, ref: str | int, resolution: str = "", *, by: User, now: datetime) -> Ticket:
    """The problem is solved, awaiting the head's close; a resolution may be written already."""
    ticket = get_ticket(session, ref)
    text = _text(resolution, "resolution", required=False)
    events = _move(ticket, "resolve", by=by, now=now)
    events += _set_resolution(ticket, text, by=by, now=now)
    ticket.resolved_at = now
    history.record(session, events)
    session.commit()
    return ticket


def close_ticket(session: Session, ref: str | int, resolution: str, *, by: User, now: datetime) -> Ticket:
    """Close a ticket with its resolution; only its department's head or a manager may."""
    ticket = get_ticket(session, ref)
    history.record(session, _close(ticket, resolution, by=by, now=now))
    session.commit()
    return ticket


def _close(ticket: Ticket, resolution: str, *, by: User, now: datetime) -> list[dict]:
    require(by, ticket, "close")
    text = _text(resolution, "resolution", required=False)
    if not text and not ticket.resolution.strip():
        raise Invalid("resolution: closing needs a resolution")
    events = _move(ticket, "close", by=by, now=now)
    events += _set_resolution(ticket, text, by=by, now=now)
    ticket.closed_at = now
    ticket.resolved_at = ticket.resolved_at or now
    return events


def _set_resolution(ticket: Ticket, text: str, *, by: User, now: datetime) -> list[dict]:
    if not text or text == ticket.resolution:
        return []
    event = history.event(ticket.id, "resolution", ticket.resolution, text, by=by, now=now)
    ticket.resolution = text
    return [event]


def reopen(session: Session, ref: str | int, reason: str, *, by: User, now: datetime) -> Ticket:
    """Back to open, with the reason why; the resolution stays in the history."""
    ticket = get_ticket(session, ref)
    require(by, ticket, "reopen")
    note = _text(reason, "reason")
    events = _move(ticket, "reopen", by=by, now=now, note=note)
    ticket.resolved_at = ticket.closed_at = None
    history.record(session, events)
    session.commit()
    return ticket


def comment(session: Session, ref: str | int, text: str, *, by: User, now: datetime) -> Ticket:
    """An internal comment: seen by staff only, kept in the history."""
    ticket = get_ticket(session, ref)
    require(by, ticket, "comment")
    history.record(session, [history.event(ticket.id, "comment", "", _text(text, "comment"), by=by, now=now)])
    ticket.updated_at = now
    session.commit()
    return ticket


def _text(value: str | None, name: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(f"{name}: required")
    if len(text) > MAX_TEXT:
        raise Invalid(f"{name}: at most {MAX_TEXT} characters")
    return text


def reassign(session: Session, ref: str | int, owner_id: int | None, *, by: User, now: datetime) -> Ticket:
    """Give the ticket to someone of its department (None: back to the department queue)."""
    ticket = get_ticket(session, ref)
    history.record(session, _reassign(session, ticket, owner_id, by=by, now=now))
    session.commit()
    return ticket


def _reassign(session: Session, ticket: Ticket, owner_id: int | None, *, by: User, now: datetime) -> list[dict]:
    require(by, ticket, "reassign")
    if ticket.status == TicketStatus.closed:
        raise Invalid(f"{number(ticket.id)} is closed")
    owner = _owner(session, ticket, owner_id)
    if owner_id == ticket.owner_id:
        return []
    old = session.get(User, ticket.owner_id) if ticket.owner_id else None
    ticket.owner_id, ticket.updated_at = owner_id, now
    if owner is not None and owner.id != by.id:  # nobody needs a mail about what they just did themselves
        outbox.enqueue_assigned(session, [(ticket.id, owner.id)], now=now)
    return [history.event(ticket.id, "owner", old.name if old else "", owner.name if owner else "", by=by, now=now)]


def _owner(session: Session, ticket: Ticket, owner_id: int | None) -> User | None:
    """The new owner: an active head or agent of the ticket's department, or a manager."""
    if owner_id is None:
        return None
    owner = session.get(User, owner_id)
    works_here = owner is not None and owner.role in assign.WORKER_ROLES and owner.department_id == ticket.department_id
    if owner is None or not owner.active or not (works_here or owner.role == Role.manager):
        raise Invalid("owner: must be an active head or agent of the ticket's department, or a manager")
    return owner


def set_priority(session: Session, ref: str | int, priority: str, *, by: User, now: datetime) -> Ticket:
    """Change the priority by hand; the due date follows the SLA of the new priority."""
    ticket = get_ticket(session, ref)
    require(by, ticket, "prioritize")
    if priority not in {p.value for p in Priority}:
        raise Invalid(f"priority: one of {', '.join(p.value for p in Priority)}")
    if ticket.status == TicketStatus.closed:
        raise Invalid(f"{number(ticket.id)} is closed")
    if priority != ticket.priority:
        category = grouping.categories(session).get(ticket.category_id)
        due = sla.due_at(ticket.opened_at, sla.hours_for(sla.rules(session), category, priority))
        events = [history.event(ticket.id, "priority", ticket.priority, priority, by=by, now=now)]
        if due != ticket.due_at:
            events.append(history.event(ticket.id, "due_at", ticket.due_at, due, by=by, now=now))
        ticket.priority, ticket.due_at, ticket.updated_at = priority, due, now
        history.record(session, events)
        session.commit()
    return ticket


def bulk_close(session: Session, refs: list[str | int], resolution: str, *, by: User, now: datetime) -> int:
    """Close many tickets with one resolution: all or none (one refusal changes nothing)."""
    chosen = _many(session, refs)
    events = [e for ticket in chosen for e in _close(ticket, resolution, by=by, now=now)]
    history.record(session, events)
    session.commit()
    return len(chosen)


def bulk_reassign(session: Session, refs: list[str | int], owner_id: int | None, *, by: User, now: datetime) -> int:
    """Give many tickets to one owner: all or none."""
    chosen = _many(session, refs)
    events = [e for ticket in chosen for e in _reassign(session, ticket, owner_id, by=by, now=now)]
    history.record(session, events)
    session.commit()
    return len(chosen)


def _many(session: Session, refs: list[str | int]) -> list[Ticket]:
    ids = sorted({ticket_id(r) for r in refs})
    if not ids:
        raise Invalid("choose at least one ticket")
    found = list(session.execute(sa.select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)).scalars())
    if len(found) != len(ids):
        raise NotFound("some of the chosen tickets do not exist")
    return found
