import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from feedback import db, intake
from feedback.models import Feedback
from tests.browser.test_shell import sign_in
from tests.factories import NOW, incoming, make_user

pytestmark = pytest.mark.browser


def test_agent_classifies_an_item_with_one_key_and_it_leaves_the_queue(page, live_app):
    engine = live_app.extensions["feedback.engine"]
    with db.session_scope(engine) as session:
        make_user(session, role="agent", email="li@example.com")
        items = [incoming(subject=s, body=f"{s}: see attached") for s in ("Question-A", "Question-B")]
        intake.import_items(session, items, channel="email", source="support@shop.example", now=lambda: NOW)
    sign_in(page, "li@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Triage").click()
    expect(page.get_by_role("heading", name="Triage")).to_be_visible()
    page.get_by_text("Question-A", exact=True).wait_for()
    page.keyboard.press("j")  # the second item is highlighted
    page.keyboard.press("5")  # logistics.late
    page.get_by_text("1 item(s) classified, 1 changed.").wait_for()
    assert page.get_by_text("Question-B", exact=True).count() == 0
    expect(page.get_by_text("Question-A", exact=True)).to_be_visible()
    with db.session_scope(engine) as session:
        row = session.execute(sa.select(Feedback.classified_by, Feedback.confidence).where(Feedback.subject == "Question-B")).one()
    assert tuple(row) == ("person", 1.0)
