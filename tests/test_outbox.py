"""The outbox: pending rows are claimed under a lease (two senders never send one twice), failures back off."""

from datetime import timedelta

import sqlalchemy as sa

from feedback import outbox
from feedback.models import Outbox
from tests.factories import NOW
from tests.smtp import _free_port, _smtp_controller, smtp_inbox  # noqa: F401


def queue(session, *addresses):
    outbox.enqueue(session, [{"dedupe_key": f"test:{a}", "kind": "digest", "to": a, "subject": f"hello {a}",
                              "text": "plain part", "html": "<p>html part</p>"} for a in addresses], now=NOW)
    session.commit()


def test_the_same_dedupe_key_is_queued_once(session):
    queue(session, "a@example.com")
    queue(session, "a@example.com", "b@example.com")
    assert sorted(session.execute(sa.select(Outbox.to)).scalars()) == ["a@example.com", "b@example.com"]


def test_pending_rows_are_sent_with_both_parts(app, session, smtp_inbox):  # noqa: F811
    queue(session, "a@example.com", "b@example.com")
    result = outbox.send_pending(session, app.config, now=NOW)
    assert result.sent == 2
    [received] = smtp_inbox.to("a@example.com")
    assert received.get_body(("plain",)).get_content().strip() == "plain part"
    assert "<p>html part</p>" in received.get_body(("html",)).get_content()
    assert len(smtp_inbox.to("b@example.com")) == 1
    assert outbox.pending(session) == []


def test_a_failing_server_leaves_the_row_pending_with_the_error_and_a_later_run_sends_it(app, session, smtp_inbox):  # noqa: F811
    queue(session, "a@example.com", "b@example.com")
    port = _free_port()  # nothing listens there
    app.config.update(SMTP_PORT=port, SMTP_TIMEOUT=2)
    failed = outbox.send_pending(session, app.config, now=NOW)
    assert failed.sent == 0 and failed.failed == 1 and f"127.0.0.1:{port}" in failed.error
    first, second = outbox.pending(session)
    assert first.attempts == 1 and f"127.0.0.1:{port}" in first.last_error
    assert first.next_attempt_at == NOW + timedelta(seconds=app.config["OUTBOX_BACKOFF_SECONDS"])
    assert second.attempts == 0 and second.lease_until is None  # not tried: free for the next run
    smtp_inbox.configure(app)  # the server is back
    soon = outbox.send_pending(session, app.config, now=NOW + timedelta(seconds=1))
    assert soon.sent == 1 and smtp_inbox.to("a@example.com") == []  # the failed one waits out its backoff
    later = outbox.send_pending(session, app.config, now=NOW + timedelta(minutes=2))
    assert later.sent == 1 and len(smtp_inbox.to("a@example.com")) == 1 and outbox.pending(session) == []


def test_backoff_doubles_and_gives_up_after_the_last_attempt(app, session):
    queue(session, "a@example.com")
    app.config.update(SMTP_PORT=_free_port(), SMTP_TIMEOUT=2, OUTBOX_MAX_ATTEMPTS=2)
    outbox.send_pending(session, app.config, now=NOW)
    outbox.send_pending(session, app.config, now=NOW + timedelta(minutes=1))
    [row] = outbox.pending(session)
    assert row.attempts == 2 and row.next_attempt_at == NOW + timedelta(minutes=3)
    assert outbox.claim(session, app.config, now=NOW + timedelta(days=2)) == []


def test_two_senders_never_claim_the_same_row(app, session):
    queue(session, "a@example.com", "b@example.com")
    first = outbox.claim(session, app.config, now=NOW)
    second = outbox.claim(session, app.config, now=NOW)
    assert len(first) == 2 and second == []


def test_a_claim_whose_lease_ran_out_is_taken_over(app, session):
    queue(session, "a@example.com")
    outbox.claim(session, app.config, now=NOW)  # a sender that died before sending
    lease = timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"])
    assert outbox.claim(session, app.config, now=NOW + lease - timedelta(seconds=1)) == []
    assert [r.to for r in outbox.claim(session, app.config, now=NOW + lease)] == ["a@example.com"]


def test_two_senders_racing_share_the_rows_without_overlap(app, session):
    import threading

    from feedback import db

    queue(session, *(f"p{n}@example.com" for n in range(40)))
    engine = app.extensions["feedback.engine"]
    start, claimed = threading.Barrier(2), []

    def sender():
        with db.session_scope(engine) as own:
            start.wait()
            claimed.append([r.id for r in outbox.claim(own, app.config | {"OUTBOX_BATCH": 25}, now=NOW)])

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    first, second = claimed
    # A sender that lost the race on PostgreSQL may find its chosen rows taken and claim none this run.
    assert not set(first) & set(second) and 25 <= len(first) + len(second) <= 40


def test_purge_deletes_mail_sent_or_given_up_long_ago_and_keeps_what_is_owed(app, session):
    queue(session, "old@example.com", "recent@example.com", "stuck@example.com", "failed@example.com")
    rows = {r.to: r for r in session.execute(sa.select(Outbox)).scalars()}
    keep = timedelta(days=app.config["OUTBOX_KEEP_DAYS"])
    rows["old@example.com"].sent_at = NOW - keep - timedelta(hours=1)
    rows["recent@example.com"].sent_at = NOW - keep + timedelta(hours=1)
    rows["stuck@example.com"].created_at = NOW - keep * 3  # still pending: owed, never deleted
    failed = rows["failed@example.com"]
    failed.created_at, failed.attempts = NOW - keep - timedelta(days=1), app.config["OUTBOX_MAX_ATTEMPTS"]
    session.commit()
    assert outbox.purge(session, app.config, now=NOW) == 2
    session.commit()
    assert sorted(session.execute(sa.select(Outbox.to)).scalars()) == ["recent@example.com", "stuck@example.com"]
    assert outbox.purge(session, app.config, now=NOW) == 0  # twice is harmless
