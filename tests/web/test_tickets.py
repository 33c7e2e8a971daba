"""Ticket pages: lists with filters in the URL, search, sort, counts, bulk actions, CSV, the detail page."""

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from feedback import overview, tickets
from feedback.models import Ticket, TicketEvent
from tests.factories import NOW, make_feedback, make_ticket, make_user


def test_list_shows_open_tickets_due_first_with_counts(client, login, session):
    login("viewer")
    later = make_ticket(session, subject="Parcel-Later", received_at=NOW + timedelta(days=2))
    sooner = make_ticket(session, subject="Parcel-Sooner")
    page = client.get("/tickets").text
    assert page.index("Parcel-Sooner") < page.index("Parcel-Later") and "1–2 of 2" in page
    assert tickets.number(sooner.id) in page and tickets.number(later.id) in page
    newest_first = client.get("/tickets?sort=-due").text
    assert newest_first.index("Parcel-Later") < newest_first.index("Parcel-Sooner")


def test_views_mine_department_overdue_all(client, login, session):
    agent = login("agent", department="logistics")
    manager = make_user(session, role="manager")
    mine = make_ticket(session, subject="Mine-one", received_at=NOW - timedelta(days=30))
    tickets.reassign(session, mine.id, agent.id, by=manager, now=NOW)
    make_ticket(session, subject="Service-one", category="service.attitude")
    closed = make_ticket(session, subject="Closed-one")
    tickets.close_ticket(session, closed.id, "done", by=manager, now=NOW)
    assert "Mine-one" in client.get("/tickets?view=mine").text
    assert "Service-one" not in client.get("/tickets?view=mine").text
    department = client.get("/tickets?view=department").text
    assert "Mine-one" in department and "Service-one" not in department
    assert "Closed-one" not in client.get("/tickets").text and "Closed-one" in client.get("/tickets?view=all").text
    overdue = client.get("/tickets?view=overdue").text
    assert "Mine-one" in overdue and "overdue" in overdue and "Closed-one" not in overdue


def test_filters_by_department_category_channel_priority_owner_and_due(client, login, session):
    login("manager")
    make_ticket(session, subject="Late-parcel", channel="phone")
    make_ticket(session, subject="Rude-agent", category="service.attitude")
    assert "Rude-agent" not in client.get("/tickets?department=logistics").text
    assert "Late-parcel" not in client.get("/tickets?category=service.attitude").text
    by_channel = client.get("/tickets?channel=phone").text
    assert "Late-parcel" in by_channel and "Rude-agent" not in by_channel
    assert "Late-parcel" in client.get("/tickets?owner=none").text
    due = client.get(f"/tickets?due_from={(NOW + timedelta(days=30)).date()}").text
    assert "No ticket matches these filters." in due
    assert client.get("/tickets?due_from=yesterday").status_code == 400
    assert client.get("/tickets?view=everything").status_code == 400


def test_search_finds_words_of_title_customer_order_and_text_in_english_and_chinese(client, login, session):
    login("agent")
    make_ticket(session, subject="Parcel missing", body="The courier left it at the wrong door.", customer="Mei Lin",
                order_ref="SO-2026-0042")
    make_ticket(session, subject="快递延误", body="我的包裹三天了还没有送到，物流太慢。")
    assert "Parcel missing" in client.get("/tickets?q=courier").text
    assert "Parcel missing" in client.get("/tickets?q=cour").text  # the last word matches as a prefix
    assert "Parcel missing" in client.get("/tickets?q=mei+lin").text
    assert "Parcel missing" in client.get("/tickets?q=SO-2026-0042").text
    assert "Parcel missing" not in client.get("/tickets?q=courier+refund").text  # every word must match
    chinese = client.get("/tickets?q=物流").text
    assert "快递延误" in chinese and "Parcel missing" not in chinese
    assert client.get("/tickets?q=' OR 1=1 --").status_code == 200


