"""Opening tickets from feedback: one per problem, grouped across channels, routed to an owner.

A new problem feedback joins the customer's ticket that is not closed yet when it names the same
order, or comes from the same contact about the same category within the grouping window; otherwise
it opens a ticket. Set-based: a handful of queries per intake batch, never one per row. The caller
commits (intake commits each batch, classification its own change).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from feedback import assign, history, search, sla
from feedback.models import Category, Feedback, Ticket, TicketStatus, User

NO_TICKET = ("praise", "other")  # praise needs no work; "other" waits in triage for a person
TITLE_LENGTH = 200
TEXT_FOR_SEARCH = 400  # characters of each item's text put in the search index
WORDS_PER_TICKET = 48
WORDS_PER_ITEM = 24


@dataclass(frozen=True)
class Settings:
    window: timedelta = timedelta(days=7)


_settings = Settings()


def configure(config: dict) -> Settings:
    """The grouping window from app config (TICKET_GROUPING_DAYS)."""
    global _settings
    _settings = Settings(window=timedelta(days=float(config.get("TICKET_GROUPING_DAYS", 7))))
    return _settings


@dataclass
class Outcome:
    """What opening did: tickets opened, tickets that gained feedback, and owners to tell."""

    opened: list[int] = field(default_factory=list)
    attached: list[int] = field(default_factory=list)
    assigned: list[tuple[int, int]] = field(default_factory=list)  # (ticket id, owner id)


@dataclass
class Item:
    """A feedback row as grouping reads it."""

    id: int
    channel: str
    received_at: datetime
    category_id: int | None
    ticket_id: int | None
    not_a_problem: str
    contact: str
    order_ref: str
    customer: str
    rating: int | None
    key_product: bool
    subject: str
    text: str


@dataclass
class NewTicket:
    category: Category
    items: list[Item]


def is_problem(item, categories: dict[int, Category]) -> bool:
    """Problem feedback gets a ticket: classified into a department's category, not praise or other."""
    category = categories.get(item.category_id)
    return (
        category is not None and category.key not in NO_TICKET and category.department_id is not None
        and not item.not_a_problem
    )


def problem_category_ids(session: Session) -> set[int]:
    """The categories whose feedback is a problem (see is_problem)."""
    return {c.id for c in categories(session).values() if c.key not in NO_TICKET and c.department_id is not None}


def categories(session: Session) -> dict[int, Category]:
    return {c.id: c for c in session.execute(sa.select(Category)).scalars()}


def open_for_feedback(session: Session, feedback_ids: list[int], *, by: User | None = None, now: datetime,
                      left: dict[int, int] | None = None) -> Outcome:
    """Open or join a ticket for each problem among these feedback items (without a ticket yet).

    `left` maps a feedback id to the ticket a person just took it off, which it must not join again.
    """
    outcome = Outcome()
    if not feedback_ids:
        return outcome
    items = read_items(session, feedback_ids)
    _count_follow_ups(session, [i for i in items if i.ticket_id], by=by, now=now)
    found = categories(session)
    problems = sorted((i for i in items if i.ticket_id is None and is_problem(i, found)), key=lambda i: (i.received_at, i.id))
    if not problems:
        return outcome
    matcher = Matcher(session, problems)
    new: list[NewTicket] = []
    joining: dict[int, list[Item]] = {}
    for item in problems:
        target = matcher.find(item, avoid=(left or {}).get(item.id))
        if target is None:
            target = NewTicket(found[item.category_id], [])
            new.append(target)
        if isinstance(target, NewTicket):
            target.items.append(item)
        else:
            joining.setdefault(target, []).append(item)
        matcher.remember(target, item)
    insert_tickets(session, new, outcome, by=by, now=now)
    _join(session, joining, found, outcome, by=by, now=now)
    return outcome


def read_items(session: Session, feedback_ids: list[int]) -> list[Item]:
    """The rows grouping reads, for these feedback ids."""
    f = Feedback.__table__.c
    rows = session.connection().execute(
        sa.select(
            f.id, f.channel, f.received_at, f.category_id, f.ticket_id, f.not_a_problem, f.contact, f.order_ref,
            f.customer, f.rating, f.key_product_alert, f.subject, sa.func.substr(f.text, 1, TEXT_FOR_SEARCH),
        ).where(f.id.in_(feedback_ids))
    )
    return [Item(*row) for row in rows]


