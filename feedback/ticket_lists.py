"""Reading tickets: the filtered, sorted, paginated lists, one ticket with everything on it, and CSV rows.

The working lists (everything but "all") read tickets not yet closed, so the condition is written
as the literal `status != 'closed'` that the partial indexes of the ticket table are built on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session

from feedback import clock, reference, search, tickets
from feedback.errors import Invalid, NotFound
from feedback.models import Category, Department, Feedback, Priority, Ticket, TicketEvent, TicketStatus, User
from feedback.pagination import Page

VIEWS = ("open", "mine", "department", "overdue", "all")
FEW = 1000  # a search matching at most this many tickets is counted from its ids
NUMBER_QUERY = re.compile(r"^\s*FB-?0*(\d{1,9})\s*$", re.IGNORECASE)
PRIORITY_ORDER = sa.case({p.value: i for i, p in enumerate(Priority)}, value=Ticket.priority, else_=1)
SORTS = {
    "due": (Ticket.due_at,), "opened": (Ticket.opened_at,), "updated": (Ticket.updated_at,),
    "priority": (PRIORITY_ORDER,), "number": (), "count": (Ticket.feedback_count,),
}


def live():
    """Not closed yet — spelled exactly as the partial indexes' condition so both databases use them."""
    return Ticket.status != sa.literal_column("'closed'")


def overdue(now: datetime):
    """Overdue, as SQL: still being worked on (open or in progress) and past its due date."""
    return sa.and_(live(), Ticket.status.in_((TicketStatus.open, TicketStatus.in_progress)), Ticket.due_at < now)


@dataclass
class TicketFilter:
    """What the list page, the API, the CLI and CSV export filter on; every field is optional."""

    view: str = "open"
    status: str = ""
    department: str = ""  # department key
    owner: str = ""  # user id, "me" or "none" (the department queue)
    category: str = ""  # category key
    channel: str = ""
    priority: str = ""
    due_from: date | None = None
    due_to: date | None = None
    opened: date | None = None  # business day opened (the bulletin's new problems)
    closed: date | None = None  # business day closed (the bulletin's closed tickets)
    q: str = ""
    sort: str = ""

    @classmethod
    def from_args(cls, args) -> TicketFilter:
        """From a query string (filters live in the URL); unknown values are refused."""
        values = {f.name: (args.get(f.name) or "").strip() for f in fields(cls)}
        for name in ("due_from", "due_to", "opened", "closed"):
            values[name] = _day(name, values[name])
        found = cls(**values)
        found.view = found.view or "open"
        if found.view not in VIEWS:
            raise Invalid(f"view: one of {', '.join(VIEWS)}")
        if found.status and found.status not in {s.value for s in TicketStatus}:
            raise Invalid(f"status: one of {', '.join(s.value for s in TicketStatus)}")
        if found.owner and not (found.owner in ("me", "none") or found.owner.isdigit()):
            raise Invalid("owner: a user id, me or none")
        ordering(found.order)
        return found

    @property
    def order(self) -> str:
        return self.sort or ("-number" if self.view == "all" else "due")

    def args(self) -> dict:
        """The filter as query arguments (for links and exports), empty ones left out."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v}


def _day(name: str, text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise Invalid(f"{name}: a date like 2026-11-24") from None


def filtered(f: TicketFilter, *, user: User | None, now: datetime):
    """The WHERE conditions of a filter, as a list."""
    where = []
    if f.view in ("open", "mine", "department"):
        where.append(live())
    if f.view == "overdue":
        where.append(overdue(now))
    if f.view == "mine":
        where.append(Ticket.owner_id == (user.id if user else -1))
    if f.view == "department":
        where.append(Ticket.department_id == (user.department_id if user and user.department_id else -1))
    if f.status:
        where.append(Ticket.status == f.status)
    if f.department:
        where.append(Ticket.department_id == _id_of(Department, f.department))
    if f.category:
        where.append(Ticket.category_id == _id_of(Category, f.category))
    if f.owner:
        where.append(_owner(f.owner, user))
    if f.priority:
        where.append(Ticket.priority == f.priority)
    if f.channel:
        where.append(sa.exists().where(Feedback.ticket_id == Ticket.id, Feedback.channel == f.channel))
    if f.due_from:
        where.append(Ticket.due_at >= clock.day_bounds(f.due_from)[0])
    if f.due_to:
        where.append(Ticket.due_at < clock.day_bounds(f.due_to)[1])
    if f.opened:
        where += [Ticket.opened_at >= clock.day_bounds(f.opened)[0], Ticket.opened_at < clock.day_bounds(f.opened)[1]]
    if f.closed:
        where += [Ticket.closed_at >= clock.day_bounds(f.closed)[0], Ticket.closed_at < clock.day_bounds(f.closed)[1]]
    if f.q:
        where.append(_text(f.q, narrowed=f.view != "all"))
    return where


def _id_of(model, key: str):
    """A department's or category's id by key, inside the query (an unknown key matches nothing)."""
    return sa.select(model.id).where(model.key == key).scalar_subquery()


def _owner(owner: str, user: User | None):
    if owner == "none":
        return Ticket.owner_id.is_(None)
    if owner == "me":
        return Ticket.owner_id == (user.id if user else -1)
    return Ticket.owner_id == int(owner)


def _text(query: str, *, narrowed: bool):
    """A ticket number finds that ticket; other text searches the ticket's words."""
    number = NUMBER_QUERY.match(query)
    if number:
        return Ticket.id == int(number.group(1))
    condition = search.condition(query, narrowed=narrowed)
    return condition if condition is not None else sa.true()


