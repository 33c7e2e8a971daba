"""The daily overdue digest: once per business day from DIGEST_HOUR, one mail per owner and head with overdue tickets."""

from datetime import timedelta

import sqlalchemy as sa

from feedback import jobs, tickets
from feedback.models import JobRun, Outbox
from tests.factories import NOW, make_ticket, make_user
from tests.smtp import _smtp_controller, smtp_inbox  # noqa: F401

FRIDAY = NOW + timedelta(days=3)  # 10:00 in Shanghai; tickets opened on Tuesday are due by Wednesday evening


def overdue_world(session):
    """A Chinese-speaking logistics head owning one overdue ticket, an agent owning another, a head with nothing late."""
    head = make_user(session, role="head", department="logistics", language="zh")
    agent = make_user(session, role="agent", department="logistics", language="en")
    calm = make_user(session, role="head", department="service", language="en")
    mine = make_ticket(session)
    theirs = make_ticket(session)
    tickets.reassign(session, theirs.id, agent.id, by=head, now=NOW)
    return head, agent, calm, mine, theirs


def run_digest(app, session, smtp_inbox, moment):  # noqa: F811
    """The digest job, then the outbox job, as the scheduler calls them; assignment notices are sent and forgotten first."""
    with app.app_context():
        jobs.send_outbox(session, now=NOW)
        smtp_inbox.mails.clear()
        before = session.execute(sa.select(sa.func.count()).select_from(Outbox)).scalar_one()
        jobs.overdue_digest(session, now=moment)
        queued = session.execute(sa.select(sa.func.count()).select_from(Outbox)).scalar_one() - before
        jobs.send_outbox(session, now=moment)
    return queued


def test_the_scheduler_runs_both_jobs(app):
    ids = {job.id for job in jobs.build_scheduler(app).get_jobs()}
    assert {"outbox", "outbox-purge", "overdue-digest"} <= ids


def test_each_person_gets_one_digest_a_day_even_when_the_job_runs_twice(app, session, smtp_inbox, loaded_taxonomy):  # noqa: F811
    head, agent, calm, mine, theirs = overdue_world(session)
    assert run_digest(app, session, smtp_inbox, FRIDAY) == 2
    assert run_digest(app, session, smtp_inbox, FRIDAY + timedelta(hours=1)) == 0
    with app.app_context():
        jobs.send_outbox(session, now=FRIDAY + timedelta(hours=1))
    assert len(smtp_inbox.mails) == 0  # the second run found the day claimed
    assert session.execute(sa.select(sa.func.count()).select_from(Outbox).where(Outbox.kind == "digest")).scalar_one() == 2
    runs = session.execute(sa.select(JobRun.key).where(JobRun.job == "overdue-digest")).scalars().all()
    assert runs == ["2026-11-27"]


def test_a_head_sees_the_department_and_an_owner_their_own_in_their_language(app, session, smtp_inbox, loaded_taxonomy):  # noqa: F811
    head, agent, calm, mine, theirs = overdue_world(session)
    run_digest(app, session, smtp_inbox, FRIDAY)
    [to_head], [to_agent] = smtp_inbox.to(head.email), smtp_inbox.to(agent.email)
    assert smtp_inbox.to(calm.email) == []  # nothing overdue in customer service
    head_text = to_head.get_body(("plain",)).get_content()
    head_html = to_head.get_body(("html",)).get_content()
    assert mine.number in head_text and theirs.number in head_text and theirs.number in head_html
    assert "物流部" in head_text and "物流部" in head_html  # the department's name in Chinese
    agent_text = to_agent.get_body(("plain",)).get_content()
    assert theirs.number in agent_text and mine.number not in agent_text and "Logistics" not in agent_text
    assert theirs.title in to_agent.get_body(("html",)).get_content()


def test_nothing_goes_before_the_digest_hour_or_on_a_day_off(app, session, smtp_inbox, loaded_taxonomy):  # noqa: F811
    overdue_world(session)
    early = FRIDAY - timedelta(hours=3)  # 07:00 in Shanghai
    saturday = FRIDAY + timedelta(days=1)
    assert run_digest(app, session, smtp_inbox, early) == 0
    assert run_digest(app, session, smtp_inbox, saturday) == 0
    assert smtp_inbox.mails == []
    assert run_digest(app, session, smtp_inbox, FRIDAY) == 2  # the early run did not use up the day


def test_closed_and_not_yet_due_tickets_are_not_in_the_digest(app, session, smtp_inbox, loaded_taxonomy):  # noqa: F811
    head = make_user(session, role="head", department="logistics")
    done = make_ticket(session)
    tickets.close_ticket(session, done.id, "refunded", by=head, now=NOW)
    assert run_digest(app, session, smtp_inbox, NOW + timedelta(hours=1)) == 0
    assert run_digest(app, session, smtp_inbox, FRIDAY) == 0 and smtp_inbox.mails == []


def test_a_long_list_is_cut_and_says_how_many_more(app, session, smtp_inbox, loaded_taxonomy):  # noqa: F811
    app.config["DIGEST_MAX_TICKETS"] = 1
    head = make_user(session, role="head", department="logistics", language="en")
    first, second = make_ticket(session), make_ticket(session)
    run_digest(app, session, smtp_inbox, FRIDAY)
    [received] = smtp_inbox.to(head.email)
    text = received.get_body(("plain",)).get_content()
    assert first.number in text and second.number not in text and "Logistics: 2 overdue" in text and "1 more" in text
