"""POST /api/v1/feedback: token auth (hashed, scoped, revocable), single items and batches, JSON errors."""

import sqlalchemy as sa

from feedback import tokens
from feedback.models import ApiToken, Feedback, ImportRun
from tests.factories import NOW


def make_token(session, scopes=("feedback:write",)):
    return tokens.create_token(session, name="app store importer", scopes=list(scopes), user=None, now=NOW)


def post(client, body, token="", **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/v1/feedback", json=body, headers=headers, **kwargs)


def test_one_item_is_created_then_recognised(client, session):
    _token, plain = make_token(session)
    item = {"channel": "review", "text": "Screen cracked on arrival", "rating": 1, "product_ref": "PHONE-9",
            "external_id": "appstore-77", "received_at": "2026-11-23T08:00:00Z"}
    first = post(client, item, plain)
    assert first.status_code == 201
    assert first.json["status"] == "created" and first.json["id"]
    again = post(client, item, plain)
    assert again.status_code == 200 and again.json["status"] == "duplicate" and again.json["id"] == first.json["id"]
    stored = session.get(Feedback, first.json["id"])
    assert (stored.source, stored.rating, stored.external_id) == ("api:app store importer", 1, "appstore-77")
    assert session.exec(sa.select(ImportRun.channel)).scalars().all() == ["api", "api"]


def test_a_batch_gets_a_result_per_item(client, session):
    _token, plain = make_token(session)
    items = [{"channel": "survey", "text": f"answer {n}", "csat": n % 5 + 1} for n in range(998)]
    items += [{"channel": "fax", "text": "x"}, {"channel": "email"}]
    response = post(client, {"source": "survey-tool", "items": items}, plain)
    assert response.status_code == 207
    body = response.json
    assert (body["created"], body["duplicate"], body["errors"]) == (998, 0, 2)
    assert body["results"][0]["status"] == "created" and body["results"][0]["index"] == 0
    assert "channel" in body["results"][998]["error"]
    assert body["results"][999]["error"] == "no text and no rating"
    assert session.execute(sa.select(sa.func.count()).select_from(Feedback).where(Feedback.source == "survey-tool")).scalar_one() == 998


def test_more_than_a_thousand_items_is_refused(client, session):
    _token, plain = make_token(session)
    response = post(client, {"items": [{"channel": "email", "text": "x"}] * 1001}, plain)
    assert response.status_code == 400 and "at most 1000" in response.json["error"]


def test_tokens_are_checked_hashed_scoped_and_revocable(client, session):
    token, plain = make_token(session)
    assert token.token_hash != plain and plain not in str(session.exec(sa.select(ApiToken.token_hash)).all())
    item = {"channel": "email", "text": "hello"}
    assert post(client, item).status_code == 401
    assert post(client, item, "fbk_wrong").json == {"error": "a valid API token is required (Authorization: Bearer …)", "status": 401}
    _reader, reader_plain = make_token(session, scopes=("tickets:read",))
    assert post(client, item, reader_plain).status_code == 403
    assert post(client, item, plain).status_code == 201
    session.refresh(token)
    assert token.last_used_at is not None
    tokens.revoke_token(session, token.id, now=NOW)
    assert post(client, item, plain).status_code == 401


def test_bad_bodies_get_json_errors(client, session):
    _token, plain = make_token(session)
    not_json = client.post("/api/v1/feedback", data="text", headers={"Authorization": f"Bearer {plain}"})
    assert not_json.status_code == 400 and not_json.json["error"].startswith("the body must be JSON")
    invalid = post(client, {"channel": "review", "text": "x", "rating": 9}, plain)
    assert invalid.status_code == 422 and invalid.json["status"] == "error" and "rating" in invalid.json["error"]


def test_the_openapi_description_is_served(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    operation = spec["paths"]["/feedback"]["post"]
    assert {"201", "207", "401", "403"} <= set(operation["responses"])
    assert spec["components"]["schemas"]["FeedbackItem"]["properties"]["nps"]["maximum"] == 10


def test_admins_manage_tokens_on_their_page(client, login, session):
    login("admin")
    page = client.post("/admin/tokens", data={"name": "shop sync", "scopes": ["feedback:write"]})
    plain = page.text.split('<code id="new-token">')[1].split("</code>")[0]
    assert plain.startswith("fbk_") and "not shown again" in page.text
    token = session.exec(sa.select(ApiToken)).scalar_one()
    assert token.prefix == plain[:12] and token.scopes == ["feedback:write"]
    assert plain not in client.get("/admin/tokens").text
    client.post(f"/admin/tokens/{token.id}/revoke")
    session.refresh(token)
    assert token.revoked_at is not None and "revoked" in client.get("/admin/tokens").text


def test_only_admins_see_the_token_page(client, login):
    login("manager")
    assert client.get("/admin/tokens").status_code == 403


def test_a_plain_list_is_a_batch_too(client, session):
    _token, plain = make_token(session)
    response = post(client, [{"channel": "forum", "text": "one"}, {"channel": "forum", "text": "two"}], plain)
    assert response.status_code == 200 and response.json["created"] == 2
    assert {r["status"] for r in response.json["results"]} == {"created"}
