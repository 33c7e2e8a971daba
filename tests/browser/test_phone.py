"""An agent logs a call with the keyboard only: fields by Tab, the suggestion as they type, Ctrl+Enter saves."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from feedback import db
from feedback.models import Feedback
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_an_agent_logs_a_call_from_the_keyboard(page, live_app):
    with db.session_scope(live_app.extensions["feedback.engine"]) as session:
        make_user(session, role="agent", name="Sam Agent", email="sam@example.com")
    page.goto("/login")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log a call").click()
    expect(page.get_by_label("Customer name")).to_be_focused()
    page.keyboard.type("Wu Hao")
    page.keyboard.press("Tab")
    page.keyboard.type("13912345678")
    page.keyboard.press("Tab")
    page.keyboard.type("SO-881")
    page.keyboard.press("Tab")
    page.keyboard.type("KETTLE-2")
    page.keyboard.press("Tab")
    expect(page.get_by_label("What they said")).to_be_focused()
    page.keyboard.type("快递太慢了，等了一周")
    suggestion = page.locator("#suggestion")
    expect(suggestion).to_be_visible()
    expect(suggestion.locator("strong")).not_to_be_empty()
    page.keyboard.press("Control+Enter")
    expect(page.get_by_text("Call logged as feedback #")).to_be_visible()
    expect(page.get_by_role("cell", name="Wu Hao")).to_be_visible()
    expect(page.get_by_label("Customer name")).to_have_value("")
    with db.session_scope(live_app.extensions["feedback.engine"]) as session:
        call = session.exec(sa.select(Feedback)).scalar_one()
        assert (call.channel, call.contact, call.order_ref, call.product_ref) == ("phone", "13912345678", "SO-881", "KETTLE-2")
