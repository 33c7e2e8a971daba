"""The ticket journey in Chromium: a call becomes a ticket with owner and due date, the head closes it, an agent cannot."""

import re

import pytest
from playwright.sync_api import expect

from feedback import db, tickets
from tests.browser.test_shell import sign_in
from tests.factories import make_feedback, make_user

pytestmark = pytest.mark.browser


def _settled(page) -> None:
    """The ticket page fetches its similar past resolutions after it shows: wait until they are in, so the
    forms below no longer move while a click is on its way."""
    expect(page.locator(".similar-panel .count")).to_be_attached()


def test_call_to_ticket_closed_by_the_head_and_refused_to_an_agent(page, live_app, live_server):
    with db.session_scope(live_app.extensions["feedback.engine"]) as session:
        make_user(session, role="head", department="logistics", name="Zhang Wei", email="zhang@example.com")
        make_user(session, role="agent", department="logistics", name="Sam Agent", email="sam@example.com")
        # The call as the phone desk stores it: through intake, channel phone, its category set.
        call = make_feedback(session, channel="phone", category="logistics.late", customer="Li Lei", contact="+86 138 0000 0001",
                             order_ref="SO-88", subject="", body="Customer called: parcel SO-88 has not arrived after a week.")
        number = tickets.number(call.ticket_id)
    page.on("dialog", lambda dialog: dialog.accept())

    # The agent finds the ticket in the list, with its owner and due date.
    sign_in(page, "sam@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets").click()
    row = page.get_by_role("row").filter(has_text=number)
    assert "Zhang Wei" in row.inner_text() and re.search(r"\d\d-\d\d \d\d:\d\d", row.inner_text())
    row.get_by_role("link", name=number).click()
    _settled(page)
    assert page.locator(".feedback-item .message").inner_text() == "Customer called: parcel SO-88 has not arrived after a week."
    assert page.get_by_test_id("owner").inner_text() == "Zhang Wei"
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d|\d\d-\d\d \d\d:\d\d", page.get_by_test_id("due").inner_text())
    assert page.get_by_role("button", name="Close ticket").count() == 0
    # Even sending the form by hand is refused by the service.
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(f"{page.url}/close", form={"csrf_token": token, "resolution": "I closed it"})
    assert refused.status == 403

    # The head closes it with a resolution.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "zhang@example.com")
    page.get_by_role("link", name=number).first.click()
    _settled(page)
    page.get_by_label("Resolution").fill("Courier re-delivered SO-88; customer confirmed by phone.")
    page.get_by_role("button", name="Close ticket").click()
    expect(page.get_by_text("Ticket closed.")).to_be_visible()
    assert page.get_by_test_id("resolution").inner_text() == "Courier re-delivered SO-88; customer confirmed by phone."
    expect(page.locator(".badge.status-closed").first).to_be_visible()

    # An agent still cannot close (or reopen) it.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "sam@example.com")
    page.goto(f"/tickets/{call.ticket_id}")
    _settled(page)
    assert page.get_by_role("button", name="Reopen").count() == 0
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert page.request.post(f"{page.url}/close", form={"csrf_token": token, "resolution": "again"}).status == 403
