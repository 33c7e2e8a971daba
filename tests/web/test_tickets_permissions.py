"""The permission matrix through the pages: every ticket action × every role, as a person clicks it."""

from datetime import timedelta

import pytest

from feedback import tickets
from feedback.models import Ticket
from tests.factories import NOW, make_feedback, make_ticket, make_user
from tests.test_tickets_workflow import EXPECTED, ROLES

LOGINS = {
    "admin": ("admin", None), "manager": ("manager", None), "head": ("head", "logistics"),
    "other_head": ("head", "service"), "agent": ("agent", "logistics"), "viewer": ("viewer", None),
}


def prepare(session, action: str) -> tuple[str, dict]:
    """A fresh logistics ticket in a status where `action` is possible; the request that takes it."""
    ticket = make_ticket(session, order_ref="")
    base = f"/tickets/{ticket.id}"
    if action == "view":
        return base, {}
    if action == "reopen":
        tickets.resolve(session, ticket.id, "Done.", by=make_user(session, role="manager"), now=NOW)
    if action == "split":
        extra = make_feedback(session, order_ref="", contact=ticket.contact, received_at=NOW + timedelta(hours=1))
        return f"{base}/split", {"feedback": [extra.id]}
    if action == "merge":
        return f"{base}/merge", {"into": str(make_ticket(session).id)}
    forms = {
        "comment": ("comment", {"text": "Called the courier."}), "start": ("start", {}),
        "resolve": ("resolve", {"resolution": "Re-delivered."}), "close": ("close", {"resolution": "Re-shipped."}),
        "reopen": ("reopen", {"reason": "Still missing."}), "prioritize": ("priority", {"priority": "urgent"}),
        "reassign": ("reassign", {"owner": "none"}),
    }
    path, form = forms[action]
    return f"{base}/{path}", form


@pytest.mark.parametrize("action", tickets.ACTIONS)
def test_permission_matrix_through_the_pages(client, login, session, action):
    allowed = set()
    for role in ROLES:
        client.post("/logout")
        if role != "anonymous":
            kind, department = LOGINS[role]
            login(kind, department=department)
        path, form = prepare(session, action)
        response = client.get(path) if action == "view" else client.post(path, data=form)
        if role == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"], (role, action)
            continue
        assert response.status_code in (200, 302, 403), (role, action, response.status_code)
        if response.status_code in (200, 302):
            flashed = client.get(response.headers["Location"]).text if response.status_code == 302 else ""
            assert 'class="flash flash-error"' not in flashed, (role, action, flashed)
            allowed.add(role)
    assert allowed == EXPECTED[action]


def test_refused_close_changes_nothing(client, login, session):
    login("agent", department="logistics")
    ticket = make_ticket(session)
    assert client.post(f"/tickets/{ticket.id}/close", data={"resolution": "x"}).status_code == 403
    session.expire_all()
    assert session.get(Ticket, ticket.id).status == "open"
