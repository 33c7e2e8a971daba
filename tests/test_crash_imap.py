"""Crash safety of the IMAP poll: `kill -9` `feedback fetch-mail` mid-mailbox, poll again — every mail once."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from tests.dovecot import dovecot  # noqa: F401
from tests.test_crash import FEEDBACK, _count, _kill_after_progress, maildir  # noqa: F401

CHUNK = 200  # fetch_mailbox's default: one chunk is stored in one transaction, then flagged on the server


@pytest.fixture
def full_inbox(dovecot, maildir):  # noqa: F811
    """Dovecot's INBOX holding every generated mail, appended over one connection."""
    dovecot.reset()
    folder, manifest = maildir
    imap = dovecot.connect()
    try:
        for path in sorted(folder.iterdir()):
            imap.append("INBOX", None, None, path.read_bytes())
    finally:
        imap.logout()
    return dovecot, manifest


def _poll(app, database_url, server, log) -> subprocess.Popen:
    mailbox = {"name": "support", "host": server.host, "port": server.port, "security": "plain",
               "user": server.user, "password": server.password, "source": "support"}
    environment = os.environ | {"FEEDBACK_INSTANCE_PATH": app.instance_path, "FEEDBACK_DATABASE_URL": database_url,
                                "FEEDBACK_MAILBOXES": json.dumps([mailbox])}
    with open(log, "ab") as out:
        return subprocess.Popen([str(FEEDBACK), "fetch-mail"], env=environment, stdout=out, stderr=out,
                                start_new_session=True)


def test_a_killed_mailbox_poll_stores_every_mail_once(app, loaded_taxonomy, database_url, full_inbox, tmp_path):
    server, manifest = full_inbox
    engine, total, log = app.extensions["feedback.engine"], len(manifest), tmp_path / "fetch.log"
    killed = []
    for _ in range(2):
        process = _poll(app, database_url, server, log)
        stored = _kill_after_progress(engine, process, "support", killed[-1] if killed else 0, total)
        assert 0 < stored < total and stored % CHUNK == 0, f"{stored} stored at the kill"
        killed.append(stored)
    assert _poll(app, database_url, server, log).wait(timeout=600) == 0, log.read_text(errors="replace")[-2000:]
    assert _count(engine, "support") == (total, total)
    imap = server.connect()
    try:
        imap.select("INBOX", readonly=True)
        unseen = imap.uid("SEARCH", "UNSEEN")[1][0].split()
    finally:
        imap.logout()
    assert unseen == []  # every mail flagged as fetched, none left behind
    print(f"\nIMAP poll killed at {killed} of {total}; after the re-poll {total} stored once each")
