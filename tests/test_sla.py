"""Due-date arithmetic on the business calendar: weekends, Golden Week, make-up days, working hours, midnight."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from feedback import sla
from feedback.models import Category, SlaRule

SH = ZoneInfo("Asia/Shanghai")


def shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def default_hours():
    """Working hours 09:00–18:00 for every test, restored afterwards."""
    before = sla.settings()
    sla.configure({"WORK_START": "09:00", "WORK_END": "18:00"})
    yield
    sla._settings = before


def test_one_business_day_over_a_weekend_is_monday_evening():
    friday = shanghai(2026, 11, 27, 10, 0)
    assert sla.due_at(friday, 24) == shanghai(2026, 11, 30, 18, 0)


def test_saturday_arrival_counts_from_monday():
    saturday = shanghai(2026, 11, 28, 10, 0)
    assert sla.due_at(saturday, 24) == shanghai(2026, 12, 1, 18, 0)


def test_working_hours_continue_after_the_weekend():
    friday_afternoon = shanghai(2026, 11, 27, 16, 0)
    assert sla.due_at(friday_afternoon, 4) == shanghai(2026, 11, 30, 11, 0)


def test_working_hours_ending_exactly_at_closing_stay_that_day():
    assert sla.due_at(shanghai(2026, 11, 24, 9, 0), 9) == shanghai(2026, 11, 24, 18, 0)


def test_evening_arrival_starts_next_morning():
    assert sla.due_at(shanghai(2026, 11, 24, 20, 30), 2) == shanghai(2026, 11, 25, 11, 0)


def test_early_arrival_waits_for_opening():
    assert sla.due_at(shanghai(2026, 11, 24, 7, 0), 8) == shanghai(2026, 11, 24, 17, 0)


def test_national_day_golden_week_is_skipped():
    before_holiday = shanghai(2026, 9, 30, 10, 0)  # Wednesday; 1–7 October are days off
    assert sla.due_at(before_holiday, 24) == shanghai(2026, 10, 8, 18, 0)
    assert sla.due_at(shanghai(2026, 9, 30, 17, 0), 2) == shanghai(2026, 10, 8, 10, 0)


def test_make_up_saturday_after_golden_week_is_a_working_day():
    # 8 and 9 October (Thu, Fri), then Saturday 10 October 2026 is a make-up working day.
    assert sla.due_at(shanghai(2026, 9, 30, 10, 0), 72) == shanghai(2026, 10, 10, 18, 0)
    assert sla.due_at(shanghai(2026, 10, 9, 17, 0), 3) == shanghai(2026, 10, 10, 11, 0)


def test_make_up_sunday_before_golden_week_counts():
    # Sunday 20 September 2026 is worked; feedback from Saturday the 19th is due that Sunday.
    assert sla.due_at(shanghai(2026, 9, 19, 12, 0), 8) == shanghai(2026, 9, 20, 17, 0)


def test_just_before_and_after_midnight_in_shanghai():
    # 23:59 and 00:01 in Shanghai are both 15:xx UTC on the same UTC day: only the business zone tells them apart.
    before = datetime(2026, 11, 23, 15, 59, tzinfo=timezone.utc)  # Monday 23:59 in Shanghai
    after = datetime(2026, 11, 23, 16, 1, tzinfo=timezone.utc)  # Tuesday 00:01 in Shanghai
    assert sla.due_at(before, 24) == shanghai(2026, 11, 24, 18, 0)
    assert sla.due_at(after, 24) == shanghai(2026, 11, 25, 18, 0)
    # In working hours both wait for Tuesday's opening, although 15:59 UTC would be mid-afternoon in UTC.
    assert sla.due_at(before, 2) == sla.due_at(after, 2) == shanghai(2026, 11, 24, 11, 0)


def test_friday_midnight_boundary_crosses_into_the_weekend():
    friday_late = shanghai(2026, 11, 27, 23, 59)
    saturday_early = shanghai(2026, 11, 28, 0, 1)
    assert sla.due_at(friday_late, 24) == shanghai(2026, 11, 30, 18, 0)
    assert sla.due_at(saturday_early, 24) == shanghai(2026, 12, 1, 18, 0)


def test_due_dates_come_back_in_utc():
    due = sla.due_at(shanghai(2026, 11, 24, 10, 0), 24)
    assert due.tzinfo == timezone.utc and due == datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


def test_configured_working_hours_are_used():
    sla.configure({"WORK_START": "08:30", "WORK_END": "17:30"})
    assert sla.due_at(shanghai(2026, 11, 24, 16, 30), 2) == shanghai(2026, 11, 25, 9, 30)


def test_rule_lookup_prefers_the_category_rule_then_the_default_then_scaled_hours():
    late = Category(id=7, key="logistics.late", name_en="", name_zh="", sla_hours=24)
    found = {(7, "high"): 8, (None, "high"): 16, (None, "normal"): 48}
    assert sla.hours_for(found, late, "high") == 8
    assert sla.hours_for(found, late, "normal") == 48
    assert sla.hours_for(found, late, "urgent") == 6  # 24 h × 0.25
    assert sla.hours_for(found, late, "low") == 48  # 24 h × 2: two business days
    assert sla.hours_for({}, late, "normal") == 24


def test_rules_are_read_from_the_table(session, loaded_taxonomy):
    session.add(SlaRule(category_id=None, priority="high", business_hours=24))
    session.commit()
    assert sla.rules(session) == {(None, "high"): 24}


def test_a_batch_of_due_dates_matches_one_by_one_across_weekend_golden_week_and_hours():
    arrivals = [shanghai(2026, 11, 27, h, m) for h in (0, 8, 10, 17, 23) for m in (0, 59)]
    arrivals += [shanghai(2026, 9, 30, 17, 30), shanghai(2026, 10, 1, 9), shanghai(2026, 10, 10, 11), shanghai(2026, 11, 28, 10)]
    due = sla.DueDates()
    for arrival in arrivals * 2:  # the second pass is answered from the batch's memo
        for hours in (2, 9, 12, 24, 48, 72):
            assert due(arrival, hours) == sla.due_at(arrival, hours), (arrival, hours)
    assert len(due.memo) < len(arrivals) * 6  # T+n days are shared by every arrival of a business day
