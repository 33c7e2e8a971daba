"""`feedback fetch-mail` and the scheduled poll, against the real Dovecot of tests/dovecot.py."""

import sqlalchemy as sa

from feedback import jobs
from feedback.cli import main
from feedback.models import Feedback
from tests.dovecot import dovecot  # noqa: F401
from tests.test_imap import built


def configure(app, server, **extra):
    app.config["MAILBOXES"] = [{"name": "support", "host": server.host, "port": server.port, "security": "plain",
                                "user": server.user, "password": server.password} | extra]


def test_fetch_mail_command_stores_new_mail_once(app, runner, session, dovecot):  # noqa: F811
    dovecot.reset()
    configure(app, dovecot)
    dovecot.append(built("Parcel arrived damaged", "The box was crushed."))
    result = runner.invoke(main, ["fetch-mail"], catch_exceptions=False)
    assert result.exit_code == 0 and "support: 1 new, 0 duplicate, 0 quarantined — ok" in result.output
    again = runner.invoke(main, ["fetch-mail"], catch_exceptions=False)
    assert "support: 0 new, 0 duplicate" in again.output
    assert session.exec(sa.select(Feedback.subject)).scalars().all() == ["Parcel arrived damaged"]


def test_fetch_mail_command_fails_loudly_on_a_bad_password(app, runner, dovecot):  # noqa: F811
    dovecot.reset()
    configure(app, dovecot, password="wrong-password")
    result = runner.invoke(main, ["fetch-mail"])
    assert result.exit_code == 1 and "support: 0 new" in result.output and "error:" in result.output


def test_fetch_mail_without_mailboxes_explains_what_to_do(runner):
    result = runner.invoke(main, ["fetch-mail"])
    assert result.exit_code == 1 and "no mailbox configured" in result.output


def test_the_scheduler_polls_configured_mailboxes(app, session, dovecot):  # noqa: F811
    dovecot.reset()
    configure(app, dovecot)
    dovecot.append(built("快递三天还没到", "我的订单还没有发货"))
    scheduler = jobs.build_scheduler(app)
    job = scheduler.get_job("fetch-mail")
    assert job is not None and job.trigger.interval.total_seconds() == app.config["MAIL_POLL_MINUTES"] * 60
    job.func()  # what the scheduler runs, in its own app context and session
    job.func()  # a second run (or a second scheduler) stores nothing twice
    assert session.exec(sa.select(Feedback.subject)).scalars().all() == ["快递三天还没到"]


def test_no_mail_job_without_mailboxes(app):
    assert jobs.build_scheduler(app).get_job("fetch-mail") is None
