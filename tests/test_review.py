"""The weekly review: built once per ISO week by the scheduler, frozen when closed, mailed; improvement projects."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from feedback import clock, kpi, projects, review, tickets
from feedback.cli import main
from feedback.errors import Forbidden, Invalid
from feedback.models import JobRun, ProjectTicket, WeeklyReview
from tests import factories
from tests.smtp import _smtp_controller, smtp_inbox  # noqa: F401

WEEK = "2026-W47"
MONDAY_10 = clock.day_bounds(date(2026, 11, 16))[0] + timedelta(hours=10)
NEXT_MONDAY_8 = datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc)  # 08:00 in Shanghai


@pytest.fixture
def manager(session, loaded_taxonomy):
    return factories.make_user(session, role="manager")


def test_the_scheduler_builds_last_week_s_review_once_from_monday_8(app, session, manager):
    assert review.scheduled_build(session, config=app.config, now=NEXT_MONDAY_8 - timedelta(minutes=1)) is None
    built = review.scheduled_build(session, config=app.config, now=NEXT_MONDAY_8)
    assert built.iso_week == WEEK and built.status == "open" and built.week_start == date(2026, 11, 16)
    for hours in (1, 5, 30):  # every later run that week, or a second scheduler
        assert review.scheduled_build(session, config=app.config, now=NEXT_MONDAY_8 + timedelta(hours=hours)) is None
    assert session.execute(sa.select(sa.func.count()).select_from(WeeklyReview)).scalar() == 1
    assert session.execute(sa.select(JobRun.key).where(JobRun.job == "weekly-review")).scalars().all() == [WEEK]


def test_the_review_hour_is_configurable(app, session, manager):
    app.config["REVIEW_HOUR"] = 10
    assert review.scheduled_build(session, config=app.config, now=NEXT_MONDAY_8 + timedelta(hours=1)) is None
    assert review.scheduled_build(session, config=app.config, now=NEXT_MONDAY_8 + timedelta(hours=2)).iso_week == WEEK


def test_a_closed_review_does_not_change_when_a_ticket_is_edited(app, session, manager, smtp_inbox):  # noqa: F811
    head = factories.make_user(session, role="head", department="logistics")
    first = factories.make_ticket(session, received_at=MONDAY_10)
    factories.make_ticket(session, category="product.quality", received_at=MONDAY_10)
    review.build(session, WEEK, now=NEXT_MONDAY_8)
    review.set_notes(session, WEEK, "Late parcels again.", by=manager, now=NEXT_MONDAY_8)
    with app.app_context():
        closed = review.close(session, WEEK, by=manager, config=app.config, now=NEXT_MONDAY_8)
        sent = review.mail_review(session, closed, config=app.config)
    frozen = review.contents(session, closed, config=app.config, now=NEXT_MONDAY_8)
    before = {c["department"]: c["closed"] for c in frozen["clearance"]}
    assert before["logistics"] == 0 and frozen["pareto"]["total"] == 2
    # later edits: a ticket is closed (back-dated into the week) and more feedback arrives for the week
    tickets.close_ticket(session, first.id, "sorted", by=head, now=NEXT_MONDAY_8 - timedelta(days=3))
    factories.make_ticket(session, category="site.usability", received_at=MONDAY_10 + timedelta(days=1))
    session.expire_all()
    again = review.contents(session, review.get(session, WEEK), config=app.config, now=NEXT_MONDAY_8)
    assert again == frozen
    live = review.live(session, WEEK, config=app.config, now=NEXT_MONDAY_8)
    assert {c["department"]: c["closed"] for c in live["clearance"]}["logistics"] == 1 and live["pareto"]["total"] == 3
    # mailed to heads and managers, with the Pareto chart in the HTML part
    assert sent == 2
    mail = smtp_inbox.to(head.email)[0]
    html = mail.get_body(("html",)).get_content()
    assert "<svg" in html and "chart-pareto" in html and "Late parcels again." in html
    assert WEEK in mail["Subject"]


def test_only_the_manager_closes_and_only_once(app, session, manager):
    head = factories.make_user(session, role="head", department="logistics")
    review.build(session, WEEK, now=NEXT_MONDAY_8)
    with pytest.raises(Forbidden):
        review.close(session, WEEK, by=head, config=app.config, now=NEXT_MONDAY_8)
    review.close(session, WEEK, by=manager, config=app.config, now=NEXT_MONDAY_8)
    with pytest.raises(Invalid):
        review.close(session, WEEK, by=manager, config=app.config, now=NEXT_MONDAY_8)
    with pytest.raises(Invalid):
        review.set_notes(session, WEEK, "too late", by=manager, now=NEXT_MONDAY_8)


def test_open_a_project_from_the_top_pareto_item(app, session, manager):
    made = [factories.make_ticket(session, received_at=MONDAY_10 + timedelta(hours=i)) for i in range(2)]
    start, end = kpi.week_range(WEEK)
    kpi.set_value(session, "logistics.on_time_rate", start, end, 90.0, by=None, now=NEXT_MONDAY_8)
    owner = factories.make_user(session, role="head", department="logistics")
    refs = projects.week_ticket_refs(session, WEEK, "logistics.late")
    assert refs == ", ".join(t.number for t in made)
    project = projects.open_project(session, WEEK, projects.ProjectIn(
        "Cut late deliveries", "logistics.late", owner.id, "logistics.on_time_rate", 95.0, date(2027, 1, 31), refs),
        by=manager, now=NEXT_MONDAY_8)
    assert project.baseline_value == 90.0
    assert session.execute(sa.select(sa.func.count()).select_from(ProjectTicket)).scalar() == 2
    # the KPI moves in the week the review looks at next
    kpi.set_value(session, "logistics.on_time_rate", start + timedelta(days=7), end + timedelta(days=7), 93.0,
                  by=None, now=NEXT_MONDAY_8)
    view = projects.listing(session, now=NEXT_MONDAY_8 + timedelta(days=7))[0]
    assert (view.current, view.movement, view.improving, view.tickets) == (93.0, 3.0, True, 2)
    other = factories.make_user(session, role="head", department="product")
    with pytest.raises(Forbidden):
        projects.open_project(session, WEEK, projects.ProjectIn("x", "logistics.late", other.id), by=other, now=NEXT_MONDAY_8)
    with pytest.raises(Invalid):
        projects.open_project(session, WEEK, projects.ProjectIn("", "logistics.late", owner.id), by=manager, now=NEXT_MONDAY_8)
    projects.set_status(session, project.id, "done", by=manager, now=NEXT_MONDAY_8)
    assert projects.listing(session, now=NEXT_MONDAY_8) == []


def test_review_build_and_pareto_commands(runner, session, manager):
    factories.make_ticket(session, received_at=MONDAY_10)
    result = runner.invoke(main, ["review", "build", "--week", WEEK])
    assert result.exit_code == 0, result.output
    assert review.get(session, WEEK).status == "open"
    import json

    out = runner.invoke(main, ["pareto", "--week", WEEK, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["total"] == 1 and data["rows"][0]["key"] == "logistics.late" and data["rows"][0]["vital"]
    table = runner.invoke(main, ["pareto", "--week", WEEK, "--by", "tickets"])
    assert "* logistics.late" in table.output
    assert runner.invoke(main, ["pareto", "--week", "47"]).exit_code == 1


def test_the_scheduler_registers_the_weekly_review_job(app):
    from feedback import jobs

    scheduler = jobs.build_scheduler(app)
    job = scheduler.get_job("weekly-review")
    assert job is not None and "minute='0'" in str(job.trigger)
