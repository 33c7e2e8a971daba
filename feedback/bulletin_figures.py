"""The bulletin's figures for one business day: each one a SQL aggregate or a short list over indexed columns.

Feedback carries its business day (fixed at intake in the business time zone), so daily totals are
GROUP BYs on the (business_date, channel) and (business_date, category_id) indexes; ticket lists
read the opened_at / closed_at indexes and the partial "live" index over the day's UTC bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from feedback import clock, overview
from feedback.models import Category, Channel, Feedback, Ticket, User
from feedback.ticket_lists import overdue

AVERAGE_DAYS = 7
LIST_LIMIT = 500  # longest ticket list printed; the bulletin links to the full list beyond it
OVERDUE_LIMIT = 30  # most overdue first; the count links to every one


@dataclass
class CategoryRow:
    """One category's feedback on the day by channel, against the day before and the 7-day average."""

    key: str  # "" for unclassified feedback
    name_en: str
    name_zh: str
    counts: dict[str, int]
    previous: int = 0
    average: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class TicketLine:
    """A ticket as the bulletin prints it."""

    id: int
    title: str
    category_key: str
    category_en: str
    category_zh: str
    owner: str
    due_at: datetime | None
    closed_at: datetime | None = None
    resolution: str = ""
    days_overdue: int = 0

    @property
    def number(self) -> str:
        return f"FB-{self.id:06d}"


@dataclass
class Review:
    id: int
    product_ref: str
    rating: int | None
    text: str


@dataclass
class Figures:
    day: date
    now: datetime
    channels: list[str]
    rows: list[CategoryRow]
    channel_totals: dict[str, int]
    channel_previous: dict[str, int]
    channel_average: dict[str, float]
    new_problems: list[TicketLine] = field(default_factory=list)
    new_count: int = 0
    overdue: list[TicketLine] = field(default_factory=list)
    overdue_count: int = 0
    closed: list[TicketLine] = field(default_factory=list)
    closed_count: int = 0
    triage: int = 0
    bad_reviews: list[Review] = field(default_factory=list)
    bad_review_count: int = 0
    surveys: int = 0
    csat_count: int = 0
    csat_average: float | None = None
    nps_count: int = 0
    nps: float | None = None  # % promoters − % detractors

    @property
    def total(self) -> int:
        return sum(self.channel_totals.values())

    @property
    def previous_total(self) -> int:
        return sum(self.channel_previous.values())

    @property
    def average_total(self) -> float:
        return sum(self.channel_average.values())


def compute(session: Session, day: date, *, now: datetime) -> Figures:
    """Every figure of the bulletin for business day `day`; overdue is as of `now`."""
    categories = {c.id: c for c in session.execute(sa.select(Category)).scalars()}
    channels = [c.value for c in Channel]
    rows = _matrix(session, day, categories)
    by_channel = _history(session, day, Feedback.channel)
    figures = Figures(
        day, now, channels, rows,
        channel_totals={c: sum(r.counts.get(c, 0) for r in rows) for c in channels},
        channel_previous={c: by_channel.get(c, (0, 0))[0] for c in channels},
        channel_average={c: by_channel.get(c, (0, 0))[1] / AVERAGE_DAYS for c in channels},
    )
    start, end = clock.day_bounds(day)
    figures.new_count, figures.new_problems = _tickets(session, categories, Ticket.opened_at >= start, Ticket.opened_at < end,
                                                       order=(Ticket.opened_at, Ticket.id))
    figures.closed_count, figures.closed = _tickets(session, categories, Ticket.closed_at >= start, Ticket.closed_at < end,
                                                    order=(Ticket.closed_at, Ticket.id), closed=True)
    figures.overdue_count, figures.overdue = _tickets(session, categories, overdue(now), order=(Ticket.due_at, Ticket.id),
                                                      limit=OVERDUE_LIMIT)
    for line in figures.overdue:
        line.days_overdue = max((now - line.due_at).days, 0) if line.due_at else 0
    figures.triage = overview.awaiting_triage(session)
    _reviews(session, figures)
    _surveys(session, figures)
    return figures


