"""IMAP polling against a real Dovecot: new mail stored once, flagged or moved only after commit."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
import sqlalchemy as sa

from feedback.intake import imap
from feedback.intake.email import EmailLimits
from feedback.intake.imap import MailboxError, fetch_all, fetch_mailbox, mailboxes_from_config
from feedback.models import Feedback, ImportRun, MailboxState, Quarantine
from tests.dovecot import dovecot  # noqa: F401
from tests.factories import NOW

SAMPLES = {
    "demisto-parse-emails/chinese_gbk_encoding.eml": "Hello from China",  # no Date header
    "flanker-eml/bilingual-simple.eml": "Simple text. How are you? Как ты поживаешь?",
    "django-helpdesk-eml/quoted_printable.eml": "Český test",
}
BUILT = {"快递三天还没到": "我的订单还没有发货", "Parcel arrived damaged": "The box was crushed."}
SEEN = "\\Seen"


@pytest.fixture
def server(dovecot):  # noqa: F811
    """The session's Dovecot, emptied: every test starts with no mail and only INBOX."""
    dovecot.reset()
    return dovecot


@pytest.fixture
def five(server, shared_data) -> dict[str, bytes]:
    """Five mails in INBOX: three real ones from the corpus, two built here; {subject: raw}."""
    mails = {subject: (shared_data / "email" / path).read_bytes() for path, subject in SAMPLES.items()}
    mails |= {subject: built(subject, body) for subject, body in BUILT.items()}
    for raw in mails.values():
        server.append(raw)
    return mails


