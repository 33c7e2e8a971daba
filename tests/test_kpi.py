"""KPIs: computed from our data, imported (form, CSV, API), status against target, one breach ticket per period."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from feedback import clock, kpi, tickets
from feedback.cli import main
from feedback.errors import Forbidden, Invalid
from feedback.models import KPI, Feedback, JobRun, Ticket, TicketEvent
from tests import factories
from tests.test_pareto import add_feedback

WEEK = "2026-W47"
MONDAY = date(2026, 11, 16)
MONDAY_10 = clock.day_bounds(MONDAY)[0] + timedelta(hours=10)


def get(session, key: str) -> KPI:
    return session.execute(sa.select(KPI).where(KPI.key == key)).scalar_one()


def test_solving_rate_and_24_hour_rate_from_tickets(session, loaded_taxonomy):
    manager = factories.make_user(session, role="manager")
    made = [factories.make_ticket(session, received_at=MONDAY_10 + timedelta(hours=i)) for i in range(4)]
    tickets.close_ticket(session, made[0].id, "fixed", by=manager, now=made[0].opened_at + timedelta(hours=3))
    tickets.resolve(session, made[1].id, "", by=manager, now=made[1].opened_at + timedelta(hours=30))
    start, end = kpi.week_range(WEEK)
    assert kpi.solving_rate(session, start, end) == 50.0  # 2 of 4 resolved or closed
    assert kpi.solved_24h_rate(session, start, end) == 25.0  # only the one closed after 3 h
    assert kpi.value(session, get(session, "service.solving_rate"), start, end) == 50.0
    assert kpi.solving_rate(session, start - timedelta(days=7), end - timedelta(days=7)) is None  # no tickets: no value


def test_csat_praise_rate_and_complaints_per_channel(session, loaded_taxonomy):
    add_feedback(session, {"praise": 3, "logistics.late": 4, "marketing.price": 1}, channel="survey")
    add_feedback(session, {"logistics.late": 2}, channel="phone")
    session.execute(sa.update(Feedback).where(Feedback.channel == "survey").values(csat=4))
    first = session.execute(sa.select(Feedback.id).where(Feedback.channel == "survey").limit(1)).scalar_one()
    session.execute(sa.update(Feedback).where(Feedback.id == first).values(csat=1))
    session.commit()
    start, end = kpi.week_range(WEEK)
    assert kpi.csat(session, start, end) == round((7 * 4 + 1) / 8, 2)
    assert kpi.value(session, get(session, "product.praise_rate"), start, end) == 30.0  # 3 of 10
    assert kpi.value(session, get(session, "marketing.promotion_complaint_rate"), start, end) == 10.0
    assert kpi.complaints_per_channel(session, start, end) == {"survey": 5, "phone": 2}


@pytest.mark.parametrize("direction,target,value,expected", [
    ("higher", 95.0, 96.0, "on_target"), ("higher", 95.0, 95.0, "on_target"), ("higher", 95.0, 92.0, "at_risk"),
    ("higher", 95.0, 80.0, "breached"), ("lower", 2.0, 1.5, "on_target"), ("lower", 2.0, 2.05, "at_risk"),
    ("lower", 2.0, 3.0, "breached"), ("higher", 95.0, None, "no_data"),
])
def test_status_against_target_and_direction(direction, target, value, expected):
    assert kpi.status(KPI(key="k", name_en="k", name_zh="k", direction=direction, target=target), value, 0.05) == expected


def test_an_imported_value_for_the_exact_period_wins(session, loaded_taxonomy):
    start, end = kpi.week_range(WEEK)
    kpi.set_value(session, "logistics.on_time_rate", start, start + timedelta(days=2), 90.0, by=None, now=factories.NOW)
    assert kpi.value(session, get(session, "logistics.on_time_rate"), start, end) == 90.0  # latest ending inside
    kpi.set_value(session, "logistics.on_time_rate", start, end, 97.5, by=None, now=factories.NOW)
    kpi.set_value(session, "logistics.on_time_rate", start, end, 96.0, by=None, now=factories.NOW)  # replaces
    assert kpi.value(session, get(session, "logistics.on_time_rate"), start, end) == 96.0
    assert session.execute(sa.select(sa.func.count()).select_from(kpi.KPIValue)).scalar() == 2


def test_heads_enter_only_their_department_and_computed_kpis_refuse_values(session, loaded_taxonomy):
    head = factories.make_user(session, role="head", department="product")
    start, end = kpi.week_range(WEEK)
    kpi.set_value(session, "product.out_of_stock_rate", start, end, 1.2, by=head, now=factories.NOW)
    with pytest.raises(Forbidden):
        kpi.set_value(session, "logistics.on_time_rate", start, end, 99.0, by=head, now=factories.NOW)
    with pytest.raises(Invalid):
        kpi.set_value(session, "service.csat", start, end, 5.0, by=None, now=factories.NOW)


def test_csv_import_is_all_or_none(session, loaded_taxonomy):
    good = b"kpi,period_start,period_end,value\nlogistics.on_time_rate,2026-11-16,2026-11-22,93.5\n"
    assert kpi.import_rows(session, kpi.read_csv(good), by=None, now=factories.NOW).stored == 1
    bad = good + b"logistics.nope,2026-11-16,2026-11-22,1\nproduct.out_of_stock_rate,2026-13-01,,2\n"
    result = kpi.import_rows(session, kpi.read_csv(bad), by=None, now=factories.NOW)
    assert result.stored == 0 and [e.split(":")[0] for e in result.errors] == ["row 2", "row 3"]
    with pytest.raises(Invalid):
        kpi.read_csv(b"name,amount\nx,1\n")


def test_kpi_import_command(runner, session, loaded_taxonomy, tmp_path):
    path = tmp_path / "kpis.csv"
    path.write_text("kpi,period_start,period_end,value\nproduct.out_of_stock_rate,2026-11-16,2026-11-22,4.5\n"
                    "logistics.delivery_success_rate,2026-11-16,2026-11-22,99\n", encoding="utf-8")
    result = runner.invoke(main, ["kpi", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 KPI values stored" in result.output
    start, end = kpi.week_range(WEEK)
    assert kpi.value(session, get(session, "product.out_of_stock_rate"), start, end) == 4.5
    path.write_text("kpi,period_start,period_end,value\nproduct.nope,2026-11-16,2026-11-22,1\n", encoding="utf-8")
    assert runner.invoke(main, ["kpi", "import", str(path)]).exit_code == 1


def test_a_breached_kpi_opens_exactly_one_ticket_for_its_head(session, loaded_taxonomy):
    head = factories.make_user(session, role="head", department="logistics")
    start, end = kpi.week_range(WEEK)
    kpi.set_value(session, "logistics.on_time_rate", start, end, 80.0, by=None, now=factories.NOW)  # target 95
    kpi.set_value(session, "logistics.delivery_success_rate", start, end, 98.5, by=None, now=factories.NOW)  # on target
    opened = kpi.check_breaches(session, WEEK, margin=0.05, now=factories.NOW)
    for _ in range(3):  # the job runs again and again
        assert kpi.check_breaches(session, WEEK, margin=0.05, now=factories.NOW + timedelta(hours=1)) == []
    breach = session.execute(sa.select(Ticket).where(Ticket.title.like("KPI breached%"))).scalars().all()
    assert [t.id for t in breach] == [opened[0].id]
    ticket = breach[0]
    assert ticket.owner_id == head.id and ticket.department_id == head.department_id and ticket.status == "open"
    assert ticket.due_at is not None and ticket.due_at > factories.NOW
    assert "On-time delivery rate" in ticket.title
    events = session.execute(sa.select(TicketEvent.field, TicketEvent.note).where(TicketEvent.ticket_id == ticket.id)).all()
    assert ("status", f"KPI logistics.on_time_rate breached in {WEEK}") in events
    assert kpi.breach_tickets(session, WEEK) == {"logistics.on_time_rate": ticket.number}
    # another week is another period: a new ticket
    kpi.set_value(session, "logistics.on_time_rate", start + timedelta(days=7), end + timedelta(days=7), 70.0, by=None, now=factories.NOW)
    assert len(kpi.check_breaches(session, "2026-W48", margin=0.05, now=factories.NOW)) == 1
    assert session.execute(sa.select(sa.func.count()).select_from(JobRun).where(JobRun.job == "kpi-breach")).scalar() == 2


def test_trend_and_daily_values(session, loaded_taxonomy):
    add_feedback(session, {"praise": 1, "logistics.late": 1}, day=MONDAY)
    add_feedback(session, {"praise": 1, "logistics.late": 3}, day=MONDAY - timedelta(days=7))
    praise = get(session, "product.praise_rate")
    points = kpi.trend(session, praise, WEEK, weeks=3)
    assert points == [("2026-W45", None), ("2026-W46", 25.0), ("2026-W47", 50.0)]
    days = kpi.daily(session, praise, WEEK)
    assert days[0] == (MONDAY, 50.0) and days[1] == (MONDAY + timedelta(days=1), None)