def test_search_by_ticket_number(client, login, session):
    login("agent")
    ticket = make_ticket(session, subject="Numbered")
    make_ticket(session, subject="Another")
    page = client.get(f"/tickets?q={tickets.number(ticket.id)}").text
    assert "Numbered" in page and "Another" not in page


def test_pagination_counts(client, login, session, app):
    app.config["PAGE_SIZE"] = 2
    login("agent")
    for n in range(5):
        make_ticket(session, subject=f"T{n}")
    assert "1–2 of 5" in client.get("/tickets").text
    assert "5–5 of 5" in client.get("/tickets?page=3").text


def test_search_results_are_paginated_and_counted(client, login, session, app):
    app.config["PAGE_SIZE"] = 2
    login("agent")
    for n in range(5):
        make_ticket(session, subject=f"Blender {n}")
    make_ticket(session, subject="Toaster")
    assert "1–2 of 5" in client.get("/tickets?q=blender").text
    last = client.get("/tickets?q=blender&page=3").text
    assert "5–5 of 5" in last and "Toaster" not in last


def test_csv_export_streams_every_matching_ticket(client, login, session, app):
    app.config["PAGE_SIZE"] = 1
    login("viewer")
    make_ticket(session, subject="=HYPERLINK(\"http://evil\")")
    make_ticket(session, subject="客户投诉")
    make_ticket(session, subject="Rude", category="service.attitude")
    with client.get("/tickets/export.csv?department=logistics") as response:  # closing it ends the request
        assert response.mimetype == "text/csv" and response.is_streamed
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["number", "title", "status"] and len(rows) == 3
    titles = {r[1] for r in rows[1:]}
    assert titles == {"'=HYPERLINK(\"http://evil\")", "客户投诉"}


def test_head_bulk_closes_and_reassigns_own_department(client, login, session):
    head = login("head", department="logistics")
    agent = make_user(session, role="agent", department="logistics")
    a, b = make_ticket(session), make_ticket(session)
    response = client.post("/tickets/bulk", data={"action": "reassign", "owner": agent.id, "ticket": [a.id, b.id]},
                           follow_redirects=True)
    assert "2 tickets reassigned." in response.text
    response = client.post("/tickets/bulk", data={"action": "close", "resolution": "Courier fixed.", "ticket": [a.id, b.id]},
                           follow_redirects=True)
    assert "2 tickets closed." in response.text
    session.expire_all()
    assert {(t.status, t.owner_id) for t in session.execute(sa.select(Ticket)).scalars()} == {("closed", agent.id)}
    assert head.id in set(session.execute(sa.select(TicketEvent.by_id)).scalars())


def test_bulk_close_without_resolution_or_selection_says_why(client, login, session):
    login("head", department="logistics")
    ticket = make_ticket(session)
    page = client.post("/tickets/bulk", data={"action": "close", "resolution": "", "ticket": [ticket.id]}, follow_redirects=True).text
    assert "closing needs a resolution" in page
    page = client.post("/tickets/bulk", data={"action": "close", "resolution": "x"}, follow_redirects=True).text
    assert "choose at least one ticket" in page


def test_bulk_by_an_agent_or_on_another_department_is_refused(client, login, session):
    login("head", department="service")
    ticket = make_ticket(session)
    assert client.post("/tickets/bulk", data={"action": "close", "resolution": "x", "ticket": [ticket.id]}).status_code == 403
    assert session.get(Ticket, ticket.id).status == "open"


def test_bulk_controls_only_for_heads_and_managers(client, login, session):
    make_ticket(session)
    login("agent")
    assert 'action="/tickets/bulk"' in client.get("/tickets").text and 'value="close"' not in client.get("/tickets").text
    client.post("/logout")
    login("head")
    assert 'value="close"' in client.get("/tickets").text


