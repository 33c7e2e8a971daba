"""The ticket workflow and who may do what: every action × every role, through the services."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback import merging, tickets
from feedback.errors import Forbidden, Invalid
from feedback.models import Feedback, Ticket, TicketEvent
from tests.factories import NOW, make_feedback, make_ticket, make_user

ROLES = ("admin", "manager", "head", "other_head", "agent", "viewer", "anonymous")
MANAGERS = {"manager", "head"}
# What each role may do to a ticket of the logistics department ("head" is its head).
EXPECTED = {
    "view": {"admin", "manager", "head", "other_head", "agent", "viewer"},
    "comment": {"admin", "manager", "head", "other_head", "agent"},
    "start": MANAGERS,
    "resolve": MANAGERS,
    "close": MANAGERS,
    "reopen": MANAGERS,
    "reassign": MANAGERS,
    "prioritize": MANAGERS,
    "merge": MANAGERS,
    "split": MANAGERS,
}


def people(session) -> dict:
    return {
        "admin": make_user(session, role="admin"),
        "manager": make_user(session, role="manager"),
        "head": make_user(session, role="head", department="logistics"),
        "other_head": make_user(session, role="head", department="service"),
        "agent": make_user(session, role="agent", department="logistics"),
        "viewer": make_user(session, role="viewer"),
        "anonymous": None,
    }


def act(session, action: str, user, *, owner_id: int | None):
    """Take `action` on a fresh ticket in a status where it is possible."""
    ticket = make_ticket(session, order_ref="")
    if action == "reopen":
        tickets.resolve(session, ticket.id, "Done.", by=make_user(session, role="manager"), now=NOW)
    if action == "view":
        return tickets.may(user, ticket, "view") or _refuse()
    if action == "comment":
        return tickets.comment(session, ticket.id, "Called the courier.", by=user, now=NOW)
    if action in ("start", "resolve"):
        return getattr(tickets, action)(session, ticket.id, by=user, now=NOW)
    if action == "close":
        return tickets.close_ticket(session, ticket.id, "Re-shipped.", by=user, now=NOW)
    if action == "reopen":
        return tickets.reopen(session, ticket.id, "Customer says it is still missing.", by=user, now=NOW)
    if action == "reassign":
        return tickets.reassign(session, ticket.id, owner_id, by=user, now=NOW)
    if action == "prioritize":
        return tickets.set_priority(session, ticket.id, "urgent", by=user, now=NOW)
    if action == "merge":
        other = make_ticket(session)
        return merging.merge(session, other.id, ticket.id, by=user, now=NOW)
    extra = make_feedback(session, order_ref="", contact=f"{ticket.contact}", received_at=NOW + timedelta(hours=1))
    assert extra.ticket_id == ticket.id
    return merging.split(session, ticket.id, [extra.id], by=user, now=NOW)


def _refuse():
    raise Forbidden("refused")


@pytest.mark.parametrize("action", tickets.ACTIONS)
def test_permission_matrix(session, loaded_taxonomy, action):
    who = people(session)
    allowed = set()
    for role in ROLES:
        try:
            act(session, action, who[role], owner_id=who["agent"].id)
        except Forbidden:
            session.rollback()
        else:
            allowed.add(role)
    assert allowed == EXPECTED[action]


def test_matrix_covers_every_action():
    assert set(EXPECTED) == set(tickets.ACTIONS)


def test_the_owner_may_start_and_resolve_but_not_close(session, loaded_taxonomy):
    agent = make_user(session, role="agent", department="logistics")
    ticket = make_ticket(session)
    tickets.reassign(session, ticket.id, agent.id, by=make_user(session, role="manager"), now=NOW)
    tickets.start(session, ticket.id, by=agent, now=NOW)
    tickets.resolve(session, ticket.id, "Courier re-delivered.", by=agent, now=NOW)
    with pytest.raises(Forbidden):
        tickets.close_ticket(session, ticket.id, "x", by=agent, now=NOW)
    assert tickets.available(agent, ticket) == {"view", "comment"}


def test_full_workflow_records_every_change(session, loaded_taxonomy):
    head = make_user(session, role="head", department="logistics")
    ticket = make_ticket(session)
    tickets.start(session, ticket.id, by=head, now=NOW)
    tickets.comment(session, ticket.id, "Asked the courier.", by=head, now=NOW)
    tickets.resolve(session, ticket.id, "", by=head, now=NOW)
    tickets.close_ticket(session, tickets.number(ticket.id), "Parcel re-shipped.", by=head, now=NOW + timedelta(hours=1))
    tickets.reopen(session, ticket.id, "Customer: still not here.", by=head, now=NOW + timedelta(hours=2))
    rows = session.execute(
        sa.select(TicketEvent.field, TicketEvent.old, TicketEvent.new, TicketEvent.by_id, TicketEvent.note)
        .where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    assert [(f, o, n) for f, o, n, _, _ in rows[2:]] == [
        ("status", "open", "in_progress"), ("comment", "", "Asked the courier."), ("status", "in_progress", "resolved"),
        ("status", "resolved", "closed"), ("resolution", "", "Parcel re-shipped."), ("status", "closed", "open"),
    ]
    assert all(by == head.id for _, _, _, by, _ in rows[2:]) and rows[-1][4] == "Customer: still not here."
    session.refresh(ticket)
    assert ticket.status == "open" and ticket.closed_at is None and ticket.resolution == "Parcel re-shipped."


def test_closing_needs_a_resolution(session, loaded_taxonomy):
    manager = make_user(session, role="manager")
    ticket = make_ticket(session)
    with pytest.raises(Invalid, match="resolution"):
        tickets.close_ticket(session, ticket.id, "   ", by=manager, now=NOW)
    session.rollback()
    tickets.resolve(session, ticket.id, "Refund sent.", by=manager, now=NOW)
    assert tickets.close_ticket(session, ticket.id, "", by=manager, now=NOW).status == "closed"


def test_status_rules_refuse_impossible_moves(session, loaded_taxonomy):
    manager = make_user(session, role="manager")
    ticket = make_ticket(session)
    with pytest.raises(Invalid):
        tickets.reopen(session, ticket.id, "why", by=manager, now=NOW)
    tickets.close_ticket(session, ticket.id, "done", by=manager, now=NOW)
    with pytest.raises(Invalid):
        tickets.start(session, ticket.id, by=manager, now=NOW)
    with pytest.raises(Invalid, match="reason"):
        tickets.reopen(session, ticket.id, "", by=manager, now=NOW)


def test_reassign_only_to_people_of_the_department(session, loaded_taxonomy):
    manager = make_user(session, role="manager")
    outsider = make_user(session, role="agent", department="service")
    ticket = make_ticket(session)
    with pytest.raises(Invalid, match="owner"):
        tickets.reassign(session, ticket.id, outsider.id, by=manager, now=NOW)
    agent = make_user(session, role="agent", department="logistics")
    tickets.reassign(session, ticket.id, agent.id, by=manager, now=NOW)
    tickets.reassign(session, ticket.id, None, by=manager, now=NOW)
    events = session.execute(sa.select(TicketEvent.old, TicketEvent.new).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.field == "owner")).all()
    assert events == [("", agent.name), (agent.name, "")]


def test_priority_by_hand_moves_the_due_date(session, loaded_taxonomy):
    manager = make_user(session, role="manager")
    ticket = make_ticket(session)
    before = ticket.due_at
    tickets.set_priority(session, ticket.id, "urgent", by=manager, now=NOW)
    assert ticket.priority == "urgent" and ticket.due_at < before
    with pytest.raises(Invalid):
        tickets.set_priority(session, ticket.id, "whenever", by=manager, now=NOW)


def test_merge_moves_feedback_and_closes_the_source(session, loaded_taxonomy):
    manager = make_user(session, role="manager")
    a, b = make_ticket(session, subject="parcel lost"), make_ticket(session, subject="where is it")
    merged = merging.merge(session, b.id, a.id, by=manager, now=NOW)
    session.refresh(b)
    assert merged.feedback_count == 2 and b.status == "closed" and b.resolution == f"Merged into {tickets.number(a.id)}."
    assert session.execute(sa.select(sa.func.count()).where(Feedback.ticket_id == a.id)).scalar_one() == 2
    assert session.execute(sa.select(TicketEvent.new).where(TicketEvent.ticket_id == b.id, TicketEvent.field == "merge")).scalar_one() == tickets.number(a.id)


def test_split_moves_chosen_feedback_to_a_new_ticket(session, loaded_taxonomy):
    head = make_user(session, role="head", department="logistics")
    first = make_feedback(session, order_ref="SO-3", contact="a@x.example")
    second = make_feedback(session, order_ref="SO-3", contact="b@x.example", subject="my own problem")
    new = merging.split(session, first.ticket_id, [second.id], by=head, now=NOW)
    original = session.get(Ticket, first.ticket_id)
    session.refresh(original)
    assert new.id != original.id and new.feedback_count == 1 and original.feedback_count == 1
    assert new.title == "my own problem" and new.owner_id == head.id and new.category_id == original.category_id
    with pytest.raises(Invalid, match="at least one"):
        merging.split(session, new.id, [second.id], by=head, now=NOW)


def test_bulk_close_is_all_or_nothing(session, loaded_taxonomy):
    head = make_user(session, role="head", department="logistics")
    mine = [make_ticket(session) for _ in range(2)]
    foreign = make_ticket(session, category="service.attitude")
    with pytest.raises(Forbidden):
        tickets.bulk_close(session, [t.id for t in mine] + [foreign.id], "Handled.", by=head, now=NOW)
    session.rollback()
    assert {session.get(Ticket, t.id).status for t in mine} == {"open"}
    assert tickets.bulk_close(session, [t.id for t in mine], "Handled.", by=head, now=NOW) == 2
    assert {session.get(Ticket, t.id).status for t in mine} == {"closed"}


def test_ticket_references_parse(session, loaded_taxonomy):
    ticket = make_ticket(session)
    for ref in (ticket.id, str(ticket.id), tickets.number(ticket.id), f"fb{ticket.id}"):
        assert tickets.get_ticket(session, ref).id == ticket.id
