"""Opening tickets from feedback: grouping across channels, title, priority, owner rules, due date."""

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from feedback import assign, grouping, intake, tickets
from feedback.models import Category, Department, Feedback, Product, SlaRule, Ticket, TicketEvent
from tests.factories import NOW, incoming, make_feedback, make_ticket, make_user


def ticket_count(session) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(Ticket)).scalar_one()


def test_phone_call_and_email_about_one_order_are_one_ticket(session, loaded_taxonomy):
    call = make_feedback(session, channel="phone", contact="+86 138 0000 1111", order_ref="SO-1001",
                         subject="", body="Customer called: parcel for SO-1001 is a week late.")
    mail = make_feedback(session, channel="email", contact="li@mail.example", order_ref="SO-1001",
                         subject="Where is my order SO-1001?", received_at=NOW + timedelta(hours=3))
    assert call.ticket_id is not None and call.ticket_id == mail.ticket_id
    ticket = session.get(Ticket, call.ticket_id)
    assert ticket_count(session) == 1 and ticket.feedback_count == 2
    assert ticket.title == "Customer called: parcel for SO-1001 is a week late."


def test_same_customer_same_category_within_the_window_joins(session, loaded_taxonomy):
    first = make_feedback(session, contact="mei@x.example", order_ref="")
    again = make_feedback(session, contact="mei@x.example", order_ref="", received_at=NOW + timedelta(days=6))
    assert first.ticket_id == again.ticket_id


def test_same_customer_after_the_window_opens_another(session, loaded_taxonomy):
    first = make_feedback(session, contact="mei@x.example", order_ref="")
    later = make_feedback(session, contact="mei@x.example", order_ref="", received_at=NOW + timedelta(days=8))
    assert first.ticket_id != later.ticket_id


def test_same_customer_different_category_is_two_tickets(session, loaded_taxonomy):
    late = make_feedback(session, contact="mei@x.example", category="logistics.late")
    rude = make_feedback(session, contact="mei@x.example", category="service.attitude")
    assert late.ticket_id != rude.ticket_id and ticket_count(session) == 2
    assert session.get(Ticket, rude.ticket_id).department_id != session.get(Ticket, late.ticket_id).department_id


def test_a_closed_ticket_is_not_joined(session, loaded_taxonomy):
    manager = make_user(session, role="manager")
    first = make_feedback(session, contact="mei@x.example", order_ref="SO-7")
    tickets.close_ticket(session, first.ticket_id, "Refunded.", by=manager, now=NOW)
    again = make_feedback(session, contact="mei@x.example", order_ref="SO-7")
    assert again.ticket_id != first.ticket_id


def test_praise_other_unclassified_and_not_a_problem_open_no_ticket(session, loaded_taxonomy):
    make_feedback(session, category="praise", subject="Love it")
    make_feedback(session, category="other", subject="Question about opening hours")
    make_feedback(session, category=None, subject="Not classified yet")
    make_feedback(session, category="logistics.late", not_a_problem="auto-reply")
    assert ticket_count(session) == 0


def test_new_ticket_has_number_title_department_due_and_history(session, loaded_taxonomy):
    head = make_user(session, role="head", department="logistics")
    feedback = make_feedback(session, subject="", body="\n  Box arrived yesterday  \nsecond line")
    ticket = session.get(Ticket, feedback.ticket_id)
    logistics = session.execute(sa.select(Department).where(Department.key == "logistics")).scalar_one()
    assert tickets.number(ticket.id) == f"FB-{ticket.id:06d}" and ticket.title == "Box arrived yesterday"
    assert ticket.department_id == logistics.id and ticket.owner_id == head.id and ticket.status == "open"
    assert ticket.opened_at == feedback.received_at and ticket.due_at > ticket.opened_at
    fields = session.execute(sa.select(TicketEvent.field).where(TicketEvent.ticket_id == ticket.id)).scalars().all()
    assert fields == ["status", "owner"]


def test_due_date_follows_the_sla_rule_of_category_and_priority(session, loaded_taxonomy):
    late = session.execute(sa.select(Category).where(Category.key == "logistics.late")).scalar_one()
    session.add(SlaRule(category_id=late.id, priority="normal", business_hours=4))
    session.commit()
    received = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)  # Tuesday 10:00 in Shanghai
    ticket = make_ticket(session, received_at=received)
    assert ticket.priority == "normal"
    assert ticket.due_at == datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)  # 14:00 in Shanghai


def test_priority_rises_with_bad_rating_key_product_and_volume():
    assert assign.priority_for(3, worst_rating=None, key_product=False, feedback_count=1) == "normal"
    assert assign.priority_for(3, worst_rating=1, key_product=False, feedback_count=1) == "high"
    assert assign.priority_for(3, worst_rating=1, key_product=True, feedback_count=1) == "urgent"
    assert assign.priority_for(2, worst_rating=None, key_product=False, feedback_count=3) == "normal"
    assert assign.priority_for(1, worst_rating=5, key_product=False, feedback_count=1) == "low"


