"""The weekly review in Chromium: a head carries a ticket over and signs off; the manager opens a project
from the top Pareto item and closes the review."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from feedback import clock, db, review, tickets
from feedback.models import CarryOver, Project, SignOff, WeeklyReview
from tests.browser.test_shell import sign_in
from tests.factories import make_ticket, make_user

pytestmark = pytest.mark.browser


def test_head_clears_the_list_and_manager_closes_the_review(page, live_app, live_server):
    live_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9)  # nothing listens: closing still works, the page says so
    week = review.week_under_review(clock.now())
    monday_10 = clock.day_bounds(clock.week_start(week))[0] + timedelta(hours=10)
    with db.session_scope(live_app.extensions["feedback.engine"]) as session:
        head = make_user(session, role="head", department="logistics", name="Zhang Wei", email="zhang@example.com")
        make_user(session, role="manager", name="Wang Fang", email="wang@example.com")
        done = make_ticket(session, category="logistics.late", received_at=monday_10)
        waiting = make_ticket(session, category="logistics.late", received_at=monday_10 + timedelta(hours=2))
        make_ticket(session, category="logistics.late", received_at=monday_10 + timedelta(hours=3))
        make_ticket(session, category="product.quality", received_at=monday_10)
        tickets.close_ticket(session, done.id, "Re-delivered", by=head, now=monday_10 + timedelta(hours=5))
        review.build(session, week, now=clock.now())  # as the Monday job does
        number = waiting.number
    page.on("dialog", lambda dialog: dialog.accept())

    # The head opens the review, goes to the department's list and carries the open tickets over.
    sign_in(page, "zhang@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Weekly review").click()
    page.get_by_role("link", name=week).click()
    page.get_by_role("link", name="Logistics").click()
    expect(page.get_by_role("heading", name=f"Logistics: the list of {week}")).to_be_visible()
    expect(page.get_by_role("button", name="Sign off the list")).to_be_disabled()
    due = (clock.business_date(clock.now()) + timedelta(days=7)).isoformat()
    waiting_rows = page.locator("tr[data-ticket]").filter(has=page.get_by_role("button", name="Carry over"))
    expect(waiting_rows).to_have_count(2)
    for left in (1, 0):  # the page reloads after each carry-over
        row = waiting_rows.first
        row.get_by_label("Reason").fill("Waiting for the courier's report")
        row.get_by_label("New due date").fill(due)
        row.get_by_role("button", name="Carry over").click()
        expect(page.get_by_text("carried over to next week")).to_be_visible()
        expect(waiting_rows).to_have_count(left)
    row = page.locator(f"tr[data-ticket='{number}']")
    expect(row).to_contain_text("carried over")
    expect(row).to_contain_text("Waiting for the courier's report")
    page.get_by_role("button", name="Sign off the list").click()
    expect(page.get_by_text(f"The list of {week} is signed off.")).to_be_visible()
    expect(page.locator("tr.current")).to_contain_text("Zhang Wei")

    # The manager opens a project from the top Pareto item and closes the review.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "wang@example.com")
    page.goto(f"/reviews/{week}")
    expect(page.locator("svg.chart-pareto")).to_be_visible()
    top = page.locator("table.pareto tbody tr").first
    expect(top).to_contain_text("Late delivery")
    top.get_by_role("link", name="Open project").click()
    page.get_by_label("Title").fill("Halve late deliveries")
    page.get_by_label("Goal value").fill("97")
    page.get_by_role("button", name="Open project").click()
    expect(page.get_by_text("Project “Halve late deliveries” opened.")).to_be_visible()
    expect(page.get_by_role("cell", name="Halve late deliveries")).to_be_visible()
    page.get_by_label("Notes").fill("Late deliveries lead again; project opened.")
    page.get_by_role("button", name="Close review").click()
    expect(page.get_by_text("could not be sent")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Weekly review {week}")).to_contain_text("closed")
    expect(page.get_by_text("Late deliveries lead again; project opened.")).to_be_visible()

    with db.session_scope(live_app.extensions["feedback.engine"]) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(CarryOver)).scalar() == 2
        assert session.execute(sa.select(sa.func.count()).select_from(SignOff)).scalar() == 1
        project = session.execute(sa.select(Project)).scalar_one()
        assert project.goal_value == 97.0 and project.kpi_id is not None
        closed = session.execute(sa.select(WeeklyReview)).scalar_one()
        assert closed.status == "closed" and closed.snapshot["projects"][0]["title"] == "Halve late deliveries"
