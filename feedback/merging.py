"""Merging two tickets about one problem, and splitting feedback off into a ticket of its own, with history."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from feedback import assign, grouping, history, search, sla, tickets
from feedback.errors import Invalid
from feedback.models import Feedback, Ticket, TicketStatus, TicketWord, User


def merge(session: Session, source_ref: str | int, into_ref: str | int, *, by: User, now: datetime) -> Ticket:
    """Move all feedback of `source` onto `into` and close `source` as merged; both must be managed by `by`."""
    source, into = tickets.get_ticket(session, source_ref), tickets.get_ticket(session, into_ref)
    tickets.require(by, source, "merge")
    tickets.require(by, into, "merge")
    if source.id == into.id:
        raise Invalid("a ticket cannot be merged into itself")
    if TicketStatus.closed in (source.status, into.status):
        raise Invalid("closed tickets cannot be merged")
    moved = session.execute(sa.update(Feedback).where(Feedback.ticket_id == source.id).values(ticket_id=into.id)).rowcount
    note = f"{moved} feedback"
    resolution = f"Merged into {tickets.number(into.id)}."
    events = [
        history.event(source.id, "merge", "", tickets.number(into.id), by=by, now=now, note=note),
        history.event(source.id, "status", source.status, TicketStatus.closed, by=by, now=now, note=resolution),
        history.event(into.id, "merge", tickets.number(source.id), "", by=by, now=now, note=note),
    ]
    source.status, source.closed_at, source.updated_at, source.feedback_count = TicketStatus.closed, now, now, 0
    source.resolution = source.resolution or resolution
    into.order_ref, into.updated_at = into.order_ref or source.order_ref, now
    events += _refresh(session, into, by=by, now=now)
    words = list(session.execute(sa.select(TicketWord.word).where(TicketWord.ticket_id == source.id)).scalars())
    search.add(session, {into.id: words})
    history.record(session, events)
    session.commit()
    return into


def split(session: Session, ref: str | int, feedback_ids: list[int], *, by: User, now: datetime) -> Ticket:
    """Move some feedback items of a ticket to a new ticket of the same category, routed by its department's rule."""
    ticket = tickets.get_ticket(session, ref)
    tickets.require(by, ticket, "split")
    if ticket.status == TicketStatus.closed:
        raise Invalid(f"{tickets.number(ticket.id)} is closed")
    held = set(session.execute(sa.select(Feedback.id).where(Feedback.ticket_id == ticket.id)).scalars())
    chosen = set(feedback_ids)
    if not chosen or not chosen <= held:
        raise Invalid("choose feedback items of this ticket to split off")
    if chosen == held:
        raise Invalid("leave at least one feedback item on the ticket")
    category = grouping.categories(session).get(ticket.category_id)
    items = sorted(grouping.read_items(session, sorted(chosen)), key=lambda i: (i.received_at, i.id))
    outcome = grouping.Outcome()
    grouping.insert_tickets(session, [grouping.NewTicket(category, items)], outcome, by=by, now=now)
    new_id = outcome.opened[0]
    events = [
        history.event(ticket.id, "split", "", tickets.number(new_id), by=by, now=now, note=f"{len(chosen)} feedback"),
        history.event(new_id, "split", tickets.number(ticket.id), "", by=by, now=now, note=f"{len(chosen)} feedback"),
    ]
    ticket.updated_at = now
    events += _refresh(session, ticket, by=by, now=now)
    remaining = grouping.read_items(session, sorted(held - chosen))
    search.replace(session, ticket.id, search.document_words(
        [ticket.title, *(i.customer + " " + i.contact + " " + i.subject + " " + i.text for i in remaining)],
        grouping.WORDS_PER_TICKET,
    ))
    history.record(session, events)
    session.commit()
    return session.get(Ticket, new_id)


def _refresh(session: Session, ticket: Ticket, *, by: User, now: datetime) -> list[dict]:
    session.flush()
    category = grouping.categories(session).get(ticket.category_id)
    figures = assign.figures_of(session, [ticket.id]).get(ticket.id)
    if figures is None:
        return []
    ticket.feedback_count = figures.count
    return assign.refresh(ticket, category, figures, sla.rules(session), by=by, now=now)
