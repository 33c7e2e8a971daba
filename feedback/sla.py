"""Due dates: how long a ticket may take (SlaRule, else the category's hours) on the business calendar.

An SLA is a number of business hours. A whole multiple of 24 counts business days ("T+n"): due at
the end of working hours on the n-th business day after the business day the feedback arrived (a
weekend or holiday arrival counts from the next business day). Any other number counts working
hours (WORK_START–WORK_END on business days) from the moment it arrived, or from the next opening
when it arrived outside working hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from feedback import clock
from feedback.errors import Invalid, NotFound
from feedback.models import Category, Priority, SlaRule

HOURS_PER_DAY = 24


@dataclass(frozen=True)
class Settings:
    work_start: time = time(9)
    work_end: time = time(18)
    factors: dict[str, float] = field(
        default_factory=lambda: {Priority.urgent: 0.25, Priority.high: 0.5, Priority.normal: 1.0, Priority.low: 2.0}
    )


_settings = Settings()


def configure(config: dict) -> Settings:
    """Working hours and priority factors from app config (WORK_START, WORK_END, SLA_PRIORITY_FACTORS)."""
    global _settings
    start, end = time.fromisoformat(config.get("WORK_START", "09:00")), time.fromisoformat(config.get("WORK_END", "18:00"))
    if end <= start:
        raise ValueError(f"WORK_END {end} must be after WORK_START {start}")
    factors = config.get("SLA_PRIORITY_FACTORS") or Settings().factors
    _settings = Settings(start, end, dict(factors))
    return _settings


def settings() -> Settings:
    return _settings


Rules = dict[tuple[int | None, str], int]


def rules(session: Session) -> Rules:
    """Every SlaRule as {(category_id or None, priority): business hours}; a small table read once per batch."""
    return {(r.category_id, r.priority): r.business_hours for r in session.execute(sa.select(SlaRule)).scalars()}


def set_rule(session: Session, category_key: str | None, priority: str, hours: int | None) -> SlaRule | None:
    """Set the business hours to solve a category's tickets of a priority (no category: the default); None removes it."""
    if priority not in {p.value for p in Priority}:
        raise Invalid(f"priority: one of {', '.join(p.value for p in Priority)}")
    if hours is not None and not 1 <= hours <= 24 * 60:
        raise Invalid("hours: between 1 and 1440")
    category_id = None
    if category_key:
        category_id = session.execute(sa.select(Category.id).where(Category.key == category_key)).scalar_one_or_none()
        if category_id is None:
            raise NotFound(f"no category {category_key!r}")
    same_category = SlaRule.category_id.is_(None) if category_id is None else SlaRule.category_id == category_id
    rule = session.execute(sa.select(SlaRule).where(same_category, SlaRule.priority == priority)).scalar_one_or_none()
    if hours is None:
        if rule is not None:
            session.delete(rule)
        rule = None
    elif rule is None:
        rule = SlaRule(category_id=category_id, priority=priority, business_hours=hours)
        session.add(rule)
    else:
        rule.business_hours = hours
    session.commit()
    return rule


def hours_for(found: Rules, category: Category | None, priority: str) -> int:
    """The category's rule for this priority, else the default rule, else its sla_hours scaled by priority."""
    if category is not None and (category.id, priority) in found:
        return found[(category.id, priority)]
    if (None, priority) in found:
        return found[(None, priority)]
    base = category.sla_hours if category is not None and category.sla_hours else HOURS_PER_DAY
    return max(1, round(base * _settings.factors.get(priority, 1.0)))


def due_at(received_at: datetime, hours: int) -> datetime:
    """When a ticket for feedback received at `received_at` is due, given its SLA in business hours."""
    if hours % HOURS_PER_DAY == 0:
        return _after_business_days(received_at, hours // HOURS_PER_DAY)
    return add_working_hours(received_at, hours)


class DueDates:
    """`due_at` for the many tickets of one intake batch: "T+n" depends only on the arrival's business day.

    Made per batch (not a module cache) so a changed calendar or working hours apply to the next batch.
    """

    def __init__(self):
        self.memo: dict[tuple, datetime] = {}

    def __call__(self, received_at: datetime, hours: int) -> datetime:
        key = (clock.business_date(received_at), hours) if hours % HOURS_PER_DAY == 0 else (received_at, hours)
        if key not in self.memo:
            self.memo[key] = due_at(received_at, hours)
        return self.memo[key]


def _after_business_days(received_at: datetime, days: int) -> datetime:
    """End of working hours on the `days`-th business day after the arrival's business day."""
    arrived = clock.add_business_days(clock.business_date(received_at), 0)
    return _at(clock.add_business_days(arrived, days), _settings.work_end)


def add_working_hours(start: datetime, hours: float) -> datetime:
    """`hours` of working time after `start`, skipping nights, weekends and holidays."""
    moment = _next_working_moment(clock.local(start))
    remaining = timedelta(hours=hours)
    while True:
        closing = datetime.combine(moment.date(), _settings.work_end, tzinfo=moment.tzinfo)
        if remaining <= closing - moment:
            return (moment + remaining).astimezone(clock.UTC)
        remaining -= closing - moment
        moment = clock.local(_at(_next_business_day(moment.date()), _settings.work_start))


def _next_working_moment(moment: datetime) -> datetime:
    """`moment` itself when it falls in working hours, else the next opening (in the business zone)."""
    day, start, end = moment.date(), _settings.work_start, _settings.work_end
    if clock.is_business_day(day) and moment.time() < end:
        return max(moment, clock.local(_at(day, start)))
    return clock.local(_at(_next_business_day(day), start))


def _next_business_day(day: date) -> date:
    """The first business day strictly after `day`."""
    return clock.add_business_days(day + timedelta(days=1), 0)


def _at(day: date, moment: time) -> datetime:
    """A wall-clock time on a business-zone day, in UTC."""
    return datetime.combine(day, moment, tzinfo=clock.business_tz()).astimezone(clock.UTC)
