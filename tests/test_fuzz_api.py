"""Bad input, API: arbitrary bodies into POST /api/v1/feedback — an answer per item, never a 500."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feedback import tokens
from feedback.models import Feedback
from tests.factories import NOW

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                             HealthCheck.too_slow])
FIELDS = ["channel", "text", "subject", "customer", "contact", "order_ref", "product_ref", "rating", "csat", "nps",
          "received_at", "external_id", "language", "source", "items"]

text = st.text(st.characters(exclude_categories=[]), max_size=60)  # lone surrogates, NULs and all
scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | text | st.sampled_from(
    ["email", "phone", "review", "survey", "forum", "2026-11-24T10:00:00", "2026-02-30", "1e999", "-1", "６"])
value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                     max_leaves=10)
item = st.dictionaries(st.sampled_from(FIELDS) | text, value, max_size=8)
bodies = st.one_of(
    item.map(lambda d: json.dumps(d).encode()),
    st.lists(item, max_size=5).map(lambda items: json.dumps({"items": items}).encode()),
    st.lists(item, max_size=5).map(lambda items: json.dumps(items).encode()),
    st.builds(lambda t: json.dumps({"channel": "email", "text": t * 2000}).encode(), text),  # huge fields
    st.binary(max_size=300),
)


@pytest.fixture
def bearer(session, loaded_taxonomy) -> dict:
    _, plain = tokens.create_token(session, name="fuzz", scopes=["feedback:write"], user=None, now=NOW)
    return {"Authorization": f"Bearer {plain}", "Content-Type": "application/json"}


@SETTINGS
@given(body=bodies)
@example(body=json.dumps({"channel": "email", "text": "late", "source": "shop\x00", "external_id": "a\x00\ud800"}).encode())
@example(body=json.dumps({"items": [{"channel": "email", "text": "\ud800", "customer": "\x00"}] * 2}).encode())
@example(body=json.dumps({"channel": "review", "rating": 1e309, "text": "x" * 100_000}).encode())
def test_any_body_gets_an_answer_per_item(client, session, bearer, body):
    response = client.post("/api/v1/feedback", data=body, headers=bearer)
    assert response.status_code in (200, 201, 207, 400, 413, 422), (response.status_code, response.text[:300])
    answer = response.get_json()
    assert isinstance(answer, dict)
    results = answer.get("results", [answer] if "status" in answer and "index" in answer else [])
    if response.status_code == 400:
        assert answer["error"]
    for result in results:
        if result["status"] == "error":
            assert result["error"]
        else:
            assert session.get(Feedback, result["id"]) is not None
    session.rollback()  # see what the next request commits


def test_a_batch_of_good_and_bad_items_stores_the_good_ones(client, session, bearer):
    items = [{"channel": "email", "text": "Parcel late"}, {"channel": "fax", "text": "x"}, {"channel": "survey", "text": "\x00\ud800"}]
    response = client.post("/api/v1/feedback", json={"items": items}, headers=bearer)
    results = response.get_json()["results"]
    assert response.status_code == 207 and [r["status"] for r in results][:2] == ["created", "error"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == sum(r["status"] == "created" for r in results)
