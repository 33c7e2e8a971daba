"""The phone desk: agents log calls; a double submit stores the call once; the role guard holds."""

import re

import sqlalchemy as sa

from feedback.intake.phone import PAGE_SOURCE
from feedback.models import Feedback, ImportRun


def call_id(page: str) -> str:
    return re.search(r'name="call_id" value="([0-9a-f]+)"', page).group(1)


def test_an_agent_logs_a_call_and_sees_it_listed(client, login, session):
    agent = login("agent")
    page = client.get("/phone").text
    assert 'autofocus' in page and 'type="datetime-local"' in page
    form = {"call_id": call_id(page), "customer": "Wu Hao", "contact": "13912345678", "order_ref": "SO-881",
            "product_ref": "KETTLE-2", "text": "The kettle leaks from the base", "called_at": "2026-11-24T09:41"}
    response = client.post("/phone", data=form)
    assert response.status_code == 302
    stored = session.exec(sa.select(Feedback)).scalar_one()
    assert (stored.channel, stored.source, stored.customer, stored.contact) == ("phone", PAGE_SOURCE, "Wu Hao", "13912345678")
    assert (stored.order_ref, stored.product_ref, stored.body) == ("SO-881", "KETTLE-2", "The kettle leaks from the base")
    assert stored.received_at.isoformat() == "2026-11-24T01:41:00+00:00"
    assert session.exec(sa.select(ImportRun.file_name)).scalar_one() == f"logged by {agent.email}"
    after = client.get("/phone").text
    assert f"Call logged as feedback #{stored.id}." in after and "Wu Hao" in after
    assert call_id(after) != form["call_id"]  # the next call gets its own id


def test_the_same_form_submitted_twice_stores_one_call(client, login, session):
    login("agent")
    form = {"call_id": call_id(client.get("/phone").text), "customer": "Wu", "text": "Refund not received"}
    client.post("/phone", data=form)
    client.post("/phone", data=form)
    assert session.execute(sa.select(sa.func.count()).select_from(Feedback)).scalar_one() == 1
    assert "This call was logged already" in client.get("/phone").text


def test_a_call_without_text_keeps_what_was_typed(client, login, session):
    login("agent")
    response = client.post("/phone", data={"call_id": "abc", "customer": "Wu Hao", "contact": "139"})
    assert response.status_code == 400
    assert "no text" in response.text and 'value="Wu Hao"' in response.text
    assert session.execute(sa.select(sa.func.count()).select_from(Feedback)).scalar_one() == 0


def test_viewers_and_heads_cannot_log_calls(client, login):
    login("viewer")
    assert client.get("/phone").status_code == 403
    assert client.post("/phone", data={"text": "x"}).status_code == 403


def test_the_agent_sees_the_desk_in_the_navigation(client, login):
    login("agent")
    assert 'href="/phone"' in client.get("/").text


def test_the_suggested_category_follows_the_text(client, login):
    login("agent")
    late = client.get("/phone/suggest", query_string={"text": "快递太慢了，等了一周"}).json
    assert late["category"].startswith("logistics.") and late["label"] and late["confidence"] >= 0.5
    vague = client.get("/phone/suggest", query_string={"text": "hello"}).json
    assert vague["category"] == "" and vague["label"] == ""
