"""A person re-classifies feedback: its ticket follows the new category."""

import sqlalchemy as sa

from feedback import tickets
from feedback.models import Category, Department, Feedback, Outbox, Ticket, TicketEvent
from tests.factories import NOW, make_feedback, make_user


def reclassify(session, feedback: Feedback, key: str) -> None:
    feedback.category_id = session.execute(sa.select(Category.id).where(Category.key == key)).scalar_one()
    session.flush()
    tickets.reroute_for_feedback(session, [feedback.id], by=None, now=NOW)
    session.commit()
    session.refresh(feedback)


def test_a_lone_feedback_takes_its_ticket_to_the_new_department(session, loaded_taxonomy):
    service_head = make_user(session, role="head", department="service")
    feedback = make_feedback(session, category="logistics.late")
    number = feedback.ticket_id
    reclassify(session, feedback, "service.attitude")
    ticket = session.get(Ticket, number)
    service = session.execute(sa.select(Department).where(Department.key == "service")).scalar_one()
    assert feedback.ticket_id == number and ticket.department_id == service.id and ticket.owner_id == service_head.id
    changed = session.execute(sa.select(TicketEvent.field).where(TicketEvent.ticket_id == number, TicketEvent.at == NOW)).scalars().all()
    assert {"category", "department", "owner"} <= set(changed)
    mailed = session.execute(sa.select(Outbox.to, Outbox.ticket_number).where(Outbox.user_id == service_head.id)).all()
    assert [tuple(m) for m in mailed] == [(service_head.email, tickets.number(number))]  # the new owner hears of it


def test_one_of_several_items_leaves_for_a_ticket_of_its_own(session, loaded_taxonomy):
    first = make_feedback(session, order_ref="SO-1", contact="a@x.example")
    second = make_feedback(session, order_ref="SO-1", contact="b@x.example")
    reclassify(session, second, "product.quality")
    assert second.ticket_id not in (None, first.ticket_id)
    assert session.get(Ticket, first.ticket_id).feedback_count == 1


def test_no_longer_a_problem_closes_an_emptied_ticket(session, loaded_taxonomy):
    feedback = make_feedback(session)
    number = feedback.ticket_id
    reclassify(session, feedback, "praise")
    ticket = session.get(Ticket, number)
    assert feedback.ticket_id is None and ticket.status == "closed" and ticket.resolution


def test_unclassified_feedback_classified_by_a_person_opens_a_ticket(session, loaded_taxonomy):
    feedback = make_feedback(session, category=None)
    assert feedback.ticket_id is None
    reclassify(session, feedback, "site.usability")
    assert session.get(Ticket, feedback.ticket_id).status == "open"