def test_more_feedback_raises_priority_and_brings_the_due_date_forward(session, loaded_taxonomy):
    first = make_feedback(session, order_ref="SO-9", contact="a@x.example")
    ticket = session.get(Ticket, first.ticket_id)
    before_due, before = ticket.due_at, ticket.priority
    for n in range(5):
        make_feedback(session, order_ref="SO-9", contact=f"other{n}@x.example")
    session.refresh(ticket)
    assert ticket.feedback_count == 6
    assert assign.RANK[ticket.priority] > assign.RANK[before] and ticket.due_at < before_due


def test_bad_review_of_a_key_product_is_urgent_for_a_severe_category(session, loaded_taxonomy):
    session.add(Product(ref="SKU-1", key_product=True))
    session.commit()
    review = make_feedback(session, channel="review", category="product.quality", product_ref="SKU-1", rating=1)
    ticket = session.get(Ticket, review.ticket_id)
    assert review.key_product_alert and ticket.key_product and ticket.priority == "urgent"


def set_rule(session, key: str, rule: str) -> Department:
    department = session.execute(sa.select(Department).where(Department.key == key)).scalar_one()
    department.assign_rule = rule
    session.commit()
    return department


def test_round_robin_takes_turns_among_members(session, loaded_taxonomy):
    set_rule(session, "logistics", "round_robin")
    members = [make_user(session, role="head", department="logistics"), make_user(session, role="agent", department="logistics"),
               make_user(session, role="agent", department="logistics")]
    make_user(session, role="viewer", department="logistics")  # viewers never own tickets
    owners = [make_ticket(session).owner_id for _ in range(4)]
    assert owners == [members[0].id, members[1].id, members[2].id, members[0].id]


def test_least_open_picks_the_member_with_fewest_open_tickets(session, loaded_taxonomy):
    a = make_user(session, role="agent", department="logistics")
    b = make_user(session, role="agent", department="logistics")
    for _ in range(2):
        tickets.reassign(session, make_ticket(session).id, a.id, by=make_user(session, role="manager"), now=NOW)
    set_rule(session, "logistics", "least_open")
    assert [make_ticket(session).owner_id for _ in range(3)] == [b.id, b.id, a.id]


def test_queue_rule_and_missing_head_leave_the_ticket_unowned(session, loaded_taxonomy):
    assert make_ticket(session).owner_id is None  # rule "head", but the department has none
    make_user(session, role="agent", department="logistics")
    set_rule(session, "logistics", "queue")
    assert make_ticket(session).owner_id is None


def test_a_batch_groups_within_itself_and_counts_follow_ups(session, loaded_taxonomy):
    run = intake.import_items(session, [
        incoming(external_id="<a@x>", order_ref="SO-5", contact="a@x.example"),
        incoming(external_id="<b@x>", order_ref="SO-5", contact="b@x.example"),
        incoming(external_id="<c@x>", order_ref="", contact="c@x.example"),
    ], channel="email", source="s", now=lambda: NOW)
    ids = session.execute(sa.select(Feedback.id).where(Feedback.import_run_id == run.id).order_by(Feedback.id)).scalars().all()
    late = session.execute(sa.select(Category.id).where(Category.key == "logistics.late")).scalar_one()
    session.execute(sa.update(Feedback).values(category_id=late))
    outcome = grouping.open_for_feedback(session, ids, now=NOW)
    session.commit()
    assert len(outcome.opened) == 2 and ticket_count(session) == 2
    linked = session.execute(sa.select(Feedback.ticket_id).order_by(Feedback.id)).scalars().all()
    assert linked[0] == linked[1] != linked[2]
    reply = incoming(external_id="<d@x>", replies_to=["<a@x>"], contact="a@x.example")
    intake.import_items(session, [reply], channel="email", source="s", now=lambda: NOW)
    ticket = session.get(Ticket, linked[0])
    session.refresh(ticket)
    assert ticket.feedback_count == 3
    notes = session.execute(sa.select(TicketEvent.note).where(TicketEvent.ticket_id == ticket.id, TicketEvent.field == "feedback")).scalars().all()
    assert "follow-up" in notes


def test_intake_classifies_and_opens_one_ticket_for_a_call_and_a_mail_on_one_order(session, loaded_taxonomy):
    head = make_user(session, role="head", department="logistics")
    intake.import_items(session, [
        incoming(subject="Where is my order SO-77?", body="Where is my order SO-77?", order_ref="SO-77"),
        incoming(channel="phone", subject="", body="我的包裹三天了还没有送到，物流太慢。", order_ref="SO-77", contact="+86 139"),
        incoming(subject="hello", body="Note from the customer."),  # nothing recognisable: `other`, waits in triage
    ], channel="email", source="s", now=lambda: NOW)
    ticket = session.execute(sa.select(Ticket)).scalar_one()
    assert ticket.feedback_count == 2 and ticket.owner_id == head.id and ticket.due_at is not None
    channels = session.execute(sa.select(Feedback.channel).where(Feedback.ticket_id == ticket.id)).scalars().all()
    assert sorted(channels) == ["email", "phone"]
