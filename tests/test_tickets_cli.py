"""`feedback ticket …`: the same services from the command line."""

import sqlalchemy as sa

from feedback import tickets
from feedback.cli import main
from feedback.models import ApiToken, Department, SlaRule
from tests.factories import make_ticket, make_user


def run(runner, *args):
    return runner.invoke(main, list(args), catch_exceptions=False)


def test_list_and_show(runner, session, loaded_taxonomy):
    ticket = make_ticket(session, subject="Parcel stuck in customs")
    make_ticket(session, subject="Rude reply", category="service.attitude")
    out = run(runner, "ticket", "list", "--department", "logistics").output
    assert tickets.number(ticket.id) in out and "Parcel stuck in customs" in out and "Rude reply" not in out
    assert "1 of 1" in out
    shown = run(runner, "ticket", "show", tickets.number(ticket.id)).output
    assert "Parcel stuck in customs" in shown and "history:" in shown and "status '' → 'open'" in shown


def test_list_mine_needs_to_know_who(runner, session, loaded_taxonomy):
    agent = make_user(session, role="agent", department="logistics")
    ticket = make_ticket(session)
    tickets.reassign(session, ticket.id, agent.id, by=make_user(session, role="manager"), now=ticket.opened_at)
    assert tickets.number(ticket.id) in run(runner, "ticket", "list", "--view", "mine", "--as", agent.email).output
    assert "0 of 0" in run(runner, "ticket", "list", "--view", "mine").output


def test_close_goes_through_the_same_rule(runner, session, loaded_taxonomy):
    ticket = make_ticket(session)
    agent = make_user(session, role="agent", department="logistics")
    refused = runner.invoke(main, ["ticket", "close", str(ticket.id), "--resolution", "done", "--as", agent.email])
    assert refused.exit_code == 1 and "may not close" in refused.output
    head = make_user(session, role="head", department="logistics")
    closed = run(runner, "ticket", "close", tickets.number(ticket.id), "--resolution", "Refunded", "--as", head.email)
    assert closed.exit_code == 0 and "closed" in closed.output
    session.refresh(ticket)
    assert ticket.status == "closed" and ticket.resolution == "Refunded"


def test_assignment_and_sla_rules(runner, session, loaded_taxonomy):
    assert run(runner, "ticket", "assign-rule", "logistics", "round_robin").exit_code == 0
    assert session.execute(sa.select(Department.assign_rule).where(Department.key == "logistics")).scalar_one() == "round_robin"
    assert run(runner, "ticket", "sla", "high", "24").exit_code == 0
    assert run(runner, "ticket", "sla", "urgent", "4", "--category", "logistics.late").exit_code == 0
    rules = session.execute(sa.select(SlaRule.category_id.is_(None), SlaRule.priority, SlaRule.business_hours)).all()
    assert sorted(rules) == [(False, "urgent", 4), (True, "high", 24)]
    run(runner, "ticket", "sla", "high")
    assert session.execute(sa.select(sa.func.count()).select_from(SlaRule)).scalar_one() == 1
    bad = runner.invoke(main, ["ticket", "sla", "high", "8", "--category", "nope"])
    assert bad.exit_code == 1 and "no category" in bad.output


def test_api_token_acts_as_the_user(runner, session, loaded_taxonomy):
    head = make_user(session, role="head", department="logistics")
    plain = run(runner, "ticket", "api-token", "--as", head.email, "--name", "ops script").output.strip()
    token = session.execute(sa.select(ApiToken)).scalar_one()
    assert plain.startswith(token.prefix) and token.user_id == head.id and token.scopes == ["tickets:read", "tickets:write"]