def built(subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Mei Lin <mei@customer.example>"
    message["To"] = "support@shop.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc))
    message["Message-ID"] = f"<{hashlib.sha1(subject.encode()).hexdigest()}@customer.example>"
    message.set_content(body)
    return message.as_bytes()


def mailbox(server, **overrides) -> imap.MailboxConfig:
    settings = {"name": "support", "host": server.host, "port": server.port, "security": "plain",
                "user": server.user, "password": server.password}
    return mailboxes_from_config([settings | overrides])[0]


def poll(session, server, **overrides) -> ImportRun:
    chunk = overrides.pop("chunk", 200)
    limits = overrides.pop("limits", EmailLimits())
    return fetch_mailbox(session, mailbox(server, **overrides), now=lambda: NOW, chunk=chunk, limits=limits)


def count(session, model) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def state(session) -> MailboxState:
    session.expire_all()
    return session.exec(sa.select(MailboxState).where(MailboxState.mailbox == "support")).scalar_one()


def test_new_mail_is_stored_with_decoded_subjects_and_flagged_seen(session, server, five):
    run = poll(session, server)
    assert (run.new_count, run.duplicate_count, run.quarantined_count, run.errors) == (5, 0, 0, "")
    assert set(session.exec(sa.select(Feedback.subject)).scalars()) == set(five)
    uids = server.uids()
    assert all(SEEN in server.flags(uid) for uid in uids)
    assert state(session).last_uid == max(uids) and state(session).polled_at == NOW
    assert run.file_name == f"imap://{server.user}@{server.host}/INBOX" and run.source == "support"


def test_a_mail_without_date_gets_the_servers_arrival_time(session, server):
    arrived = datetime(2026, 11, 20, 8, 15, tzinfo=timezone.utc)
    server.append(b"From: a@customer.example\r\nSubject: no date\r\n\r\nWhere is my parcel?\r\n", when=arrived)
    poll(session, server)
    assert session.exec(sa.select(Feedback.received_at)).scalar_one() == arrived


def test_polling_again_fetches_nothing(session, server, five):
    poll(session, server)
    again = poll(session, server)
    assert (again.new_count, again.duplicate_count, again.quarantined_count) == (0, 0, 0)


def test_only_mail_that_arrived_since_the_last_poll_is_fetched(session, server, five):
    poll(session, server)
    server.append(built("Refund still missing", "Two weeks now."))
    run = poll(session, server)
    assert (run.new_count, run.duplicate_count) == (1, 0)
    assert count(session, Feedback) == 6 and state(session).last_uid == max(server.uids())


def test_a_crash_after_the_first_chunk_loses_nothing_and_stores_nothing_twice(session, server, five, monkeypatch):
    real_store, calls = imap.intake.store, []

    def store_then_crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("database went away")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(imap.intake, "store", store_then_crash)
    with pytest.raises(MailboxError, match="database went away") as failed:
        poll(session, server, chunk=2)
    uids = server.uids()
    assert [SEEN in server.flags(uid) for uid in uids] == [True, True, False, False, False]
    assert count(session, Feedback) == 2 and state(session).last_uid == uids[1]
    assert "database went away" in failed.value.run.errors and failed.value.run.finished_at == NOW

    monkeypatch.undo()
    run = poll(session, server, chunk=2)
    assert (run.new_count, run.duplicate_count) == (3, 0)
    assert set(session.exec(sa.select(Feedback.subject)).scalars()) == set(five) and count(session, Feedback) == 5
    assert all(SEEN in server.flags(uid) for uid in uids)


def test_a_crash_between_storing_and_remembering_re_reads_the_chunk_without_duplicates(session, server, five, monkeypatch):
    real_store = imap.intake.store

    def store_then_crash(*args, **kwargs):
        real_store(*args, **kwargs)
        raise OSError("killed")

    monkeypatch.setattr(imap.intake, "store", store_then_crash)
    with pytest.raises(MailboxError):
        poll(session, server)
    assert count(session, Feedback) == 5 and not any(SEEN in server.flags(uid) for uid in server.uids())
    monkeypatch.undo()
    run = poll(session, server)
    assert (run.new_count, run.duplicate_count) == (0, 5) and count(session, Feedback) == 5
    assert all(SEEN in server.flags(uid) for uid in server.uids())


def test_a_crash_between_remembering_and_flagging_is_flagged_by_the_next_poll(session, server, five, monkeypatch):
    def crash(*args, **kwargs):
        raise OSError("killed")

    monkeypatch.setattr(imap, "_done", crash)
    with pytest.raises(MailboxError):
        poll(session, server)
    assert count(session, Feedback) == 5 and state(session).last_uid == max(server.uids())
    assert not any(SEEN in server.flags(uid) for uid in server.uids())  # stored and remembered, not flagged
    monkeypatch.undo()
    run = poll(session, server)
    assert (run.new_count, run.duplicate_count) == (0, 0) and count(session, Feedback) == 5
    assert all(SEEN in server.flags(uid) for uid in server.uids())


def test_a_changed_uidvalidity_re_reads_the_folder_without_duplicates(session, server, five):
    poll(session, server)
    remembered = state(session)
    remembered.uidvalidity += 1
    session.commit()
    run = poll(session, server)
    assert (run.new_count, run.duplicate_count) == (0, 5) and count(session, Feedback) == 5


def test_a_recreated_folder_is_read_again_without_duplicates(session, server, five):
    for raw in five.values():
        server.append(raw, folder="Feedback")
    poll(session, server, folder="Feedback")
    before = state(session).uidvalidity
    server.reset()  # deletes the folder; appending creates it anew with a new UIDVALIDITY
    for raw in five.values():
        server.append(raw, folder="Feedback")
    run = poll(session, server, folder="Feedback")
    assert (run.new_count, run.duplicate_count) == (0, 5) and state(session).uidvalidity != before


def test_move_to_moves_fetched_mail_to_the_other_folder(session, server, five):
    run = poll(session, server, move_to="Processed")
    assert run.new_count == 5 and server.uids() == []
    moved = server.uids("Processed")
    assert len(moved) == 5 and all(SEEN in server.flags(uid, "Processed") for uid in moved)


def test_move_to_falls_back_to_copy_and_expunge_without_move(session, server, five, monkeypatch):
    real_connect = imap._connect

    def without_move(mailbox):
        connection = real_connect(mailbox)
        connection.capabilities = tuple(c for c in connection.capabilities if c != "MOVE")
        return connection

    monkeypatch.setattr(imap, "_connect", without_move)
    poll(session, server, move_to="Processed")
    assert server.uids() == [] and len(server.uids("Processed")) == 5


def test_folder_names_outside_ascii_are_sent_in_modified_utf7(session, server, five):
    poll(session, server, move_to="已处理")
    assert "&XfJZBHQG-" in server.folders() and len(server.uids("&XfJZBHQG-")) == 5


def test_mail_over_the_size_limit_is_quarantined_with_its_header_only(session, server):
    server.append(built("Huge", "x" * 5000))
    run = poll(session, server, limits=EmailLimits(max_bytes=2000))
    held = session.exec(sa.select(Quarantine)).scalar_one()
    assert run.quarantined_count == 1 and "mail too large" in held.reason and b"Subject: Huge" in held.raw
    assert len(held.raw) < 2000 and held.locator == f"support/uid/{server.uids()[0]}"
    assert SEEN in server.flags(server.uids()[0])


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_connections_verify_the_server_certificate(session, server, five, security):
    port = server.imaps_port if security == "ssl" else server.port
    run = poll(session, server, security=security, port=port, ca_file=server.ca_file)
    assert run.new_count == 5


def test_an_untrusted_certificate_is_refused(session, server, five):
    with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"):
        poll(session, server, security="ssl", port=server.imaps_port)
    assert count(session, Feedback) == 0


def test_a_wrong_password_is_recorded_on_the_run(session, server, five):
    with pytest.raises(MailboxError, match="uthentication failed") as failed:
        poll(session, server, password="wrong")
    run = session.get(ImportRun, failed.value.run.id)
    assert "support" in run.errors and "uthentication failed" in run.errors and run.finished_at == NOW


def test_fetch_all_goes_on_after_a_failing_mailbox(session, server, five):
    broken = mailbox(server, name="broken", password="wrong")
    closed = mailbox(server, name="closed", port=1)  # nothing listens there
    runs = fetch_all(session, [broken, closed, mailbox(server)], now=lambda: NOW)
    assert [r.new_count for r in runs] == [0, 0, 5]
    assert "uthentication failed" in runs[0].errors and "ConnectionRefusedError" in runs[1].errors
    assert runs[2].errors == ""


def test_mailbox_settings_get_defaults():
    (box,) = mailboxes_from_config([{"name": "support", "host": "imap.example.com", "user": "u", "password": "p"}])
    assert (box.port, box.security, box.folder, box.move_to, box.source, box.verify) == (993, "ssl", "INBOX", None, "support", True)
    assert "password" not in repr(box)


@pytest.mark.parametrize("entry, problem", [
    ({"host": "h", "user": "u", "password": "p"}, "'name' is required"),
    ({"name": "a", "host": "h", "user": "u"}, "'password' is required"),
    ({"name": "a", "host": "h", "user": "u", "password": "p", "security": "tls"}, "'security' must be one of"),
    ({"name": "a", "host": "h", "user": "u", "password": "p", "pasword": "p"}, "unknown setting"),
    ({"name": "a", "host": "h", "user": "u", "password": "p", "port": "993"}, "'port' must be a port number"),
    ({"name": "a", "host": "h", "user": "u", "password": "p", "move_to": "INBOX"}, "'move_to' must be a folder"),
])
def test_bad_mailbox_settings_are_refused_with_a_clear_message(entry, problem):
    with pytest.raises(ValueError, match=problem):
        mailboxes_from_config([entry])


def test_mailbox_names_must_be_unique():
    entry = {"name": "a", "host": "h", "user": "u", "password": "p"}
    with pytest.raises(ValueError, match="unique"):
        mailboxes_from_config([entry, entry])
