"""Playbook pages and the ticket page's panel, through the client as people use them."""

from datetime import timedelta

import sqlalchemy as sa

from feedback import playbooks, tickets
from feedback.models import PlaybookProposal, PlaybookVersion, TicketEvent
from tests.factories import NOW, make_ticket, make_user
from tests.smtp import _smtp_controller, smtp_inbox  # noqa: F401  (fixtures)


def version_count(session) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(PlaybookVersion)).scalar_one()


def test_the_ticket_page_shows_playbook_similar_resolution_and_reply_form(client, session, login):
    playbooks.load_defaults(session, now=NOW)
    head = login("head", "logistics")
    past = make_ticket(session, subject="", body="Parcel stuck at the Shenzhen depot after the typhoon.")
    tickets.close_ticket(session, past.id, "Re-shipped from Guangzhou by express.", by=head, now=NOW + timedelta(hours=30))
    ticket = make_ticket(session, subject="", body="My parcel is stuck in the Shenzhen depot.", customer="Mei Lin",
                         contact="mei@customer.example", order_ref="SO-1")

    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    panel = client.get(f"/tickets/{ticket.id}/similar").get_data(as_text=True)  # fetched by the page's script

    assert "<h2>Check</h2>" in page  # the shipped playbook's Markdown, rendered
    assert f'data-similar="/tickets/{ticket.id}/similar"' in page
    assert "Re-shipped from Guangzhou by express." in panel and tickets.number(past.id) in panel
    assert "closed in 1 d 6 h" in panel
    assert 'data-copy-resolution="Re-shipped from Guangzhou by express."' in panel
    assert "Dear Mei Lin," in page and "SO-1" in page  # the reply template, filled
    assert 'name="playbook_proposal"' in page


def test_an_agent_sees_the_playbook_but_no_copy_button_or_edit_link(client, session, login):
    playbooks.load_defaults(session, now=NOW)
    manager = make_user(session, role="manager")
    past = make_ticket(session, subject="", body="Parcel late, typhoon.")
    tickets.close_ticket(session, past.id, "Waited for the typhoon to pass.", by=manager, now=NOW)
    login("agent", "service")
    ticket = make_ticket(session, subject="", body="Parcel late because of the typhoon.")
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    panel = client.get(f"/tickets/{ticket.id}/similar").get_data(as_text=True)
    assert "<h2>Check</h2>" in page and "Waited for the typhoon to pass." in panel
    assert "data-copy-resolution" not in panel and "/playbooks/logistics.late/edit" not in page


def test_list_and_view_with_history_and_diff(client, session, login):
    login("viewer")
    manager = make_user(session, role="manager", name="Wang Fang")
    playbooks.save(session, "logistics.late", "- Call the carrier.", "", by=manager, now=NOW)
    playbooks.save(session, "logistics.late", "- Call the carrier.\n- Offer a coupon.", "", "coupon added", by=manager, now=NOW)

    listing = client.get("/playbooks").get_data(as_text=True)
    assert "/playbooks/logistics.late" in listing and "Wang Fang" in listing

    page = client.get("/playbooks/logistics.late").get_data(as_text=True)
    assert "Version 2" in page and "coupon added" in page and "<li>Offer a coupon.</li>" in page
    assert '<span class="added">+ - Offer a coupon.</span>' in page
    first = client.get("/playbooks/logistics.late?version=1").get_data(as_text=True)
    assert "Offer a coupon." not in first.split("Versions")[0]
    assert client.get("/playbooks/logistics.late?version=9").status_code == 404
    assert "/playbooks/logistics.late/edit" not in page  # a viewer may not edit


def test_the_head_previews_then_saves_a_new_version(client, session, login):
    head = login("head", "logistics")
    playbooks.save(session, "logistics.late", "Old way.", "", by=make_user(session, role="manager"), now=NOW)
    form = client.get("/playbooks/logistics.late/edit")
    assert form.status_code == 200 and ">Old way.</textarea>" in form.get_data(as_text=True)
    preview = client.post("/playbooks/logistics.late/edit", data={"action": "preview", "body_en": "## Check\n- **tracking**", "body_zh": ""})
    assert preview.status_code == 200 and "<strong>tracking</strong>" in preview.get_data(as_text=True)
    assert version_count(session) == 1

    saved = client.post("/playbooks/logistics.late/edit", data={"action": "save", "body_en": "## Check\n- tracking", "body_zh": "核查物流", "note": "first"})
    assert saved.status_code == 302
    version = playbooks.current(session, playbooks.category(session, "logistics.late").id)
    assert (version.number, version.author_id, version.body_zh, version.note) == (2, head.id, "核查物流", "first")


def test_markup_in_a_playbook_is_made_safe(client, session, login):
    login("manager")
    client.post("/playbooks/logistics.late/edit", data={"action": "save", "body_en": "Hi <script>alert(1)</script>", "body_zh": ""})
    page = client.get("/playbooks/logistics.late").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "Hi" in page


