"""Re-routing tickets when a person re-classifies feedback: the ticket follows the feedback's new category.

A ticket holding only that feedback changes category in place (department, owner, priority and
due date follow, number and history stay). A ticket holding more lets the item go, and the item
opens or joins a ticket of its new category. Feedback that is no longer a problem leaves its
ticket, and a ticket left with nothing is closed. Closed tickets are history and stay as they are.
Does not commit: the caller's transaction covers the category change and the re-routing together.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from feedback import assign, grouping, history, sla
from feedback.models import Category, Department, Feedback, Ticket, TicketStatus, User

EMPTIED = "Closed automatically: its only feedback was re-classified as not a problem."


def reroute_for_feedback(session: Session, feedback_ids: list[int], *, by: User | None, now: datetime) -> grouping.Outcome:
    """Re-route the tickets of re-classified feedback items."""
    found = grouping.categories(session)
    to_open, left = [], {}
    items = grouping.read_items(session, feedback_ids)
    tickets, counts = _tickets_and_counts(session, {i.ticket_id for i in items if i.ticket_id})
    for item in items:
        problem = grouping.is_problem(item, found)
        ticket = tickets.get(item.ticket_id)
        if ticket is None:
            to_open += [item.id] if problem else []
            continue
        if ticket.status == TicketStatus.closed or (problem and ticket.category_id == item.category_id):
            continue
        others = counts[ticket.id] - 1
        if problem and not others:
            _recategorize(session, ticket, found[item.category_id], by=by, now=now)
            continue
        _let_go(session, ticket, item, others, by=by, now=now)
        counts[ticket.id] = others  # the next item leaving the same ticket finds one fewer beside it
        to_open += [item.id] if problem else []
        left[item.id] = ticket.id
    session.flush()
    return grouping.open_for_feedback(session, to_open, by=by, now=now, left=left)


def _tickets_and_counts(session: Session, ticket_ids: set[int]) -> tuple[dict[int, Ticket], dict[int, int]]:
    """The tickets of a batch of items and how many feedback items each holds: two queries, not two per item."""
    if not ticket_ids:
        return {}, {}
    tickets = {t.id: t for t in session.execute(sa.select(Ticket).where(Ticket.id.in_(ticket_ids))).scalars()}
    counts = dict(session.execute(
        sa.select(Feedback.ticket_id, sa.func.count()).where(Feedback.ticket_id.in_(ticket_ids)).group_by(Feedback.ticket_id)
    ).all())
    return tickets, {t: counts.get(t, 0) for t in tickets}


def _let_go(session: Session, ticket: Ticket, item: grouping.Item, others: int, *, by: User | None, now: datetime) -> None:
    """Take the item off its ticket; close the ticket when nothing is left."""
    session.execute(sa.update(Feedback).where(Feedback.id == item.id).values(ticket_id=None))
    events = [history.event(ticket.id, "feedback", f"#{item.id} ({item.channel})", "", by=by, now=now, note="re-classified")]
    ticket.feedback_count, ticket.updated_at = others, now
    if not others:
        events.append(history.event(ticket.id, "status", ticket.status, TicketStatus.closed, by=by, now=now, note=EMPTIED))
        ticket.status, ticket.closed_at, ticket.resolution = TicketStatus.closed, now, ticket.resolution or EMPTIED
    history.record(session, events)


def _recategorize(session: Session, ticket: Ticket, category: Category, *, by: User | None, now: datetime) -> None:
    """Move a ticket to another category: department, owner, priority and due date follow."""
    old_category = session.get(Category, ticket.category_id) if ticket.category_id else None
    events = [history.event(ticket.id, "category", old_category.key if old_category else "", category.key, by=by, now=now)]
    if category.department_id != ticket.department_id:
        events += _move_department(session, ticket, category.department_id, by=by, now=now)
    figures = assign.figures_of(session, [ticket.id]).get(ticket.id)
    priority = assign.priority_for(
        category.severity, worst_rating=figures.worst_rating if figures else None,
        key_product=ticket.key_product, feedback_count=figures.count if figures else 1,
    )
    due = sla.due_at(ticket.opened_at, sla.hours_for(sla.rules(session), category, priority))
    if priority != ticket.priority:
        events.append(history.event(ticket.id, "priority", ticket.priority, priority, by=by, now=now))
    if due != ticket.due_at:
        events.append(history.event(ticket.id, "due_at", ticket.due_at, due, by=by, now=now))
    ticket.category_id, ticket.priority, ticket.due_at, ticket.updated_at = category.id, priority, due, now
    history.record(session, events)


def _move_department(session: Session, ticket: Ticket, department_id: int | None, *, by: User | None, now: datetime) -> list[dict]:
    old = session.get(Department, ticket.department_id) if ticket.department_id else None
    new = session.get(Department, department_id) if department_id else None
    owner = assign.Assigner(session, [department_id]).owner_for(department_id)
    previous = session.get(User, ticket.owner_id) if ticket.owner_id else None
    events = [history.event(ticket.id, "department", old.key if old else "", new.key if new else "", by=by, now=now)]
    if (owner.id if owner else None) != ticket.owner_id:
        events.append(history.event(ticket.id, "owner", previous.name if previous else "", owner.name if owner else "", by=by, now=now))
        if owner is not None and (by is None or owner.id != by.id):  # the new owner hears of it, as on any assignment
            assign.notify_owners(session, [(ticket.id, owner.id)], now=now)
    ticket.department_id, ticket.owner_id = department_id, owner.id if owner else None
    return events
