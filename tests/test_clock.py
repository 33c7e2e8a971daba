from datetime import date, datetime, timezone

import pytest

from feedback import clock

UTC = timezone.utc


@pytest.fixture(autouse=True)
def shanghai_calendar():
    clock.configure({"TIMEZONE": "Asia/Shanghai", "HOLIDAY_COUNTRY": "CN"})
    yield
    clock.configure({})


def test_now_is_aware_utc():
    assert clock.now().utcoffset().total_seconds() == 0


def test_business_date_around_midnight_in_shanghai():
    assert clock.business_date(datetime(2026, 11, 23, 15, 59, tzinfo=UTC)) == date(2026, 11, 23)  # 23:59 local
    assert clock.business_date(datetime(2026, 11, 23, 16, 1, tzinfo=UTC)) == date(2026, 11, 24)  # 00:01 local
    assert clock.yesterday(datetime(2026, 11, 23, 16, 1, tzinfo=UTC)) == date(2026, 11, 23)


def test_day_bounds_are_local_midnights_in_utc():
    start, end = clock.day_bounds(date(2026, 11, 24))
    assert start == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def test_iso_week_edges_in_business_time():
    sunday_2330 = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)  # Sun 23:30 Shanghai
    monday_0030 = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)  # Mon 00:30 Shanghai
    assert clock.iso_week(clock.business_date(sunday_2330)) == "2026-W47"
    assert clock.iso_week(clock.business_date(monday_0030)) == "2026-W48"
    start, end = clock.week_bounds("2026-W48")
    assert start <= monday_0030 < end and not (start <= sunday_2330 < end)
    assert clock.week_start("2026-w48") == date(2026, 11, 23)


def test_weekends_are_skipped():
    friday = date(2026, 11, 27)
    assert clock.add_business_days(friday, 1) == date(2026, 11, 30)
    assert clock.business_days_between(friday, date(2026, 11, 30)) == 1


def test_national_day_golden_week_and_make_up_working_days():
    assert clock.add_business_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert not clock.is_business_day(date(2026, 10, 5))  # a weekday given off
    assert clock.is_business_day(date(2026, 10, 10))  # Saturday worked to make up
    assert clock.is_business_day(date(2026, 9, 20))  # Sunday worked to make up
    assert clock.add_business_days(date(2026, 10, 9), 1) == date(2026, 10, 10)


def test_zero_days_rolls_a_day_off_forward():
    assert clock.add_business_days(date(2026, 10, 1), 0) == date(2026, 10, 8)
    assert clock.add_business_days(date(2026, 11, 24), 0) == date(2026, 11, 24)


def test_configured_extra_days_win_over_the_package():
    clock.configure({"EXTRA_HOLIDAYS": ["2026-11-25"], "EXTRA_WORKDAYS": ["2026-11-28"]})
    assert not clock.is_business_day(date(2026, 11, 25))
    assert clock.is_business_day(date(2026, 11, 28))
    assert clock.add_business_days(date(2026, 11, 24), 1) == date(2026, 11, 26)


def test_last_business_day_of_the_week():
    assert clock.last_business_day_of_week(date(2026, 11, 24)) == date(2026, 11, 27)
    assert clock.last_business_day_of_week(date(2026, 10, 1)) == date(2026, 9, 30)  # Golden Week starts Thu
    assert clock.last_business_day_of_week(date(2026, 10, 6)) == date(2026, 10, 10)  # make-up Saturday


def test_the_configured_time_zone_is_used():
    clock.configure({"TIMEZONE": "Europe/London", "HOLIDAY_COUNTRY": ""})
    assert clock.business_date(datetime(2026, 11, 23, 23, 30, tzinfo=UTC)) == date(2026, 11, 23)
