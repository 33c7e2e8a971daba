"""Customer replies: templates filled for a ticket, mailed over real SMTP on loopback, recorded on the ticket."""

import pytest
import sqlalchemy as sa

from feedback import clock, playbooks, replies, tickets
from feedback.errors import Forbidden, Invalid
from feedback.models import ReplyTemplate, TicketEvent
from tests.factories import NOW, make_ticket, make_user
from tests.smtp import _smtp_controller, smtp_inbox  # noqa: F401  (fixtures)


def template(session, key: str, language: str) -> ReplyTemplate:
    category = playbooks.category(session, key)
    return next(t for t in replies.templates(session, category.id) if t.language == language)


def test_a_reply_reaches_the_customer_with_the_placeholders_filled(app, session, loaded_taxonomy, smtp_inbox):  # noqa: F811
    playbooks.load_defaults(session, now=NOW)
    agent = make_user(session, role="agent", department="logistics")
    ticket = make_ticket(session, customer="Mei Lin", contact="mei@customer.example", order_ref="SO-4711")
    shipped = template(session, "logistics.late", "en")
    assert "{customer}" in shipped.body and "{order}" in shipped.body and "{due_date}" in shipped.body

    sent_to = replies.send_reply(session, app.config, ticket.id, shipped.subject, shipped.body, by=agent, now=NOW)

    assert sent_to == "mei@customer.example"
    [message] = smtp_inbox.to("mei@customer.example")
    text = message.get_content().replace("\r\n", "\n")  # SMTP carries CRLF line ends
    due = clock.local(ticket.due_at).strftime("%Y-%m-%d")
    assert "Dear Mei Lin," in text and "SO-4711" in text and due in text and tickets.number(ticket.id) in text
    assert "{" not in text
    assert "SO-4711" in message["Subject"] and tickets.number(ticket.id) in message["Subject"]
    event = session.execute(sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.field == "reply")).scalar_one()
    assert event.new == text.strip() and event.by_id == agent.id and "mei@customer.example" in event.note


def test_templates_are_filled_for_the_ticket_in_both_languages(session, loaded_taxonomy):
    playbooks.load_defaults(session, now=NOW)
    ticket = make_ticket(session, category="service.returns", customer="王芳", order_ref="SO-9")
    filled = {f.language: f for f in replies.filled_for(session, ticket)}
    assert set(filled) == {"en", "zh"}
    assert filled["zh"].body.startswith("王芳 您好") and "SO-9" in filled["zh"].subject
    assert "Dear 王芳," in filled["en"].body


def test_unknown_braces_stay_as_written():
    assert replies.fill("{customer} {customer.__class__} {0}", {"customer": "Li"}) == "Li {customer.__class__} {0}"


def test_a_ticket_without_an_email_address_cannot_be_answered_by_mail(app, session, loaded_taxonomy, smtp_inbox):  # noqa: F811
    agent = make_user(session, role="agent", department="logistics")
    ticket = make_ticket(session, contact="+86 138 0000 0001", channel="phone")
    with pytest.raises(Invalid):
        replies.send_reply(session, app.config, ticket.id, "Hello", "Dear {customer}", by=agent, now=NOW)
    assert smtp_inbox.mails == []


def test_a_viewer_may_not_answer_a_customer(app, session, loaded_taxonomy, smtp_inbox):  # noqa: F811
    viewer = make_user(session, role="viewer")
    ticket = make_ticket(session)
    with pytest.raises(Forbidden):
        replies.send_reply(session, app.config, ticket.id, "Hello", "Hi", by=viewer, now=NOW)
    assert smtp_inbox.mails == []


def test_reply_templates_are_edited_by_the_head_of_the_department_only(session, loaded_taxonomy):
    category = playbooks.category(session, "logistics.late")
    head = make_user(session, role="head", department="logistics")
    replies.save_template(session, category, "en", "Late: {order}", "Dear {customer}, sorry.", by=head, now=NOW)
    assert template(session, "logistics.late", "en").body == "Dear {customer}, sorry."
    for other in (make_user(session, role="head", department="service"), make_user(session, role="agent", department="logistics")):
        with pytest.raises(Forbidden):
            replies.save_template(session, category, "en", "x", "y", by=other, now=NOW)
    assert template(session, "logistics.late", "en").subject == "Late: {order}"
