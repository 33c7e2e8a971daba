"""The triage page: who may use it, one-key choices, bulk apply, and the classifier's figures."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback import intake
from feedback.models import Feedback, FeedbackEvent
from tests.classify_model import install_model
from tests.factories import NOW, incoming


def store(session, *subjects: str) -> list[int]:
    """Items no rule recognises: they land in `other`, i.e. in triage."""
    items = [incoming(subject=s, body=f"{s}: please see attached.") for s in subjects]
    run = intake.import_items(session, items, channel="email", source="support@shop.example", now=lambda: NOW)
    return list(session.execute(sa.select(Feedback.id).where(Feedback.import_run_id == run.id).order_by(Feedback.id)).scalars())


@pytest.mark.parametrize("role, status", [("agent", 200), ("manager", 200), ("admin", 200), ("head", 403), ("viewer", 403)])
def test_triage_is_for_agents_managers_and_admins(client, login, role, status):
    login(role)
    assert client.get("/triage").status_code == status
    assert client.get("/triage/model").status_code == status


def test_the_queue_lists_unsure_items_with_a_key_per_category(client, login, session):
    login("agent")
    store(session, "Question-about-order-A")
    page = client.get("/triage").text
    assert "Question-about-order-A" in page
    assert 'data-triage-key="1" aria-keyshortcuts="1"><kbd>1</kbd> Out of stock' in page
    assert 'value="logistics.late" data-triage-key="5"' in page


def test_one_choice_takes_the_item_out_of_the_queue_and_records_who_chose(client, login, session):
    agent = login("agent")
    first, second = store(session, "Question-about-order-A", "Question-about-order-B")
    response = client.post("/triage", data={"ids": [first], "category": "logistics.failed"}, follow_redirects=True)
    assert "1 item(s) classified, 1 changed." in response.text
    assert "Question-about-order-A" not in response.text and "Question-about-order-B" in response.text
    event = session.execute(sa.select(FeedbackEvent).where(FeedbackEvent.feedback_id == first)).scalar_one()
    assert (event.by_id, event.old, event.new) == (agent.id, "other", "logistics.failed")


def test_bulk_apply_classifies_every_ticked_item(client, login, session):
    login("manager")
    ids = store(session, "Question-about-order-A", "Question-about-order-B", "Question-about-order-C")
    response = client.post("/triage", data={"ids": ids[:2], "category": "praise"}, follow_redirects=True)
    assert "2 item(s) classified, 2 changed." in response.text
    people = session.execute(sa.select(Feedback.id).where(Feedback.classified_by == "person").order_by(Feedback.id)).scalars()
    assert list(people) == ids[:2]


def test_a_choice_without_items_or_category_is_refused_with_a_message(client, login, session):
    login("agent")
    (item,) = store(session, "Question-about-order-A")
    assert "choose at least one feedback item" in client.post("/triage", data={"category": "praise"}, follow_redirects=True).text
    assert "unknown category" in client.post("/triage", data={"ids": [item], "category": "x"}, follow_redirects=True).text
    assert session.execute(sa.select(sa.func.count()).select_from(FeedbackEvent)).scalar_one() == 0


def test_an_empty_queue_says_so(client, login):
    login("agent")
    assert "Nothing to triage" in client.get("/triage").text


def test_the_figures_page_shows_rules_only_then_the_trained_model(app, client, login):
    login("manager")
    assert "No model is trained yet" in client.get("/triage/model").text
    install_model(app.instance_path)
    page = client.get("/triage/model").text
    assert "v1" in page and "685" in page and "Cross-validated accuracy" in page
    assert "No model is trained yet" not in page
