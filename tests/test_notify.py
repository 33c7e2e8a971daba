"""The assignment notice: queued with the assignment, sent by the outbox job, in the owner's language, both parts."""

import sqlalchemy as sa

from feedback import notify, tickets
from feedback.models import Outbox
from tests.factories import NOW, make_ticket, make_user
from tests.smtp import _smtp_controller, smtp_inbox  # noqa: F401


def parts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_intake_queues_a_notice_to_the_new_owner_in_the_same_transaction(session, loaded_taxonomy):
    head = make_user(session, role="head", department="logistics")
    ticket = make_ticket(session)
    rows = session.execute(sa.select(Outbox)).scalars().all()
    assert [(r.kind, r.to, r.ticket_number, r.sent_at) for r in rows] == [("assigned", head.email, ticket.number, None)]


def test_each_owner_gets_one_mail_in_their_language_with_text_and_html(app, session, smtp_inbox, loaded_taxonomy):  # noqa: F811
    li = make_user(session, role="head", department="logistics", language="zh")
    ann = make_user(session, role="head", department="service", language="en")
    late = make_ticket(session, category="logistics.late")
    slow = make_ticket(session, category="service.response")
    with app.app_context():
        result = notify.send_pending(session, now=NOW)
    assert result.sent == 2 and result.failed == 0
    [to_li], [to_ann] = smtp_inbox.to(li.email), smtp_inbox.to(ann.email)
    li_text, li_html = parts(to_li)
    ann_text, ann_html = parts(to_ann)
    assert late.number in to_li["Subject"] and late.number in to_li["Message-ID"]
    assert "物流慢" in li_text and "物流慢" in li_html and "Late delivery" not in li_text
    assert "Slow or no response" in ann_text and "Slow or no response" in ann_html and "客服响应慢" not in ann_text
    assert slow.title in ann_text and "<table>" in ann_html


def test_a_sent_notice_is_not_sent_again(app, session, smtp_inbox, loaded_taxonomy):  # noqa: F811
    head = make_user(session, role="head", department="logistics")
    make_ticket(session)
    with app.app_context():
        notify.send_pending(session, now=NOW)
        again = notify.send_pending(session, now=NOW)
    assert again.sent == 0 and len(smtp_inbox.to(head.email)) == 1


def test_reassigning_mails_the_new_owner_but_not_someone_taking_it_themselves(app, session, smtp_inbox, loaded_taxonomy):  # noqa: F811
    head = make_user(session, role="head", department="logistics")
    agent = make_user(session, role="agent", department="logistics", language="zh")
    ticket = make_ticket(session)
    tickets.reassign(session, ticket.id, agent.id, by=head, now=NOW)
    tickets.reassign(session, ticket.id, head.id, by=head, now=NOW)
    with app.app_context():
        notify.send_pending(session, now=NOW)
    assert len(smtp_inbox.to(agent.email)) == 1
    assert len(smtp_inbox.to(head.email)) == 1  # the notice from intake only


def test_links_are_absolute_when_a_base_url_is_set(app, session, smtp_inbox, loaded_taxonomy):  # noqa: F811
    app.config["BASE_URL"] = "https://tracker.example.com/"
    head = make_user(session, role="head", department="logistics")
    ticket = make_ticket(session)
    with app.app_context():
        notify.send_pending(session, now=NOW)
    text, html = parts(smtp_inbox.to(head.email)[0])
    assert f"https://tracker.example.com/tickets/{ticket.id}" in text
    assert f'href="https://tracker.example.com/tickets/{ticket.id}"' in html


def test_a_notice_that_cannot_be_composed_backs_off_and_the_rest_go(app, session, smtp_inbox, loaded_taxonomy):  # noqa: F811
    from feedback import outbox

    head = make_user(session, role="head", department="logistics")
    outbox.enqueue(session, [{"dedupe_key": "assigned:gone", "kind": "assigned", "to": "x@example.com",
                              "ticket_number": "FB-999999"}], now=NOW)
    make_ticket(session)
    with app.app_context():
        result = notify.send_pending(session, now=NOW)
    assert result.sent == 1 and result.failed == 1 and len(smtp_inbox.to(head.email)) == 1
    [stuck] = outbox.pending(session)
    assert stuck.ticket_number == "FB-999999" and stuck.last_error.startswith("compose:") and stuck.attempts == 1


def test_several_tickets_for_one_owner_in_a_run_go_out_as_one_mail(app, session, smtp_inbox, loaded_taxonomy):  # noqa: F811
    head = make_user(session, role="head", department="logistics", language="en")
    found = [make_ticket(session) for _ in range(3)]
    with app.app_context():
        result = notify.send_pending(session, now=NOW)
    [received] = smtp_inbox.to(head.email)
    text, html = parts(received)
    assert result.sent == 1 and received["Subject"] == "3 tickets are now yours"
    assert all(t.number in text and t.title in html for t in found)
    rows = session.execute(sa.select(Outbox)).scalars().all()
    assert len(rows) == 3 and all(r.sent_at == NOW and r.subject == "3 tickets are now yours" for r in rows)