class Matcher:
    """Finds the ticket a feedback item joins: by order, else by contact and category within the window."""

    def __init__(self, session: Session, items: list[Item]):
        self.window = _settings.window
        self.by_order: dict[str, int | NewTicket] = {}
        self.by_contact: dict[tuple[str, int], list[tuple[int | NewTicket, datetime]]] = {}
        orders = {i.order_ref for i in items if i.order_ref}
        if orders:
            for ticket_id, order in session.execute(
                sa.select(Ticket.id, Ticket.order_ref).where(Ticket.order_ref.in_(orders), Ticket.status != TicketStatus.closed)
                .order_by(Ticket.id)
            ):
                self.by_order[order] = ticket_id
        contacts = {i.contact for i in items if i.contact}
        if contacts:
            self._read_contacts(session, contacts, items)

    def _read_contacts(self, session: Session, contacts: set[str], items: list[Item]) -> None:
        earliest = min(i.received_at for i in items) - self.window
        latest = max(i.received_at for i in items) + self.window
        rows = session.execute(
            sa.select(Ticket.id, Ticket.category_id, Feedback.contact, sa.func.max(Feedback.received_at))
            .join(Ticket, Ticket.id == Feedback.ticket_id)
            .where(Feedback.contact.in_(contacts), Ticket.status != TicketStatus.closed,
                   Feedback.received_at >= earliest, Feedback.received_at <= latest)
            .group_by(Ticket.id, Ticket.category_id, Feedback.contact)
            .order_by(Ticket.id)
        )
        for ticket_id, category_id, contact, last in rows:
            self.by_contact.setdefault((contact, category_id), []).append((ticket_id, last))

    def find(self, item: Item, avoid: int | None = None) -> int | NewTicket | None:
        if item.order_ref and self.by_order.get(item.order_ref, avoid) != avoid:
            return self.by_order[item.order_ref]
        candidates = self.by_contact.get((item.contact, item.category_id), []) if item.contact else []
        near = [t for t, last in candidates if abs(item.received_at - last) <= self.window and t != avoid]
        return near[-1] if near else None

    def remember(self, target: int | NewTicket, item: Item) -> None:
        """Later items of the batch find what earlier ones joined or opened."""
        if item.order_ref:
            self.by_order.setdefault(item.order_ref, target)
        if item.contact:
            category_id = target.category.id if isinstance(target, NewTicket) else item.category_id
            self.by_contact.setdefault((item.contact, category_id), []).append((target, item.received_at))


def title_of(item: Item) -> str:
    """The subject, else the first line of the text."""
    text = item.subject.strip() or next((line.strip() for line in item.text.splitlines() if line.strip()), "")
    return (text or f"#{item.id}")[:TITLE_LENGTH]


def insert_tickets(session: Session, new: list[NewTicket], outcome: Outcome, *, by: User | None, now: datetime) -> None:
    """Insert the batch's new tickets in one statement, then point their feedback at them."""
    if not new:
        return
    assigner = assign.Assigner(session, [t.category.department_id for t in new])
    rules, due = sla.rules(session), sla.DueDates()
    owners = [assigner.owner_for(t.category.department_id) for t in new]
    rows = [_ticket_row(t, owner, rules, due, now) for t, owner in zip(new, owners)]
    ids = _insert_ticket_rows(session, rows)
    events, links, index = [], [], {}
    for ticket_id, ticket, owner, row in zip(ids, new, owners, rows):
        first = ticket.items[0]
        events.append(history.event(ticket_id, "status", "", TicketStatus.open, by=by, now=now,
                                    note=f"feedback #{first.id} ({first.channel})"))
        if owner:
            events.append(history.event(ticket_id, "owner", "", owner.name, by=by, now=now))
            outcome.assigned.append((ticket_id, owner.id))
        events += [history.event(ticket_id, "feedback", "", f"#{i.id} ({i.channel})", by=by, now=now) for i in ticket.items[1:]]
        links += [{"fid": i.id, "tid": ticket_id} for i in ticket.items]
        index[ticket_id] = search.document_words(
            [row["title"], first.customer, first.contact, row["order_ref"], *(i.subject + " " + i.text for i in ticket.items)],
            WORDS_PER_TICKET,
        )
    _link(session, links)
    history.record(session, events)
    search.add(session, index)
    assign.notify_owners(session, outcome.assigned, now=now)  # mail to each new owner, via the outbox
    outcome.opened += ids


