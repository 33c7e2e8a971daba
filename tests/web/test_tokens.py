"""The API token page: an admin chooses the user a token acts as; the API then applies that user's rules."""

import sqlalchemy as sa

from feedback.models import ApiToken, Ticket, TicketEvent
from tests.factories import make_ticket, make_user

BOTH = ["tickets:read", "tickets:write"]


def create(client, **data) -> str:
    """Post the form; the plain token shown once (or "" when refused)."""
    page = client.post("/admin/tokens", data={"name": "sync"} | data, follow_redirects=True)
    return page.text.split('<code id="new-token">')[1].split("</code>")[0] if "new-token" in page.text else ""


def test_the_form_offers_active_users_and_defaults_to_the_admin(client, login, session):
    admin = login("admin")
    head = make_user(session, role="head", department="logistics")
    make_user(session, role="agent", department="logistics", name="Gone Agent").active = False
    session.commit()
    page = client.get("/admin/tokens").text
    assert f'<option value="{admin.id}" selected>' in page and f'<option value="{head.id}">' in page
    assert "Gone Agent" not in page


def test_a_token_acts_as_the_chosen_user_on_the_api(client, login, session):
    login("admin")
    manager = make_user(session, role="manager", name="Mia Manager")
    ticket = make_ticket(session)
    plain = create(client, user_id=str(manager.id), scopes=BOTH)
    token = session.execute(sa.select(ApiToken)).scalar_one()
    assert token.user_id == manager.id and "Mia Manager" in client.get("/admin/tokens").text
    response = client.post(f"/api/v1/tickets/{ticket.id}/close", headers={"Authorization": f"Bearer {plain}"},
                           json={"resolution": "refunded"})
    assert response.status_code == 200
    closed_by = session.execute(sa.select(TicketEvent.by_id).where(TicketEvent.ticket_id == ticket.id,
                                                                    TicketEvent.new == "closed")).scalar_one()
    assert closed_by == manager.id


def test_a_token_acting_as_an_agent_cannot_close(client, login, session):
    login("admin")
    agent = make_user(session, role="agent", department="logistics")
    ticket = make_ticket(session)
    plain = create(client, user_id=str(agent.id), scopes=BOTH)
    response = client.post(f"/api/v1/tickets/{ticket.id}/close", headers={"Authorization": f"Bearer {plain}"},
                           json={"resolution": "refunded"})
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Ticket, ticket.id).status == "open"


def test_without_the_field_the_token_acts_as_the_admin(client, login, session):
    admin = login("admin")
    assert create(client, scopes=["feedback:write"])
    assert session.execute(sa.select(ApiToken.user_id)).scalar_one() == admin.id


def test_a_token_acting_as_nobody_submits_feedback_but_reads_no_tickets(client, login, session):
    login("admin")
    make_ticket(session)
    plain = create(client, user_id="", scopes=["feedback:write", "tickets:read"])
    assert session.execute(sa.select(ApiToken.user_id)).scalar_one() is None
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_an_inactive_or_unknown_user_is_refused(client, login, session):
    login("admin")
    gone = make_user(session, role="manager")
    gone.active = False
    session.commit()
    for value in (str(gone.id), "999999", "x"):
        page = client.post("/admin/tokens", data={"name": "sync", "user_id": value, "scopes": BOTH}, follow_redirects=True)
        assert "new-token" not in page.text and "active user" in page.text
    assert session.execute(sa.select(sa.func.count()).select_from(ApiToken)).scalar_one() == 0
