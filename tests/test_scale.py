"""Two `feedback scheduler` processes, one PostgreSQL database, a simulated week: every job once per key.

The week runs on the simulated clock (FEEDBACK_CLOCK, clock.simulate) about 12,000 times faster than
the wall clock; both processes share one time line (same start, speed and anchor), so their interval
and cron jobs fire at the same simulated moments and race for the same keys, as two schedulers
started by mistake would. Mail arrives in the real IMAP server while they run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from feedback import clock, db, migrations
from tests.conftest import _drop_pg_database, _pg_database
from tests.dovecot import dovecot  # noqa: F401
from tests.smtp import _smtp_controller  # noqa: F401
from tests.test_imap import built

START = datetime.fromisoformat("2026-11-23T00:00:00+08:00")  # a Monday, 00:00 in the business time zone
DAYS = 7
SPEED = 12_000  # simulated seconds per wall-clock second: the week takes about 50 s
MAILS = 24
FEEDBACK = str(Path(sys.executable).parent / "feedback")


@pytest.fixture
def pg_url(worker_id_safe):
    """A PostgreSQL database of this test's own (the scale mode is PostgreSQL only)."""
    name = _pg_database(worker_id_safe)
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    engine = db.make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    yield url
    _drop_pg_database(name)


def _environment(tmp_path: Path, url: str, server, smtp, anchor: float) -> dict:
    mailbox = {"name": "support", "host": server.host, "port": server.port, "security": "plain",
               "user": server.user, "password": server.password}
    return os.environ | {
        "FEEDBACK_INSTANCE_PATH": str(tmp_path / "instance"), "FEEDBACK_DATABASE_URL": url,
        "FEEDBACK_CLOCK": START.isoformat(), "FEEDBACK_CLOCK_SPEED": str(SPEED), "FEEDBACK_CLOCK_ANCHOR": str(anchor),
        "FEEDBACK_MAILBOXES": json.dumps([mailbox]), "FEEDBACK_MAIL_POLL_MINUTES": "30",
        "FEEDBACK_HEARTBEAT_MINUTES": "60", "FEEDBACK_SMTP_HOST": smtp.host, "FEEDBACK_SMTP_PORT": str(smtp.port),
        "FEEDBACK_SMTP_SECURITY": "plain", "FEEDBACK_SMTP_USER": "",
        # A claim on an outbox mail lasts 10 minutes: 50 ms of wall clock at this speed, less than one SMTP
        # exchange on a busy machine. A simulated week keeps the lease longer than any send, as 10 minutes does.
        "FEEDBACK_OUTBOX_LEASE_SECONDS": str(7 * 86400),
    }


