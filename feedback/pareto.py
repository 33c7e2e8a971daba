"""Pareto of experience problems for one ISO week: categories ranked, shares, the vital few, 8 weeks of history.

One GROUP BY query reads the week and the seven before it at once (a CASE puts each row in its week),
so the ranking, the change against the previous week and the sparkline come from the same pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

import sqlalchemy as sa
from sqlmodel import Session

from feedback import clock
from feedback.errors import Invalid
from feedback.grouping import NO_TICKET
from feedback.models import Category, Department, Feedback, Ticket

MODES = ("feedback", "tickets", "severity")
WEEKS = 8  # the sparkline's length, this week included


@dataclass
class Row:
    """One category of the ranking."""

    category_id: int
    key: str
    name_en: str
    name_zh: str
    department_id: int | None
    kpi_keys: list[str]
    value: int
    share: float = 0.0
    cumulative: float = 0.0
    vital: bool = False
    previous: int = 0
    spark: list[int] = field(default_factory=list)  # oldest week first, this week last

    @property
    def change(self) -> int:
        return self.value - self.previous


@dataclass
class Pareto:
    week: str
    mode: str
    cut: float
    total: int
    rows: list[Row]
    weeks: list[str]  # labels of the sparkline's weeks, oldest first
    channel: str = ""
    department: str = ""

    @property
    def vital_few(self) -> list[Row]:
        return [r for r in self.rows if r.vital]


def week_label(text: str | None, *, now) -> str:
    """A valid ISO week label from user input, else the previous week of `now` (the one under review)."""
    if not text:
        return clock.iso_week(clock.business_date(now) - timedelta(days=7))
    try:
        return clock.iso_week(clock.week_start(text.strip()))
    except ValueError:
        raise Invalid(f"week: {text!r} is not an ISO week like 2026-W47") from None


def previous_week(label: str) -> str:
    return clock.iso_week(clock.week_start(label) - timedelta(days=7))


def weekly(session: Session, week: str, *, mode: str = "feedback", channel: str = "", department: str = "",
           cut: float = 0.8) -> Pareto:
    """Rank the week's problem categories by `mode` (feedback count, tickets opened, severity-weighted count)."""
    if mode not in MODES:
        raise Invalid(f"mode: one of {', '.join(MODES)}")
    mondays = [clock.week_start(week) - timedelta(days=7 * n) for n in range(WEEKS - 1, -1, -1)]
    counts = _counts(session, mondays, mode=mode, channel=channel, department=department)
    rows = [_row(category, weeks) for category, weeks in counts if weeks.get(WEEKS - 1)]
    rows.sort(key=lambda r: (-r.value, r.key))  # ties: alphabetical, so the order never flickers
    total = sum(r.value for r in rows)
    rank(rows, total, cut)
    return Pareto(week, mode, cut, total, rows, [clock.iso_week(m) for m in mondays], channel, department)


def rank(rows: list[Row], total: int, cut: float) -> None:
    """Shares, cumulative shares and the vital few: rows until the cumulative share reaches the cut.

    Exact fractions: a cut that lands exactly on a boundary (4+4 of 10 at 80 %) ends the vital few there.
    """
    threshold, running = Fraction(str(cut)) * total, 0
    for row in rows:
        row.vital = running < threshold
        running += row.value
        row.share, row.cumulative = row.value / total, running / total


def _row(category: Category, weeks: dict[int, int]) -> Row:
    spark = [weeks.get(n, 0) for n in range(WEEKS)]
    return Row(category.id, category.key, category.name_en, category.name_zh, category.department_id,
               list(category.kpi_keys or []), spark[-1], previous=spark[-2], spark=spark)


def _counts(session: Session, mondays: list[date], *, mode: str, channel: str, department: str) -> list:
    """[(category, {week index: value})] from one grouped query over the eight weeks."""
    if mode == "tickets":
        starts = [clock.day_bounds(m)[0] for m in mondays]
        category_col, weight = Ticket.category_id, sa.func.count()
        # Timestamps have no portable "business day" in SQL: a CASE puts each ticket in its week.
        bucket = sa.case(*[(Ticket.opened_at >= s, n) for n, s in reversed(list(enumerate(starts)))], else_=0)
        where = [Ticket.opened_at >= starts[0], Ticket.opened_at < clock.week_bounds(clock.iso_week(mondays[-1]))[1]]
        if channel:
            where.append(sa.exists().where(Feedback.ticket_id == Ticket.id, Feedback.channel == channel))
    else:
        category_col, bucket = Feedback.category_id, Feedback.business_date
        weight = sa.func.sum(Category.severity) if mode == "severity" else sa.func.count()
        # Grouped by day in index order (no sort), folded into weeks below. No not_a_problem test: such items are
        # never classified (no category), and leaving it out lets the (business_date, category_id) index answer alone.
        where = [Feedback.business_date >= mondays[0], Feedback.business_date < mondays[-1] + timedelta(days=7)]
        if channel:
            where.append(Feedback.channel == channel)
    stmt = (sa.select(category_col, bucket.label("pareto_bucket"), weight).select_from(category_col.table)
            .join(Category, Category.id == category_col).where(*where, Category.key.not_in(NO_TICKET))
            .group_by(sa.literal_column("pareto_bucket"), category_col))
    if department:
        stmt = stmt.join(Department, Department.id == Category.department_id).where(Department.key == department)
    found: dict[int, dict[int, int]] = {}
    for category_id, when, value in session.execute(stmt):
        week = when if mode == "tickets" else (_as_date(when) - mondays[0]).days // 7
        weeks = found.setdefault(category_id, {})
        weeks[week] = weeks.get(week, 0) + int(value or 0)
    categories = {c.id: c for c in session.execute(sa.select(Category).where(Category.id.in_(found))).scalars()}
    return [(categories[c], weeks) for c, weeks in found.items()]


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def items(session: Session, week: str, category_key: str, *, channel: str = "", limit: int = 200) -> list[Feedback]:
    """The week's feedback items of one category (the drill-down behind a bar), newest first."""
    monday = clock.week_start(week)
    stmt = (sa.select(Feedback).join(Category, Category.id == Feedback.category_id)
            .where(Category.key == category_key, Feedback.business_date >= monday,
                   Feedback.business_date < monday + timedelta(days=7), Feedback.not_a_problem == "")
            .order_by(Feedback.received_at.desc()).limit(limit))
    if channel:
        stmt = stmt.where(Feedback.channel == channel)
    return list(session.execute(stmt).scalars())


def as_dict(pareto: Pareto) -> dict:
    """JSON-ready (CLI --json, the review's frozen snapshot)."""
    return {
        "week": pareto.week, "mode": pareto.mode, "cut": pareto.cut, "total": pareto.total, "weeks": pareto.weeks,
        "channel": pareto.channel, "department": pareto.department,
        "rows": [{"key": r.key, "name_en": r.name_en, "name_zh": r.name_zh, "value": r.value,
                  "share": round(r.share, 6), "cumulative": round(r.cumulative, 6), "vital": r.vital,
                  "previous": r.previous, "change": r.change, "spark": r.spark, "kpi_keys": r.kpi_keys}
                 for r in pareto.rows],
    }
