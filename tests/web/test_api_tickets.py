"""The ticket API: token auth, the list filters with cursor pages, one ticket, PATCH and close, OpenAPI."""

import sqlalchemy as sa

from feedback import tickets, tokens
from feedback.models import ApiToken, Ticket
from tests.factories import NOW, make_feedback, make_ticket, make_user

READ_WRITE = ["tickets:read", "tickets:write"]


def token_for(session, role: str, *, department: str | None = None, scopes=READ_WRITE) -> dict:
    user = make_user(session, role=role, department=department)
    _token, plain = tokens.create_token(session, name=f"{role} script", scopes=scopes, user=user, now=NOW)
    return {"Authorization": f"Bearer {plain}"}


def test_a_token_is_required(client, session, loaded_taxonomy):
    make_ticket(session)
    assert client.get("/api/v1/tickets").status_code == 401
    response = client.get("/api/v1/tickets", headers={"Authorization": "Bearer fbk_wrong"})
    assert response.status_code == 401 and response.json["status"] == 401


def test_a_revoked_token_or_missing_scope_is_refused(client, session, loaded_taxonomy):
    headers = token_for(session, "manager", scopes=["feedback:write"])
    assert client.get("/api/v1/tickets", headers=headers).status_code == 403
    headers = token_for(session, "manager")
    token = session.execute(sa.select(ApiToken).order_by(ApiToken.id.desc())).scalars().first()
    tokens.revoke_token(session, token.id, now=NOW)
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401


def test_list_pages_by_cursor_with_the_same_filters(client, session, loaded_taxonomy):
    headers = token_for(session, "viewer", scopes=["tickets:read"])
    made = [make_ticket(session, subject=f"Parcel {n}") for n in range(5)]
    make_ticket(session, subject="Rude", category="service.attitude")
    first = client.get("/api/v1/tickets?department=logistics&limit=2", headers=headers).json
    assert [t["number"] for t in first["items"]] == [tickets.number(made[4].id), tickets.number(made[3].id)]
    seen = [t["id"] for t in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"/api/v1/tickets?department=logistics&limit=2&cursor={cursor}", headers=headers).json
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [t.id for t in reversed(made)]
    found = client.get("/api/v1/tickets?q=rude", headers=headers).json["items"]
    assert [t["title"] for t in found] == ["Rude"] and found[0]["department"] == "service"
    assert client.get("/api/v1/tickets?status=lost", headers=headers).status_code == 400


def test_one_ticket_with_feedback_and_history(client, session, loaded_taxonomy):
    headers = token_for(session, "agent", department="logistics", scopes=["tickets:read"])
    call = make_feedback(session, channel="phone", order_ref="SO-1", subject="", body="Caller says parcel is late")
    make_feedback(session, channel="email", order_ref="SO-1", subject="late parcel")
    body = client.get(f"/api/v1/tickets/{tickets.number(call.ticket_id)}", headers=headers).json
    assert body["feedback_count"] == 2 and {f["channel"] for f in body["feedback"]} == {"phone", "email"}
    assert body["feedback"][0]["text"] == "Caller says parcel is late"
    assert body["history"][0]["field"] == "status" and body["category"] == "logistics.late"
    assert client.get("/api/v1/tickets/FB-999999", headers=headers).status_code == 404


def test_patch_changes_through_the_services(client, session, loaded_taxonomy):
    headers = token_for(session, "head", department="logistics")
    agent = make_user(session, role="agent", department="logistics")
    ticket = make_ticket(session)
    body = client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers,
                        json={"owner_id": agent.id, "priority": "high", "status": "in_progress", "comment": "on it"}).json
    assert body["owner"]["id"] == agent.id and body["priority"] == "high" and body["status"] == "in_progress"
    latest = [(h["field"], h["new"]) for h in body["history"]][-5:]
    assert latest == [("owner", agent.name), ("priority", "high"), ("due_at", latest[2][1]), ("status", "in_progress"),
                      ("comment", "on it")]
    response = client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers, json={"status": "closed"})
    assert response.status_code == 400 and "resolution" in response.json["error"]
    assert client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers, json={"colour": "red"}).status_code == 400


def test_patch_is_checked_before_anything_changes(client, session, loaded_taxonomy):
    agent_headers = token_for(session, "agent", department="logistics")
    ticket = make_ticket(session)
    response = client.patch(f"/api/v1/tickets/{ticket.id}", headers=agent_headers, json={"comment": "hi", "priority": "urgent"})
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Ticket, ticket.id).priority != "urgent"


def test_close_by_head_allowed_by_agent_refused(client, session, loaded_taxonomy):
    ticket = make_ticket(session)
    agent = token_for(session, "agent", department="logistics")
    response = client.post(f"/api/v1/tickets/{ticket.id}/close", headers=agent, json={"resolution": "done"})
    assert response.status_code == 403 and response.is_json
    head = token_for(session, "head", department="logistics")
    assert client.post(f"/api/v1/tickets/{ticket.id}/close", headers=head, json={}).status_code == 400
    body = client.post(f"/api/v1/tickets/{ticket.id}/close", headers=head, json={"resolution": "Re-shipped"}).json
    assert body["status"] == "closed" and body["resolution"] == "Re-shipped"


def test_api_needs_no_csrf_token(app, client, session, loaded_taxonomy):
    app.config["WTF_CSRF_ENABLED"] = True
    ticket = make_ticket(session)
    headers = token_for(session, "manager")
    response = client.post(f"/api/v1/tickets/{ticket.id}/close", headers=headers, json={"resolution": "ok"})
    assert response.status_code == 200


def test_openapi_describes_the_ticket_endpoints_and_feedback_intake(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"get"} <= set(spec["paths"]["/tickets"]) and {"get", "patch"} <= set(spec["paths"]["/tickets/{number}"])
    assert "post" in spec["paths"]["/tickets/{number}/close"] and "/feedback" in spec["paths"]
    assert "Ticket" in spec["components"]["schemas"]