def _insert_ticket_rows(session: Session, rows: list[dict]) -> list[int]:
    """Insert ticket rows in one statement; their ids in row order.

    SQLite cannot return ids in parameter order, so SQLAlchemy would send one INSERT per ticket (a
    bulk import opens tens of thousands); one executemany holds the write lock throughout, so its
    rows take consecutive ids ending at last_insert_rowid().
    """
    table, connection = Ticket.__table__, session.connection()
    if connection.dialect.name != "sqlite":
        return connection.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
    connection.execute(sa.insert(table), rows)
    last = connection.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
    return list(range(last - len(rows) + 1, last + 1))


def _ticket_row(ticket: NewTicket, owner: User | None, rules: sla.Rules, due: sla.DueDates, now: datetime) -> dict:
    """A new ticket's row: title, priority and due date from its first feedback, owner by the rule."""
    first, category = ticket.items[0], ticket.category
    priority = assign.priority_of(category, ticket.items)
    return {
        "title": title_of(first), "category_id": category.id, "department_id": category.department_id,
        "owner_id": owner.id if owner else None, "priority": priority, "status": TicketStatus.open,
        "contact": first.contact, "order_ref": next((i.order_ref for i in ticket.items if i.order_ref), ""),
        "due_at": due(first.received_at, sla.hours_for(rules, category, priority)),
        "opened_at": first.received_at, "updated_at": now, "resolution": "",
        "feedback_count": len(ticket.items), "key_product": any(i.key_product for i in ticket.items),
    }


def _link(session: Session, links: list[dict]) -> None:
    """Set Feedback.ticket_id for many rows in one executemany."""
    if links:
        f = Feedback.__table__
        session.connection().execute(
            sa.update(f).where(f.c.id == sa.bindparam("fid")).values(ticket_id=sa.bindparam("tid")), links
        )


def _join(session: Session, joining: dict[int, list[Item]], found: dict[int, Category], outcome: Outcome,
          *, by: User | None, now: datetime) -> None:
    """Attach items to existing tickets: counts, priority (never lowered) and due date follow."""
    if not joining:
        return
    _link(session, [{"fid": i.id, "tid": t} for t, items in joining.items() for i in items])
    events = []
    rules = sla.rules(session)
    figures = assign.figures_of(session, list(joining))
    for ticket in session.execute(sa.select(Ticket).where(Ticket.id.in_(list(joining)))).scalars():
        items = joining[ticket.id]
        events += [history.event(ticket.id, "feedback", "", f"#{i.id} ({i.channel})", by=by, now=now) for i in items]
        events += assign.refresh(ticket, found.get(ticket.category_id), figures.get(ticket.id), rules, by=by, now=now)
        ticket.order_ref = ticket.order_ref or next((i.order_ref for i in items if i.order_ref), "")
        ticket.updated_at = now
    history.record(session, events)
    search.add(session, {
        t: search.document_words([i.customer + " " + i.subject + " " + i.text for i in items], WORDS_PER_ITEM)
        for t, items in joining.items()
    })
    outcome.attached += list(joining)


def _count_follow_ups(session: Session, items: list[Item], *, by: User | None, now: datetime) -> None:
    """Replies that intake already joined to a ticket: recount it and note them in its history."""
    if not items:
        return
    counts = dict(session.execute(
        sa.select(Feedback.ticket_id, sa.func.count()).where(Feedback.ticket_id.in_({i.ticket_id for i in items}))
        .group_by(Feedback.ticket_id)
    ).all())
    t = Ticket.__table__
    session.connection().execute(
        sa.update(t).where(t.c.id == sa.bindparam("tid")).values(feedback_count=sa.bindparam("n"), updated_at=now),
        [{"tid": tid, "n": n} for tid, n in counts.items()],
    )
    history.record(session, [
        history.event(i.ticket_id, "feedback", "", f"#{i.id} ({i.channel})", by=by, now=now, note=i.not_a_problem)
        for i in items
    ])
