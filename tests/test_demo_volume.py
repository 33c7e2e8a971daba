"""`feedback demo --feedback N`: volume data by the tracker's rules, skewed like real complaint data."""

from datetime import timedelta

import sqlalchemy as sa

from feedback import clock

from feedback.cli import main
from feedback.models import Category, Department, Feedback, Ticket
from tests import factories


def generate(runner, *args):
    result = runner.invoke(main, ["demo", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_builds_the_asked_volume_with_consistent_tickets(runner, session, loaded_taxonomy):
    output = generate(runner, "--feedback", "3000", "--tickets", "400")
    assert "3000 feedback, 400 tickets" in output
    assert session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 3000
    assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 400
    counted = dict(session.execute(sa.select(Feedback.ticket_id, sa.func.count()).where(Feedback.ticket_id.is_not(None))
                                   .group_by(Feedback.ticket_id)).all())
    stored = dict(session.execute(sa.select(Ticket.id, Ticket.feedback_count)).all())
    assert counted == stored  # every ticket's count is the feedback that points at it
    late = session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(Ticket.due_at < Ticket.opened_at))
    assert late == 0


def test_demo_data_is_skewed_like_complaint_data(runner, session, loaded_taxonomy):
    generate(runner, "--feedback", "3000", "--tickets", "600")
    by_department = dict(session.execute(sa.select(Department.key, sa.func.count()).join(Ticket, Ticket.department_id == Department.id)
                                         .group_by(Department.key)).all())
    assert by_department["logistics"] > by_department["product"] > by_department["marketing"]
    channels = dict(session.execute(sa.select(Feedback.channel, sa.func.count()).group_by(Feedback.channel)).all())
    assert set(channels) == {"email", "phone", "forum", "review", "survey"} and channels["email"] > channels["forum"]
    languages = set(session.execute(sa.select(Feedback.language).distinct()).scalars())
    assert languages == {"en", "zh"}
    repeat = session.execute(sa.select(Ticket.contact).group_by(Ticket.contact).having(sa.func.count() > 1)).first()
    assert repeat is not None  # some customers come back with a second problem
    praise = session.scalar(sa.select(sa.func.count()).select_from(Feedback).join(Category)
                            .where(Category.key == "praise", Feedback.ticket_id.is_(None)))
    assert praise > 0
    waiting = session.execute(sa.select(sa.func.min(Feedback.received_at)).join(Category).where(
        Category.key == "other", Feedback.ticket_id.is_(None), Feedback.not_a_problem == "")).scalar()
    assert waiting is None or waiting > clock.now() - timedelta(days=8)  # triage holds the last week, not two years


def test_a_second_run_adds_and_intake_goes_on_after_it(runner, session, loaded_taxonomy):
    generate(runner, "--feedback", "500", "--tickets", "50")
    generate(runner, "--feedback", "500", "--tickets", "50", "--seed", "8")
    assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 100
    feedback = factories.make_feedback(session)  # ids and sequences continue past the generated rows
    assert feedback.id > 1000 and feedback.ticket_id > 100


def test_the_pages_work_on_demo_data(runner, client, loaded_taxonomy):
    generate(runner, "--feedback", "800", "--tickets", "120")
    response = client.post("/login", data={"email": "manager@bench.example", "password": "bench-password-1"})
    assert response.status_code == 302
    assert "FB-000" in client.get("/tickets?view=all").get_data(as_text=True)
    assert client.get("/tickets/7").status_code == 200
    assert client.get("/").status_code == 200


def test_demo_without_a_taxonomy_explains_what_to_do(runner):
    result = runner.invoke(main, ["demo", "--feedback", "10"])
    assert result.exit_code == 1 and "feedback init" in result.output
