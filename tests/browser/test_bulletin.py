"""The bulletin journey in Chromium: the manager edits the draft with a live preview and issues it; a head gets it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from feedback import bulletin, clock, db
from tests.browser.test_shell import sign_in
from tests.factories import make_feedback, make_user
from tests.smtp import _smtp_controller  # noqa: F401

pytestmark = pytest.mark.browser


def test_manager_previews_and_issues_a_head_receives_it_the_archive_shows_it(page, live_app, _smtp_controller, tmp_path):  # noqa: F811
    screenshots = tmp_path
    inbox = _smtp_controller.handler.inbox
    inbox.mails.clear()
    inbox.configure(live_app)
    day = clock.yesterday(clock.now())
    with db.session_scope(live_app.extensions["feedback.engine"]) as session:
        make_user(session, role="manager", name="Wang Fang", email="wang@example.com")
        make_user(session, role="head", department="logistics", name="Zhang Wei", email="zhang@example.com")
        make_feedback(session, channel="phone", category="logistics.late", subject="Parcel <b>late</b>",
                      received_at=clock.day_bounds(day)[0] + timedelta(hours=3))
        bulletin.draft(session, day, now=clock.now(), config=live_app.config)
    page.on("dialog", lambda dialog: dialog.accept())

    sign_in(page, "wang@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Bulletin").click()
    expect(page.locator(".pagehead h1")).to_contain_text(day.isoformat())
    expect(page.locator(".bulletin-chart svg rect[fill]").first).to_be_visible()
    assert "Late delivery" in page.locator(".bulletin-chart svg").inner_html()
    editor = page.locator("#bulletin-text")
    text = editor.input_value().replace("<!-- commentary -->\n", "<!-- commentary -->\nCouriers were **slow** today.\n")
    editor.fill(text)
    # The server renders the preview: Markdown bold becomes <strong>, customer text stays text.
    expect(page.locator("#bulletin-preview strong", has_text="slow")).to_be_visible()
    expect(page.locator("#bulletin-preview")).to_contain_text("Parcel <b>late</b>")
    page.screenshot(path=str(screenshots / "editor.png"), full_page=True)
    page.get_by_role("button", name="Issue", exact=True).click()
    expect(page.get_by_text("Bulletin issued and mailed to 1 recipients.")).to_be_visible()
    expect(page.locator("article.bulletin strong", has_text="slow")).to_be_visible()
    assert page.get_by_role("button", name="Save draft").count() == 0

    [mail] = inbox.to("zhang@example.com")
    assert "Couriers were **slow** today." in mail.get_body(("plain",)).get_content()
    assert "<strong>slow</strong>" in mail.get_body(("html",)).get_content()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "zhang@example.com")
    page.goto("/bulletins/archive")
    page.get_by_role("link", name=day.isoformat()).click()
    expect(page.locator("article.bulletin")).to_contain_text("Couriers were slow today.")
    expect(page.get_by_text("by Wang Fang to 1 recipients")).to_be_visible()
    assert page.get_by_role("button", name="Issue", exact=True).count() == 0  # a head reads, never issues
    page.screenshot(path=str(screenshots / "bulletin.png"), full_page=True)
