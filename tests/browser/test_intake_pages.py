import pytest
from playwright.sync_api import expect

from feedback import db, intake
from feedback.intake import Rejected
from tests.browser.test_shell import sign_in
from tests.factories import NOW, incoming, make_user

pytestmark = pytest.mark.browser


def test_agent_finds_a_complaint_and_reads_it(page, live_app):
    with db.session_scope(live_app.extensions["feedback.engine"]) as session:
        make_user(session, role="agent", email="agent@example.com")
        intake.import_items(session, [incoming(subject="Box crushed on arrival", body="Two glasses <i>broken</i>."),
                                      incoming(subject="Where is my refund")],
                            channel="email", source="support", now=lambda: NOW)
    sign_in(page, "agent@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Feedback").click()
    page.get_by_role("searchbox", name="Search").fill("crushed")
    page.keyboard.press("Enter")
    expect(page.get_by_text("1–1 of 1")).to_be_visible()
    page.get_by_role("link", name="Box crushed on arrival").click()
    expect(page.get_by_text("Two glasses <i>broken</i>.")).to_be_visible()  # shown as text, never as markup
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the raw input").click()
    assert download.value.suggested_filename.endswith(".eml")


def test_manager_retries_a_quarantined_mail(page, live_app):
    mail = b"From: a@b.example\r\nMessage-ID: <q1@b.example>\r\nSubject: Late parcel\r\n\r\nStill waiting."
    with db.session_scope(live_app.extensions["feedback.engine"]) as session:
        make_user(session, role="manager", email="boss@example.com")
        intake.import_items(session, [Rejected("email", "support", mail, "parser failed (fixed since)")],
                            channel="email", source="support", now=lambda: NOW)
    sign_in(page, "boss@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Quarantine").click()
    page.get_by_role("link", name="parser failed (fixed since)").click()
    expect(page.get_by_text("Still waiting.")).to_be_visible()
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("Stored: 1 new, 0 already there.")).to_be_visible()
    expect(page.get_by_text("Nothing in quarantine")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Feedback").click()
    expect(page.get_by_role("link", name="Late parcel")).to_be_visible()
