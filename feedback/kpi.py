"""KPIs: values computed from our data or imported, status against target, trends, and breach tickets.

Computed KPIs are aggregates over indexed columns for a range of business days (a day or an ISO
week); imported ones are KPIValue rows entered on a form, read from CSV or posted to the API. A KPI
missing its target by more than the at-risk margin is breached, and that opens one ticket for its
department head per KPI and week (a JobRun claim makes it once, however often the check runs).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from feedback import clock, history, search, sla, users
from feedback.errors import Forbidden, Invalid, NotFound
from feedback.grouping import NO_TICKET
from feedback.models import KPI, Category, Feedback, JobRun, KPIValue, Priority, Role, Ticket, TicketStatus, User

STATUSES = ("on_target", "at_risk", "breached", "no_data")
BREACH_JOB = "kpi-breach"
RESOLVED = (TicketStatus.resolved, TicketStatus.closed)


# --- computed values ---------------------------------------------------------------------------


def _within_24h(session: Session):
    """resolved_at − opened_at ≤ 24 h in the database's own date arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return Ticket.resolved_at - Ticket.opened_at <= timedelta(hours=24)
    return sa.func.julianday(Ticket.resolved_at) - sa.func.julianday(Ticket.opened_at) <= 1.0


def _pct(part, whole) -> float | None:
    return round(100 * (part or 0) / whole, 2) if whole else None


def _ticket_figures(session: Session, start: date, end: date) -> dict:
    """Problem-solving and 24-hour solving rate of the problem tickets opened in [start, end], in one query.
    KPI breach tickets have no category: they are not customer problems and stay out."""
    since, until = clock.day_bounds(start)[0], clock.day_bounds(end)[1]
    solved = sa.func.sum(sa.case((Ticket.status.in_(RESOLVED), 1), else_=0))
    fast = sa.func.sum(sa.case((sa.and_(Ticket.resolved_at.is_not(None), _within_24h(session)), 1), else_=0))
    opened, good, quick = session.execute(
        sa.select(sa.func.count(), solved, fast)
        .where(Ticket.opened_at >= since, Ticket.opened_at < until, Ticket.category_id.is_not(None))
    ).one()
    return {"service.solving_rate": _pct(good, opened), "service.solved_24h_rate": _pct(quick, opened)}


def _feedback_figures(session: Session, start: date, end: date) -> dict:
    """Praise rate and promotion complaint rate (shares of classified feedback) and CSAT from surveys."""
    ids = dict(session.execute(sa.select(Category.key, Category.id).where(Category.key.in_(("praise", "marketing.price")))).all())
    in_period = (Feedback.business_date >= start, Feedback.business_date <= end)
    share = [sa.func.sum(sa.case((Feedback.category_id == ids.get(k, -1), 1), else_=0)) for k in ("praise", "marketing.price")]
    total, praise, price = session.execute(  # (business_date, category_id) index only
        sa.select(sa.func.count(Feedback.category_id), *share).where(*in_period)).one()
    score = session.execute(sa.select(sa.func.avg(Feedback.csat)).where(  # CSAT comes from surveys only
        *in_period, Feedback.channel == "survey", Feedback.csat.is_not(None))).scalar()
    return {"product.praise_rate": _pct(praise, total), "marketing.promotion_complaint_rate": _pct(price, total),
            "service.csat": round(float(score), 2) if score is not None else None}


COMPUTED = ("service.solving_rate", "service.solved_24h_rate", "service.csat", "product.praise_rate",
            "marketing.promotion_complaint_rate")


def computed_values(session: Session, start: date, end: date) -> dict[str, float | None]:
    """Every computed KPI for [start, end] (three queries)."""
    return _ticket_figures(session, start, end) | _feedback_figures(session, start, end)


def solving_rate(session: Session, start: date, end: date) -> float | None:
    return _ticket_figures(session, start, end)["service.solving_rate"]


def solved_24h_rate(session: Session, start: date, end: date) -> float | None:
    return _ticket_figures(session, start, end)["service.solved_24h_rate"]


def csat(session: Session, start: date, end: date) -> float | None:
    return _feedback_figures(session, start, end)["service.csat"]


def complaints_per_channel(session: Session, start: date, end: date) -> dict[str, int]:
    """Problem feedback per channel in [start, end] (praise and untriaged `other` left out)."""
    rows = session.execute(
        sa.select(Feedback.channel, sa.func.count()).join(Category, Category.id == Feedback.category_id)
        .where(Feedback.business_date >= start, Feedback.business_date <= end, Feedback.not_a_problem == "",
               Category.key.not_in(NO_TICKET)).group_by(Feedback.channel)
    ).all()
    return {channel: count for channel, count in rows}