def _run_week(tmp_path: Path, url: str, server, smtp) -> list[list[dict]]:
    """Start two schedulers, deliver mail in batches while the week runs, stop them; their JSON job lines."""
    setup = _environment(tmp_path, url, server, smtp, time.time()) | {
        "FEEDBACK_CLOCK": (START - timedelta(days=3)).isoformat(), "FEEDBACK_CLOCK_SPEED": "1"}
    subprocess.run([FEEDBACK, "init"], env=setup, check=True, capture_output=True)
    # Volume data as of the Friday before: owners with tickets that fall overdue during the week.
    subprocess.run([FEEDBACK, "demo", "--feedback", "400", "--tickets", "80"], env=setup, check=True, capture_output=True)
    anchor = time.time() + 3  # both processes are up before the simulated Monday begins
    env = _environment(tmp_path, url, server, smtp, anchor)
    logs = [tmp_path / f"scheduler{n}.log" for n in range(2)]  # a file, not a pipe nobody drains meanwhile
    processes = [subprocess.Popen([FEEDBACK, "scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
                 for log in logs]
    try:
        end = anchor + DAYS * 86400 / SPEED
        for batch in range(4):  # mail keeps arriving during the week
            time.sleep(max(0.0, anchor + (batch + 0.5) * (end - anchor) / 4 - time.time()))
            for n in range(MAILS // 4):
                server.append(built(f"Parcel {batch}-{n} is late", f"Order SO-{batch}{n:03d} has not arrived."))
        time.sleep(max(0.0, end + 2 - time.time()))
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            process.wait(timeout=30)
    return [_job_lines(log) for log in logs]


def _job_lines(log: Path) -> list[dict]:
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "feedback.jobs.runs"]


def test_two_schedulers_run_each_job_once_per_key_and_fetch_each_mail_once(tmp_path, pg_url, dovecot,  # noqa: F811
                                                                           _smtp_controller):  # noqa: F811
    dovecot.reset()
    smtp = _smtp_controller.handler.inbox
    smtp.mails.clear()
    runs = _run_week(tmp_path, pg_url, dovecot, smtp)
    every = [line for lines in runs for line in lines]
    assert all(line["outcome"] != "failed" for line in every), [line for line in every if line["outcome"] == "failed"]
    assert all(any(line["job"] == "fetch_mail" for line in lines) for lines in runs)  # both really polled

    # Keyed jobs: a key is taken by one process only, the other skips it.
    taken = Counter((line["job"], key) for line in every if line["outcome"] == "ok" and line["key"]
                    for key in line["key"].split(","))
    assert taken and max(taken.values()) == 1, [k for k, n in taken.items() if n > 1]
    retrain_days = sorted(date.fromisoformat(key) for job, key in taken if job == "retrain")
    assert len(retrain_days) >= DAYS - 1  # one per simulated day, none twice
    assert retrain_days == [retrain_days[0] + timedelta(days=i) for i in range(len(retrain_days))]
    assert any(line["outcome"] == "skipped" for line in every)  # the two really raced for keys

    engine = db.make_engine(pg_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT external_id FROM feedback WHERE channel = 'email' "
                                       "AND source NOT LIKE 'volume-%'")).scalars().all()
        fetched = conn.execute(sa.text("SELECT coalesce(sum(new_count + duplicate_count), 0) FROM importrun "
                                       "WHERE channel = 'email'")).scalar_one()
        claims = conn.execute(sa.text("SELECT job, key, count(*) FROM jobrun GROUP BY job, key HAVING count(*) > 1")).all()
    engine.dispose()
    assert len(stored) == len(set(stored)) == MAILS
    assert fetched == MAILS  # no mail fetched (and offered to intake) twice
    assert claims == []
    _assert_reports(pg_url, smtp)


def _assert_reports(url: str, smtp) -> None:
    """One bulletin per day, one weekly review, one digest per owner per business day, each mailed once."""
    engine = db.make_engine(url)
    with engine.connect() as conn:
        bulletins = conn.execute(sa.text("SELECT business_date FROM bulletin ORDER BY 1")).scalars().all()
        drafts = conn.execute(sa.text("SELECT key FROM jobrun WHERE job = 'bulletin-draft' ORDER BY 1")).scalars().all()
        reviews = conn.execute(sa.text("SELECT iso_week FROM weeklyreview")).scalars().all()
        built = conn.execute(sa.text("SELECT key FROM jobrun WHERE job = 'weekly-review' ORDER BY 1")).scalars().all()
        digests = conn.execute(sa.text("SELECT dedupe_key, \"to\" FROM outbox WHERE kind = 'digest'")).all()
    engine.dispose()
    monday = START.date()
    assert [d.isoformat() for d in bulletins] == drafts  # a bulletin for each claimed day, none twice
    assert {monday + timedelta(days=n) for n in range(DAYS - 1)} <= set(bulletins)  # every day of the week
    assert "2026-W47" in reviews and sorted(reviews) == built  # Monday 08:00 builds last week's review, once
    days = Counter(key.split(":")[1] for key, _to in digests)
    business = [(monday + timedelta(days=n)).isoformat() for n in range(5)]  # Monday to Friday (no holiday)
    assert sorted(days) == business and min(days.values()) > 0  # each business day, not the weekend
    assert len(digests) == len({tuple(key.split(":")[1:]) for key, _to in digests})  # one per owner per day
    mailed = Counter(r for m in smtp.mails if str(m.message["Subject"]).startswith("Overdue") for r in m.recipients)
    assert mailed == Counter(to for _key, to in digests)  # each digest mailed once by one of the two outbox jobs


def test_the_simulated_clock_runs_from_its_start_at_its_speed():
    try:
        clock.simulate(START, speed=3600, anchor=time.time())
        first = clock.now()
        time.sleep(0.05)
        second = clock.now()
        assert START <= first < START + timedelta(minutes=10) and clock.speed() == 3600
        assert timedelta(seconds=100) < second - first < timedelta(hours=1)  # 50 ms of wall clock ≈ 3 simulated minutes
    finally:
        clock.simulate(None)
    assert abs(clock.now() - datetime.now(timezone.utc)) < timedelta(seconds=5) and clock.speed() == 1.0