def test_a_head_of_another_department_and_an_agent_are_refused(client, session, login):
    for role, department in (("head", "service"), ("agent", "logistics")):
        client.post("/logout")
        login(role, department)
        assert client.get("/playbooks/logistics.late/edit").status_code == 403
        refused = client.post("/playbooks/logistics.late/edit", data={"action": "save", "body_en": "mine", "body_zh": ""})
        assert refused.status_code == 403
        assert client.post("/playbooks/logistics.late/replies/en", data={"subject": "x", "body": "y"}).status_code == 403
    assert version_count(session) == 0


def test_closing_with_a_proposal_and_the_head_accepting_it(client, session, login):
    playbooks.load_defaults(session, now=NOW)
    head = login("head", "logistics")
    ticket = make_ticket(session)
    client.post(f"/tickets/{ticket.id}/close", data={"resolution": "Re-shipped.", "playbook_proposal": "Check the typhoon map first."})
    proposal = session.execute(sa.select(PlaybookProposal)).scalar_one()
    assert (proposal.text, proposal.proposed_by_id, proposal.ticket_id) == ("Check the typhoon map first.", head.id, ticket.id)

    queue = client.get("/playbooks/proposals").get_data(as_text=True)
    assert "Check the typhoon map first." in queue and tickets.number(ticket.id) in queue
    client.post(f"/playbooks/proposals/{proposal.id}/accept", data={"text": "Check the typhoon warnings first."})
    latest = playbooks.current(session, proposal.category_id)
    assert latest.number == 2 and latest.body_en.endswith("Check the typhoon warnings first.")
    assert "No proposals waiting" in client.get("/playbooks/proposals").get_data(as_text=True)


def test_closing_without_a_proposal_files_none_and_rejecting_works(client, session, login):
    login("head", "logistics")
    ticket = make_ticket(session)
    client.post(f"/tickets/{ticket.id}/close", data={"resolution": "Re-shipped.", "playbook_proposal": "  "})
    assert session.execute(sa.select(sa.func.count()).select_from(PlaybookProposal)).scalar_one() == 0
    proposal = playbooks.propose(session, ticket.id, "Give everyone a coupon.", by=make_user(session, role="manager"), now=NOW)
    client.post(f"/playbooks/proposals/{proposal.id}/reject", data={"reason": "Too generous."})
    session.refresh(proposal)
    assert (proposal.status, proposal.reason) == ("rejected", "Too generous.")


def test_another_head_cannot_decide_a_proposal(client, session, login):
    ticket = make_ticket(session)
    proposal = playbooks.propose(session, ticket.id, "Call first.", by=make_user(session, role="manager"), now=NOW)
    login("head", "service")
    assert client.post(f"/playbooks/proposals/{proposal.id}/accept", data={}).status_code == 403
    client.post("/logout")
    login("agent", "logistics")
    assert client.get("/playbooks/proposals").status_code == 403
    session.refresh(proposal)
    assert proposal.status == "pending"


def test_a_reply_from_the_ticket_page_is_mailed_and_in_the_history(app, client, session, login, smtp_inbox):  # noqa: F811
    login("agent", "logistics")
    ticket = make_ticket(session, customer="Li Lei", contact="li@customer.example", order_ref="SO-2")
    response = client.post(f"/tickets/{ticket.id}/reply", data={"subject": "Your order {order}", "body": "Dear {customer}, it is on its way."})
    assert response.status_code == 302
    [mail] = smtp_inbox.to("li@customer.example")
    assert "Dear Li Lei, it is on its way." in mail.get_content() and mail["Subject"].startswith("Your order SO-2")
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Reply sent to li@customer.example." in page and "reply to the customer" in page
    assert session.execute(sa.select(TicketEvent.new).where(TicketEvent.field == "reply")).scalar_one() == "Dear Li Lei, it is on its way."


def test_a_viewer_cannot_send_a_reply(app, client, session, login, smtp_inbox):  # noqa: F811
    login("viewer")
    ticket = make_ticket(session)
    assert client.post(f"/tickets/{ticket.id}/reply", data={"subject": "Hi", "body": "Hi"}).status_code == 403
    assert smtp_inbox.mails == []


def test_in_chinese_the_ticket_page_shows_the_chinese_playbook(client, session, login):
    playbooks.load_defaults(session, now=NOW)
    login("head", "logistics")
    client.post("/language", data={"language": "zh", "next": "/"})
    ticket = make_ticket(session, subject="", body="包裹还没到")
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "<h2>核查</h2>" in page and "<h2>Check</h2>" not in page


def test_the_head_saves_a_reply_template_used_on_the_next_ticket(client, session, login):
    login("head", "logistics")
    response = client.post("/playbooks/logistics.late/replies/en", data={"subject": "Late: {order}", "body": "Hello {customer}, sorry about {order}."})
    assert response.status_code == 302
    ticket = make_ticket(session, customer="Ann Lee", contact="ann@customer.example", order_ref="SO-5")
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Hello Ann Lee, sorry about SO-5." in page and 'value="Late: SO-5"' in page


def test_a_phone_customer_without_email_gets_no_send_form(client, session, login):
    playbooks.load_defaults(session, now=NOW)
    login("agent", "logistics")
    ticket = make_ticket(session, channel="phone", contact="+86 138 0000 0002")
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "No email address for this customer" in page and f"/tickets/{ticket.id}/reply" not in page