# --- values and status -------------------------------------------------------------------------


def value(session: Session, kpi: KPI, start: date, end: date, *, cache: dict | None = None) -> float | None:
    """The KPI's value for [start, end]: computed from our data, else the imported value for that period.

    An imported value for exactly that period wins; otherwise the latest one ending inside it. `cache`
    keeps the computed figures of a period for the next KPI asking about the same period.
    """
    if kpi.key in COMPUTED:
        cache = {} if cache is None else cache
        if (start, end) not in cache:
            cache[(start, end)] = computed_values(session, start, end)
        return cache[(start, end)][kpi.key]
    return session.execute(
        sa.select(KPIValue.value).where(KPIValue.kpi_id == kpi.id, KPIValue.period_end >= start, KPIValue.period_end <= end)
        .order_by((sa.and_(KPIValue.period_start == start, KPIValue.period_end == end)).desc(),
                  KPIValue.period_end.desc(), KPIValue.id.desc()).limit(1)
    ).scalar()


def status(kpi: KPI, found: float | None, margin: float) -> str:
    """on_target when the target is met; at_risk when missed by at most `margin` of the target; else breached."""
    if found is None or kpi.target is None:
        return "no_data"
    miss = (kpi.target - found) if kpi.direction == "higher" else (found - kpi.target)
    if miss <= 0:
        return "on_target"
    return "at_risk" if miss <= margin * abs(kpi.target or 1) else "breached"


@dataclass
class KPIStatus:
    kpi: KPI
    value: float | None
    status: str
    previous: float | None = None


def week_range(week: str) -> tuple[date, date]:
    monday = clock.week_start(week)
    return monday, monday + timedelta(days=6)


def all_kpis(session: Session, department_id: int | None = None) -> list[KPI]:
    stmt = sa.select(KPI).order_by(KPI.department_id, KPI.key)
    if department_id is not None:
        stmt = stmt.where(KPI.department_id == department_id)
    return list(session.execute(stmt).scalars())


def week_statuses(session: Session, week: str, *, margin: float, previous: bool = False,
                  cache: dict | None = None) -> list[KPIStatus]:
    """Every KPI's value and status for the ISO week (and the week before, for the trend arrow)."""
    start, end = week_range(week)
    cache = {} if cache is None else cache
    out = []
    for kpi in all_kpis(session):
        found = value(session, kpi, start, end, cache=cache)
        before = value(session, kpi, start - timedelta(days=7), end - timedelta(days=7), cache=cache) if previous else None
        out.append(KPIStatus(kpi, found, status(kpi, found, margin), before))
    return out


def trend(session: Session, kpi: KPI, week: str, *, weeks: int = 8, cache: dict | None = None) -> list[tuple[str, float | None]]:
    """(week label, value) for the `weeks` weeks ending with `week`, oldest first."""
    monday = clock.week_start(week)
    out = []
    for n in range(weeks - 1, -1, -1):
        start = monday - timedelta(days=7 * n)
        out.append((clock.iso_week(start), value(session, kpi, start, start + timedelta(days=6), cache=cache)))
    return out


def daily(session: Session, kpi: KPI, week: str, *, cache: dict | None = None) -> list[tuple[date, float | None]]:
    """The KPI per business-zone day of the week."""
    start, _ = week_range(week)
    days = [start + timedelta(days=n) for n in range(7)]
    return [(day, value(session, kpi, day, day, cache=cache)) for day in days]


def get_kpi(session: Session, key: str) -> KPI:
    kpi = session.execute(sa.select(KPI).where(KPI.key == key)).scalar_one_or_none()
    if kpi is None:
        raise NotFound(f"no KPI {key!r}")
    return kpi


# --- imported values ---------------------------------------------------------------------------


def may_enter(user: User | None, kpi: KPI) -> bool:
    """Managers and admins enter any KPI; a head only their own department's."""
    if user is None or not user.active:
        return False
    return user.role in (Role.manager, Role.admin) or (user.role == Role.head and user.department_id == kpi.department_id)


