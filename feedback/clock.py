"""Time: the only wall-clock read, the business time zone, business days and ISO weeks.

The database stores UTC. "Yesterday", a business day, an ISO week and a due date are all
computed in the business time zone on the business calendar configured by `configure()`.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

UTC = timezone.utc


def now() -> datetime:
    """The current time, aware, in UTC. Services take `now` as an argument instead of calling this."""
    if _simulated is not None:
        start, anchor, speed = _simulated
        return start + timedelta(seconds=(_time.time() - anchor) * speed)
    return datetime.now(UTC)


# A simulated clock, for tests and rehearsals only (never set in production): FEEDBACK_CLOCK starts
# now() at an ISO moment, FEEDBACK_CLOCK_SPEED makes it run that many times faster than the wall
# clock, and FEEDBACK_CLOCK_ANCHOR (Unix seconds, default: when configured) is the wall-clock moment
# that maps to the start, so several processes given the same three values share one time line.
_simulated: tuple[datetime, float, float] | None = None


def simulate(start: datetime | None, *, speed: float = 1.0, anchor: float | None = None) -> None:
    """Run now() from `start` at `speed` times the wall clock (None: back to the wall clock)."""
    global _simulated
    _simulated = None if start is None else (start.astimezone(UTC), _time.time() if anchor is None else anchor, speed)


def speed() -> float:
    """How many simulated seconds pass per wall-clock second (1 without a simulated clock)."""
    return _simulated[2] if _simulated is not None else 1.0


@dataclass(frozen=True)
class BusinessCalendar:
    """Time zone plus which days are worked: weekends and public holidays off, make-up days on."""

    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")
    country: str = "CN"
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def is_business_day(self, day: date) -> bool:
        """True on a working day: not a weekend or holiday, or a make-up working day."""
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if not self.country:
            return day.weekday() < 5
        return _country_holidays(self.country, day.year).is_working_day(day)


@lru_cache(maxsize=64)
def _country_holidays(country: str, year: int):
    return holidays_lib.country_holidays(country, years=year)


_calendar = BusinessCalendar()


def configure(config: dict) -> BusinessCalendar:
    """Set the business calendar from app config (TIMEZONE, HOLIDAY_COUNTRY, EXTRA_*)."""
    global _calendar
    _calendar = BusinessCalendar(
        tz=ZoneInfo(config.get("TIMEZONE", "Asia/Shanghai")),
        country=config.get("HOLIDAY_COUNTRY", "CN"),
        extra_holidays=frozenset(date.fromisoformat(d) for d in config.get("EXTRA_HOLIDAYS", [])),
        extra_workdays=frozenset(date.fromisoformat(d) for d in config.get("EXTRA_WORKDAYS", [])),
    )
    if config.get("CLOCK"):
        simulate(datetime.fromisoformat(config["CLOCK"]), speed=float(config.get("CLOCK_SPEED") or 1),
                 anchor=float(config["CLOCK_ANCHOR"]) if config.get("CLOCK_ANCHOR") else None)
    return _calendar


def calendar() -> BusinessCalendar:
    """The configured business calendar."""
    return _calendar


def business_tz() -> ZoneInfo:
    return _calendar.tz


def local(moment: datetime) -> datetime:
    """An aware moment shown in the business time zone."""
    return moment.astimezone(_calendar.tz)


def business_date(moment: datetime) -> date:
    """The calendar day, in the business time zone, on which an aware moment falls."""
    return moment.astimezone(_calendar.tz).date()


def yesterday(moment: datetime) -> date:
    """The day before the business date of `moment` (the bulletin's default day)."""
    return business_date(moment) - timedelta(days=1)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC [start, end) of a calendar day in the business time zone."""
    start = datetime.combine(day, time.min, tzinfo=_calendar.tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=_calendar.tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def iso_week(day: date) -> str:
    """The ISO week label of a day, e.g. 2026-W47."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(label: str) -> date:
    """The Monday of an ISO week label like 2026-W47."""
    year, _, week = label.upper().partition("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def week_bounds(label: str) -> tuple[datetime, datetime]:
    """UTC [start, end) of an ISO week in the business time zone."""
    monday = week_start(label)
    return day_bounds(monday)[0], day_bounds(monday + timedelta(days=6))[1]


def is_business_day(day: date) -> bool:
    return _calendar.is_business_day(day)


def add_business_days(day: date, n: int) -> date:
    """The n-th business day after `day` (n ≥ 0; n = 0 gives `day` or the next business day)."""
    current = day
    while not is_business_day(current):
        current += timedelta(days=1)
    for _ in range(n):
        current += timedelta(days=1)
        while not is_business_day(current):
            current += timedelta(days=1)
    return current


def business_days_between(start: date, end: date) -> int:
    """How many business days lie in (start, end]: 0 when end ≤ start."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        count += is_business_day(current)
    return count


def last_business_day_of_week(day: date) -> date:
    """The last business day of the ISO week containing `day` (Friday, or earlier before a holiday)."""
    monday = day - timedelta(days=day.weekday())
    for offset in range(6, -1, -1):
        candidate = monday + timedelta(days=offset)
        if is_business_day(candidate):
            return candidate
    return monday + timedelta(days=4)