def test_detail_shows_every_channel_history_and_allowed_actions(client, login, session):
    login("head", department="logistics")
    call = make_feedback(session, channel="phone", order_ref="SO-8", subject="", body="Caller: box crushed <b>badly</b>")
    make_feedback(session, channel="email", order_ref="SO-8", subject="Crushed box photo", body="See attached.")
    page = client.get(f"/tickets/{call.ticket_id}").text
    assert "Caller: box crushed &lt;b&gt;badly&lt;/b&gt;" in page and "See attached." in page
    assert "phone" in page and "email" in page and "Close ticket" in page and "Split the checked" in page
    assert "status" in page and "system" in page


def test_detail_offers_a_viewer_nothing_to_change(client, login, session):
    login("viewer")
    ticket = make_ticket(session)
    page = client.get(f"/tickets/{ticket.id}").text
    assert "Close ticket" not in page and "Add comment" not in page and "Reassign" not in page


def test_actions_through_the_page(client, login, session):
    login("head", department="logistics")
    ticket = make_ticket(session)
    assert client.post(f"/tickets/{ticket.id}/start").status_code == 302
    client.post(f"/tickets/{ticket.id}/comment", data={"text": "Calling the courier"})
    page = client.post(f"/tickets/{ticket.id}/close", data={"resolution": "Re-delivered."}, follow_redirects=True).text
    assert "Ticket closed." in page and "Re-delivered." in page and "Calling the courier" in page
    page = client.post(f"/tickets/{ticket.id}/reopen", data={"reason": ""}, follow_redirects=True).text
    assert "reason: required" in page
    assert client.post(f"/tickets/{ticket.id}/nonsense").status_code == 404
    assert client.get("/tickets/999999").status_code == 404


def test_merge_and_split_through_the_page(client, login, session):
    login("manager")
    a = make_ticket(session, subject="First")
    b = make_ticket(session, subject="Second")
    response = client.post(f"/tickets/{b.id}/merge", data={"into": tickets.number(a.id)})
    assert response.headers["Location"].endswith(f"/tickets/{a.id}")
    items = session.execute(sa.select(TicketEvent).where(TicketEvent.field == "merge")).scalars().all()
    assert len(items) == 2
    detail = client.get(f"/tickets/{a.id}").text
    assert "Second" in detail and "Split the checked" in detail
    feedback_id = int(detail.split('name="feedback" value="')[2].split('"')[0])
    response = client.post(f"/tickets/{a.id}/split", data={"feedback": [feedback_id]})
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert new_id not in (a.id, b.id) and session.get(Ticket, new_id).feedback_count == 1


def test_home_page_per_role(client, login, session):
    make_ticket(session, subject="For the head", received_at=NOW - timedelta(days=30))
    login("head", department="logistics")
    page = client.get("/").text
    assert "Due this week" in page and "For the head" in page and "Overdue" in page
    client.post("/logout")
    login("manager")
    page = client.get("/").text
    assert "Today's intake" in page and "Triage" in page and "Daily feedback bulletin" in page and "1 overdue" in page
    client.post("/logout")
    login("agent")
    page = client.get("/").text
    assert "My tickets" in page and "Log a phone call" in page and "No ticket is yours right now." in page


def test_the_home_triage_count_stops_at_its_cap(client, login, session, monkeypatch):
    """After a big import the manager's tile says "2+" (here with a cap of 2) instead of counting every row."""
    for n in range(3):
        make_feedback(session, category=None, subject=f"Unsure {n}")
    assert overview.awaiting_triage(session) == 3
    assert overview.awaiting_triage(session, cap=2) == 3  # cap + 1: "more than the cap"
    assert overview.awaiting_triage(session, cap=5) == 3
    monkeypatch.setattr(overview, "TRIAGE_CAP", 2)
    login("manager")
    assert '<span class="count">2+</span>' in client.get("/").text
    monkeypatch.setattr(overview, "TRIAGE_CAP", 1000)
    assert '<span class="count">3</span>' in client.get("/").text