def ordering(sort: str) -> list:
    key = sort.lstrip("-")
    if key not in SORTS:
        raise Invalid(f"sort: one of {', '.join(SORTS)}")
    descending = sort.startswith("-")
    return [c.desc() if descending else c.asc() for c in (*SORTS[key], Ticket.id)]


# What a list row shows: plain rows, not Ticket objects (a page of ORM instances costs more than its query).
ROW_COLUMNS = (Ticket.id, Ticket.title, Ticket.status, Ticket.priority, Ticket.category_id, Ticket.department_id,
               Ticket.owner_id, Ticket.due_at, Ticket.opened_at, Ticket.feedback_count, User.name.label("owner_name"))


def list_tickets(session: Session, f: TicketFilter, *, user: User | None, now: datetime,
                 page: int = 1, per_page: int = 50) -> Page:
    """One page of ticket rows matching the filter (ROW_COLUMNS: the owner's name beside each), counted in SQL."""
    ids, page, total = _page_ids(session, filtered(f, user=user, now=now), ordering(f.order), page, per_page,
                                 few=bool(f.q))
    found = {row.id: row for row in session.execute(
        sa.select(*ROW_COLUMNS).outerjoin(User, User.id == Ticket.owner_id).where(Ticket.id.in_(ids))
    )}
    return Page([found[i] for i in ids], page, per_page, total)


def _page_ids(session: Session, where: list, order: list, page: int, per_page: int, *, few: bool) -> tuple[list, int, int]:
    """The page's ticket ids (from the index alone on the working lists), the page number and the total.

    A search usually matches few tickets: then one query reads all their ids and counts them too.
    """
    ids_in_order = sa.select(Ticket.id).where(*where).order_by(*order)
    if few:
        every = session.execute(ids_in_order.limit(FEW + 1)).scalars().all()
        if len(every) <= FEW:
            page = max(1, min(page, -(-len(every) // per_page) or 1))
            return every[(page - 1) * per_page:page * per_page], page, len(every)
    total = session.execute(sa.select(sa.func.count()).select_from(Ticket).where(*where)).scalar_one()
    page = max(1, min(page, -(-total // per_page) or 1))
    ids = session.execute(ids_in_order.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return ids, page, total


def _users(session: Session, ids: set[int | None]) -> dict[int, User]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in session.execute(sa.select(User).where(User.id.in_(ids))).scalars()}


def after(session: Session, f: TicketFilter, *, user: User | None, now: datetime, cursor: int | None,
          limit: int) -> list[Ticket]:
    """Keyset page for the API: tickets with an id below `cursor`, newest first."""
    where = filtered(f, user=user, now=now)
    if cursor:
        where.append(Ticket.id < cursor)
    return list(session.execute(sa.select(Ticket).where(*where).order_by(Ticket.id.desc()).limit(limit)).scalars())


@dataclass
class TicketDetail:
    ticket: Ticket
    feedback: list[Feedback]
    events: list[TicketEvent]
    people: dict[int, User]
    category: Category | None
    department: Department | None


def ticket_detail(session: Session, ref: str | int) -> TicketDetail:
    """A ticket with every feedback item (all channels, their text), its history and the people named."""
    found = session.execute(  # the ticket with its category and department: one round trip, not three
        sa.select(Ticket, Category, Department).outerjoin(Category, Category.id == Ticket.category_id)
        .outerjoin(Department, Department.id == Ticket.department_id).where(Ticket.id == tickets.ticket_id(ref))
    ).first()
    if found is None:
        raise NotFound(f"no ticket {ref}")
    ticket, category, department = found
    items = list(session.execute(
        sa.select(Feedback).options(defer(Feedback.raw)).where(Feedback.ticket_id == ticket.id)
        .order_by(Feedback.received_at, Feedback.id)
    ).scalars())
    events = list(session.execute(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.at, TicketEvent.id)
    ).scalars())
    named, everyone = {ticket.owner_id} | {e.by_id for e in events}, reference.people(session)
    # Someone added since the copy was read (by another process) is read here: never shown as nobody.
    people = {i: everyone[i] for i in named if i in everyone} | _users(session, named - everyone.keys())
    return TicketDetail(ticket, items, events, people, category, department)


CSV_HEADER = ("number", "title", "status", "priority", "category", "department", "owner", "opened_at", "due_at",
              "overdue", "feedback_count", "contact", "order_ref", "closed_at", "resolution")


def export_rows(session: Session, f: TicketFilter, *, user: User | None, now: datetime) -> Iterator[tuple]:
    """Every ticket matching the filter as CSV rows, streamed from the database in chunks."""
    where = filtered(f, user=user, now=now)
    stmt = (
        sa.select(Ticket, Category.key, Department.key, User.name)
        .outerjoin(Category, Category.id == Ticket.category_id).outerjoin(Department, Department.id == Ticket.department_id)
        .outerjoin(User, User.id == Ticket.owner_id).where(*where).order_by(*ordering(f.order))
        .execution_options(yield_per=1000)
    )
    yield CSV_HEADER
    for t, category, department, owner in session.execute(stmt):
        late = t.status in (TicketStatus.open, TicketStatus.in_progress) and t.due_at is not None and t.due_at < now
        yield (
            tickets.number(t.id), t.title, t.status, t.priority, category or "", department or "", owner or "",
            _local(t.opened_at), _local(t.due_at), "yes" if late else "", t.feedback_count, t.contact, t.order_ref,
            _local(t.closed_at), t.resolution,
        )


def _local(moment: datetime | None) -> str:
    return clock.local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
