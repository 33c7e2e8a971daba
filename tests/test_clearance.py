"""Weekly clearance: the list (opened + carried over), carrying over with a reason and due date, sign-off, reminders."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from feedback import clearance, clock, review, tickets
from feedback.errors import Forbidden, Invalid
from feedback.models import JobRun, TicketEvent
from tests import factories
from tests.smtp import _smtp_controller, smtp_inbox  # noqa: F401

WEEK = "2026-W47"
MONDAY_10 = clock.day_bounds(date(2026, 11, 16))[0] + timedelta(hours=10)
FRIDAY = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


@pytest.fixture
def people(session, loaded_taxonomy):
    return {
        "head": factories.make_user(session, role="head", department="logistics"),
        "other": factories.make_user(session, role="head", department="product"),
        "manager": factories.make_user(session, role="manager"),
    }


def logistics(session, week=WEEK):
    return next(c for c in clearance.summary(session, week) if c.department.key == "logistics")


def test_the_list_is_the_week_s_tickets_and_closing_clears_them(session, people):
    made = [factories.make_ticket(session, received_at=MONDAY_10 + timedelta(days=i)) for i in range(3)]
    factories.make_ticket(session, received_at=MONDAY_10 - timedelta(days=1))  # last week: not on this list
    tickets.close_ticket(session, made[0].id, "done", by=people["head"], now=FRIDAY)
    figures = logistics(session)
    assert (figures.total, figures.closed, figures.carried, figures.open) == (3, 1, 0, 2)
    assert figures.rate == pytest.approx(1 / 3)
    assert [i.state for i in clearance.week_list(session, WEEK, people["head"].department_id)] == ["open", "open", "closed"]


def test_carry_over_moves_a_ticket_to_next_week_with_reason_and_due_date(session, people):
    ticket = factories.make_ticket(session, received_at=MONDAY_10)
    clearance.carry_over(session, WEEK, ticket.number, "waiting for the courier's report", date(2026, 11, 27),
                         by=people["head"], now=FRIDAY)
    assert (logistics(session).carried, logistics(session).open, logistics(session).rate) == (1, 0, 1.0)
    session.refresh(ticket)
    assert clock.business_date(ticket.due_at) == date(2026, 11, 27)
    fields = {e.field: e for e in session.execute(sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).scalars()}
    assert fields["carry_over"].note == "waiting for the courier's report" and fields["carry_over"].new == "2026-W48"
    nxt = clearance.week_list(session, "2026-W48", ticket.department_id)
    assert [(i.ticket.id, i.carried_in, i.weeks_carried, i.state) for i in nxt] == [(ticket.id, True, 1, "open")]
    # carried again: two weeks of ageing on the list after that
    clearance.carry_over(session, "2026-W48", ticket.id, "still waiting", date(2026, 12, 4), by=people["head"],
                         now=FRIDAY + timedelta(days=7))
    assert clearance.week_list(session, "2026-W49", ticket.department_id)[0].weeks_carried == 2


def test_carry_over_needs_a_reason_a_future_date_and_the_right_head(session, people):
    ticket = factories.make_ticket(session, received_at=MONDAY_10)
    with pytest.raises(Invalid):
        clearance.carry_over(session, WEEK, ticket.id, "  ", date(2026, 11, 27), by=people["head"], now=FRIDAY)
    with pytest.raises(Invalid):
        clearance.carry_over(session, WEEK, ticket.id, "later", date(2026, 11, 20), by=people["head"], now=FRIDAY)
    with pytest.raises(Forbidden):
        clearance.carry_over(session, WEEK, ticket.id, "later", date(2026, 11, 27), by=people["other"], now=FRIDAY)
    with pytest.raises(Invalid):  # not on that week's list
        clearance.carry_over(session, "2026-W45", ticket.id, "later", date(2026, 11, 27), by=people["head"], now=FRIDAY)
    clearance.carry_over(session, WEEK, ticket.id, "later", date(2026, 11, 27), by=people["manager"], now=FRIDAY)
    with pytest.raises(Invalid):  # once per week
        clearance.carry_over(session, WEEK, ticket.id, "again", date(2026, 11, 28), by=people["head"], now=FRIDAY)


def test_sign_off_only_when_everything_is_cleared(session, people):
    first, second = (factories.make_ticket(session, received_at=MONDAY_10 + timedelta(hours=i)) for i in range(2))
    tickets.close_ticket(session, first.id, "done", by=people["head"], now=FRIDAY)
    with pytest.raises(Invalid, match="1 tickets"):
        clearance.sign_off(session, WEEK, "logistics", by=people["head"], now=FRIDAY)
    clearance.carry_over(session, WEEK, second.id, "parts on order", date(2026, 11, 30), by=people["head"], now=FRIDAY)
    with pytest.raises(Forbidden):
        clearance.sign_off(session, WEEK, "logistics", by=people["other"], now=FRIDAY)
    clearance.sign_off(session, WEEK, "logistics", by=people["head"], now=FRIDAY)
    assert logistics(session).signed_by == people["head"].name
    with pytest.raises(Invalid):
        clearance.sign_off(session, WEEK, "logistics", by=people["head"], now=FRIDAY)


def test_reminder_on_the_last_business_day_once(app, session, people, smtp_inbox):  # noqa: F811
    factories.make_ticket(session, received_at=MONDAY_10)
    factories.make_ticket(session, category="product.quality", received_at=MONDAY_10)
    friday_16 = FRIDAY + timedelta(hours=6)
    with app.app_context():
        assert review.scheduled_reminder(session, config=app.config, now=friday_16 - timedelta(days=1)) == 0  # Thursday
        assert review.scheduled_reminder(session, config=app.config, now=FRIDAY) == 0  # before the reminder hour
        sent = review.scheduled_reminder(session, config=app.config, now=friday_16)
        assert review.scheduled_reminder(session, config=app.config, now=friday_16 + timedelta(hours=1)) == 0
    assert sent == 2
    mails = smtp_inbox.to(people["head"].email)
    assert len(mails) == 1 and "1 tickets" in mails[0]["Subject"]
    assert "FB-" in mails[0].get_content()
    assert len(smtp_inbox.to(people["other"].email)) == 1
    assert session.execute(sa.select(JobRun.key).where(JobRun.job == "clearance-reminder")).scalars().all() == [WEEK]
