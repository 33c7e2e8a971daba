"""The playbook journey in Chromium: a head opens a ticket, reads the playbook and a similar past resolution,
copies it into the close form, closes with a proposal, and accepts the proposal into the playbook."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from feedback import db, playbooks, tickets
from tests.browser.test_shell import sign_in
from tests.factories import NOW, make_ticket, make_user

pytestmark = pytest.mark.browser


def test_open_a_ticket_see_playbook_and_similar_resolution_copy_it_and_close(page, live_app):
    with db.session_scope(live_app.extensions["feedback.engine"]) as session:
        playbooks.load_defaults(session, now=NOW)
        head = make_user(session, role="head", department="logistics", name="Zhang Wei", email="zhang@example.com")
        past = make_ticket(session, subject="", body="Parcel stuck at the Shenzhen depot after the typhoon.")
        tickets.close_ticket(session, past.id, "Re-shipped from the Guangzhou warehouse by express.", by=head,
                             now=NOW + timedelta(days=2))
        ticket = make_ticket(session, subject="", body="My parcel has been in the Shenzhen depot for days (typhoon?).",
                             customer="Mei Lin", contact="mei@customer.example", order_ref="SO-77")
        number = tickets.number(ticket.id)
    page.on("dialog", lambda dialog: dialog.accept())

    sign_in(page, "zhang@example.com")
    page.goto(f"/tickets/{ticket.id}")
    panel = page.locator(".playbook-panel")
    expect(panel.get_by_role("heading", name="Playbook: Late delivery")).to_be_visible()
    expect(panel.get_by_role("heading", name="Check")).to_be_visible()
    hit = page.get_by_test_id("similar").first
    expect(hit).to_contain_text("Re-shipped from the Guangzhou warehouse by express.")
    expect(hit).to_contain_text("closed in 2 d 0 h")

    # The reply form starts from the template in the customer's language, filled; another template can be chosen.
    reply = page.locator(".reply-panel")
    text = reply.get_by_role("textbox", name="Reply", exact=True)
    expect(text).to_have_value(re.compile(r"^Dear Mei Lin,[\s\S]*SO-77"))
    reply.get_by_label("Template").select_option(label="Chinese")
    expect(text).to_have_value(re.compile(r"^Mei Lin 您好"))

    # One click copies the past resolution as the start of this ticket's.
    hit.get_by_role("button", name="Use this resolution").click()
    resolution = page.locator('form[action$="/close"] textarea[name=resolution]')
    expect(resolution).to_have_value("Re-shipped from the Guangzhou warehouse by express.")
    expect(resolution).to_be_focused()
    resolution.fill("Re-shipped from the Guangzhou warehouse by express; customer confirmed.")
    page.get_by_label("Propose an addition to the playbook (optional)").fill("In typhoon season, re-ship from Guangzhou at once.")
    page.get_by_role("button", name="Close ticket").click()
    expect(page.get_by_text("Ticket closed.")).to_be_visible()
    expect(page.get_by_test_id("resolution")).to_have_text("Re-shipped from the Guangzhou warehouse by express; customer confirmed.")

    # The head accepts the proposal: the playbook gets a new version with it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Playbooks").click()
    page.get_by_role("link", name="Proposals waiting").click()
    expect(page.get_by_text(number)).to_be_visible()
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Added to the playbook as version 2.")).to_be_visible()
    page.goto("/playbooks/logistics.late")
    expect(page.get_by_test_id("shown-version")).to_contain_text("Version 2")
    expect(page.locator(".playbook-body").first).to_contain_text("In typhoon season, re-ship from Guangzhou at once.")