def _matrix(session: Session, day: date, categories: dict[int, Category]) -> list[CategoryRow]:
    """Category × channel counts of the day, with each category's day before and 7-day average."""
    cells = session.execute(
        sa.select(Feedback.category_id, Feedback.channel, sa.func.count())
        .where(Feedback.business_date == day).group_by(Feedback.category_id, Feedback.channel)
    ).all()
    history = _history(session, day, Feedback.category_id)
    rows: dict[int | None, CategoryRow] = {}
    for category_id in {c for c, _, _ in cells} | set(history):
        category = categories.get(category_id)
        previous, week = history.get(category_id, (0, 0))
        rows[category_id] = CategoryRow(category.key if category else "", category.name_en if category else "",
                                        category.name_zh if category else "", {}, previous, week / AVERAGE_DAYS)
    for category_id, channel, count in cells:
        rows[category_id].counts[channel] = count
    return sorted(rows.values(), key=lambda r: (-r.total, -r.previous, r.key))


def _history(session: Session, day: date, column) -> dict:
    """column value → (count on the day before, count over the 7 days before): one index-only GROUP BY."""
    before = day - timedelta(days=1)
    found = session.execute(
        sa.select(column, sa.func.sum(sa.case((Feedback.business_date == before, 1), else_=0)), sa.func.count())
        .where(Feedback.business_date >= day - timedelta(days=AVERAGE_DAYS), Feedback.business_date < day)
        .group_by(column)
    ).all()
    return {value: (int(previous or 0), count) for value, previous, count in found}


def _tickets(session: Session, categories: dict[int, Category], *where, order, limit: int = LIST_LIMIT,
             closed: bool = False) -> tuple[int, list[TicketLine]]:
    """How many tickets match, and the first `limit` of them with owner and category (counted only beyond it)."""
    columns = [Ticket.id, Ticket.title, Ticket.category_id, User.name, Ticket.due_at]
    if closed:
        columns += [Ticket.closed_at, Ticket.resolution]
    stmt = (sa.select(*columns).outerjoin(User, User.id == Ticket.owner_id).where(*where)
            .order_by(*order).limit(limit))
    lines = []
    for row in session.execute(stmt):
        category = categories.get(row.category_id)
        lines.append(TicketLine(
            row.id, row.title, category.key if category else "", category.name_en if category else "",
            category.name_zh if category else "", row.name or "", row.due_at,
            row.closed_at if closed else None, row.resolution if closed else "",
        ))
    if len(lines) < limit:
        return len(lines), lines
    return session.execute(sa.select(sa.func.count()).select_from(Ticket).where(*where)).scalar_one(), lines


def _reviews(session: Session, figures: Figures) -> None:
    """The day's bad reviews of key products: how many, and the worst ones."""
    where = (Feedback.business_date == figures.day, Feedback.channel == "review", Feedback.key_product_alert)
    figures.bad_review_count = session.execute(sa.select(sa.func.count()).select_from(Feedback).where(*where)).scalar_one()
    if figures.bad_review_count:
        stmt = (sa.select(Feedback.id, Feedback.product_ref, Feedback.rating, Feedback.subject, Feedback.body).where(*where)
                .order_by(Feedback.rating.asc().nulls_last(), Feedback.id).limit(OVERDUE_LIMIT))
        figures.bad_reviews = [Review(r.id, r.product_ref, r.rating, " ".join(filter(None, (r.subject, r.body))))
                               for r in session.execute(stmt)]


def _surveys(session: Session, figures: Figures) -> None:
    """Survey answers of the day: CSAT average and NPS (% promoters − % detractors)."""
    row = session.execute(
        sa.select(sa.func.count(), sa.func.count(Feedback.csat), sa.func.avg(Feedback.csat), sa.func.count(Feedback.nps),
                  sa.func.sum(sa.case((Feedback.nps >= 9, 1), else_=0)), sa.func.sum(sa.case((Feedback.nps <= 6, 1), else_=0)))
        .where(Feedback.business_date == figures.day, Feedback.channel == "survey")
    ).one()
    figures.surveys, figures.csat_count, csat, figures.nps_count, promoters, detractors = row
    figures.csat_average = float(csat) if csat is not None else None
    if figures.nps_count:
        figures.nps = 100.0 * (int(promoters or 0) - int(detractors or 0)) / figures.nps_count