def set_value(session: Session, key: str, start: date, end: date, amount: float, *, by: User | None, now: datetime,
              commit: bool = True) -> KPIValue:
    """Enter an imported KPI's value for a period (replacing the value of the same period)."""
    kpi = get_kpi(session, key)
    if kpi.key in COMPUTED:
        raise Invalid(f"{key} is computed from our data; it cannot be entered")
    if by is not None and not may_enter(by, kpi):
        raise Forbidden(f"you may not enter values of {key}")
    if end < start:
        raise Invalid("period: the end is before the start")
    row = session.execute(sa.select(KPIValue).where(
        KPIValue.kpi_id == kpi.id, KPIValue.period_start == start, KPIValue.period_end == end)).scalar_one_or_none()
    if row is None:
        row = KPIValue(kpi_id=kpi.id, period_start=start, period_end=end, value=amount)
        session.add(row)
    row.value, row.source, row.entered_by_id, row.created_at = float(amount), "imported", by.id if by else None, now
    if commit:
        session.commit()
    return row


@dataclass
class ImportResult:
    stored: int = 0
    errors: list[str] | None = None


def import_rows(session: Session, rows: list[dict], *, by: User | None, now: datetime) -> ImportResult:
    """Store many values (CSV, API): all or none, each bad row named with its number."""
    errors, stored = [], 0
    for n, row in enumerate(rows, start=1):
        try:
            start = date.fromisoformat(str(row.get("period_start", "")).strip())
            end = date.fromisoformat(str(row.get("period_end") or row.get("period_start", "")).strip())
            amount = float(str(row.get("value", "")).strip())
            set_value(session, str(row.get("kpi", "")).strip(), start, end, amount, by=by, now=now, commit=False)
            stored += 1
        except (ValueError, Invalid, NotFound, Forbidden) as exc:
            errors.append(f"row {n}: {exc}")
    if errors:
        session.rollback()
        return ImportResult(0, errors)
    session.commit()
    return ImportResult(stored, [])


def read_csv(data: bytes) -> list[dict]:
    """Rows of a CSV with columns kpi, period_start, period_end (optional), value."""
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"kpi", "period_start", "value"} <= {f.strip() for f in reader.fieldnames}:
        raise Invalid("CSV: needs the columns kpi, period_start, period_end, value")
    return [{(k or "").strip(): v for k, v in row.items()} for row in reader]


# --- breaches ----------------------------------------------------------------------------------


def check_breaches(session: Session, week: str, *, margin: float, now: datetime) -> list[Ticket]:
    """Open a ticket for the department head of every KPI breached in the week, once per KPI and week."""
    from feedback import jobs  # the scheduler module imports this one's callers

    opened = []
    for found in week_statuses(session, week, margin=margin):
        if found.status != "breached" or found.kpi.department_id is None:
            continue
        if jobs.claim(session, BREACH_JOB, f"{found.kpi.key}:{week}", now=now, hold=True):
            opened.append(open_breach_ticket(session, found, week, now=now))
    return opened


def open_breach_ticket(session: Session, found: KPIStatus, week: str, *, now: datetime) -> Ticket:
    """A ticket without feedback, for the KPI's department head, due by the SLA of a high-priority problem."""
    kpi = found.kpi
    heads = users.heads_of(session, kpi.department_id)
    title = f"KPI breached in {week}: {kpi.name_en} {found.value:g}{kpi.unit} (target {kpi.target:g}{kpi.unit})"
    ticket = Ticket(title=title[:300], department_id=kpi.department_id, owner_id=heads[0].id if heads else None,
                    priority=Priority.high, status=TicketStatus.open, opened_at=now, updated_at=now,
                    due_at=sla.due_at(now, sla.hours_for(sla.rules(session), None, Priority.high)), feedback_count=0)
    session.add(ticket)
    session.flush()
    events = [history.event(ticket.id, "status", "", TicketStatus.open, by=None, now=now, note=f"KPI {kpi.key} breached in {week}")]
    if heads:
        events.append(history.event(ticket.id, "owner", "", heads[0].name, by=None, now=now))
    history.record(session, events)
    search.add(session, {ticket.id: search.document_words([title], 48)})
    session.execute(sa.update(JobRun).where(JobRun.job == BREACH_JOB, JobRun.key == f"{kpi.key}:{week}")
                    .values(finished_at=now, detail=ticket.number))
    session.commit()
    return ticket


def breach_tickets(session: Session, week: str) -> dict[str, str]:
    """{KPI key: ticket number} of the breach tickets opened for the week."""
    rows = session.execute(sa.select(JobRun.key, JobRun.detail).where(
        JobRun.job == BREACH_JOB, JobRun.key.like(f"%:{week}"))).all()
    return {key.rsplit(":", 1)[0]: detail for key, detail in rows}
