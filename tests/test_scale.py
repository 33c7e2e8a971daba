"""The production mode for a simulated week: two `feedback scheduler` processes and gunicorn with two web
workers on one PostgreSQL database — every job once per key, the web side running none.

The week runs on the simulated clock (FEEDBACK_CLOCK, clock.simulate) about 12,000 times faster than
the wall clock; every process shares one time line (same start, speed and anchor), so the schedulers'
interval and cron jobs fire at the same simulated moments and race for the same keys, as two schedulers
started by mistake would. Mail arrives in the real IMAP server while they run, and a shop posts survey
answers to the web workers' API (each batch twice, as a client retrying after a timeout would).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from feedback import clock, db, migrations, tokens
from tests.conftest import _drop_pg_database, _pg_database
from tests.dovecot import dovecot  # noqa: F401
from tests.smtp import _smtp_controller  # noqa: F401
from tests.test_imap import built

START = datetime.fromisoformat("2026-11-23T00:00:00+08:00")  # a Monday, 00:00 in the business time zone
DAYS = 7
SPEED = 12_000  # simulated seconds per wall-clock second: the week takes about 50 s
MAILS = 24
SURVEYS = 5  # survey answers posted to the API per mail batch
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
        # The heartbeat beats every simulated hour: healthy means younger than two of them.
        "FEEDBACK_HEALTH_HEARTBEAT_MAX_AGE": "7200",
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _web(env: dict, log: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn as the README's production mode runs it: two workers, no scheduler inside."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:feedback.gunicorn_conf", "-w", "2",
                               "-b", f"127.0.0.1:{port}", "feedback:create_app()"],
                              env=env | {"FEEDBACK_SCHEDULER": "false"}, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError(f"gunicorn did not start: {log.read_text(encoding='utf-8')[-2000:]}")


def _call(port: int, method: str, path: str, body: dict | None = None, token: str = "") -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def _api_token(url: str) -> str:
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        _token, plain = tokens.create_token(session, name="survey-tool", scopes=["feedback:write"], user=None,
                                            now=clock.now())
    engine.dispose()
    return plain


def _surveys(batch: int) -> dict:
    return {"items": [{"channel": "survey", "external_id": f"S-{batch}-{n}", "csat": 1 + n % 5,
                       "text": f"Survey {batch}-{n}: delivery took too long"} for n in range(SURVEYS)]}


def _run_week(tmp_path: Path, url: str, server, smtp) -> tuple[list[list[dict]], list[dict]]:
    """Start two schedulers and the web workers, deliver mail and post surveys in batches while the week runs,
    stop them; the schedulers' JSON job lines and what the web side answered."""
    setup = _environment(tmp_path, url, server, smtp, time.time()) | {
        "FEEDBACK_CLOCK": (START - timedelta(days=3)).isoformat(), "FEEDBACK_CLOCK_SPEED": "1"}
    subprocess.run([FEEDBACK, "init"], env=setup, check=True, capture_output=True)
    # Volume data as of the Friday before: owners with tickets that fall overdue during the week.
    subprocess.run([FEEDBACK, "demo", "--feedback", "400", "--tickets", "80"], env=setup, check=True, capture_output=True)
    token = _api_token(url)
    anchor = time.time() + 3  # every process is up before the simulated Monday begins
    env = _environment(tmp_path, url, server, smtp, anchor)
    logs = [tmp_path / f"scheduler{n}.log" for n in range(2)]  # a file, not a pipe nobody drains meanwhile
    processes = [subprocess.Popen([FEEDBACK, "scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
                 for log in logs]
    web, port = _web(env, tmp_path / "web.log")
    processes.append(web)
    answers = []
    try:
        end = anchor + DAYS * 86400 / SPEED
        for batch in range(4):  # mail and survey answers keep arriving during the week
            time.sleep(max(0.0, anchor + (batch + 0.5) * (end - anchor) / 4 - time.time()))
            for n in range(MAILS // 4):
                server.append(built(f"Parcel {batch}-{n} is late", f"Order SO-{batch}{n:03d} has not arrived."))
            for _attempt in range(2):
                answers.append(dict(zip(("status", "body"), _call(port, "POST", "/api/v1/feedback", _surveys(batch), token))))
            answers.append(dict(zip(("status", "body"), _call(port, "GET", "/healthz"))))
        time.sleep(max(0.0, end + 2 - time.time()))
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT if process is not web else signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
    assert not [line for line in _job_lines(tmp_path / "web.log")], "a web worker ran a scheduled job"
    return [_job_lines(log) for log in logs], answers


def _job_lines(log: Path) -> list[dict]:
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "feedback.jobs.runs"]


def test_two_schedulers_run_each_job_once_per_key_and_fetch_each_mail_once(tmp_path, pg_url, dovecot,  # noqa: F811
                                                                           _smtp_controller):  # noqa: F811
    dovecot.reset()
    smtp = _smtp_controller.handler.inbox
    smtp.mails.clear()
    runs, answers = _run_week(tmp_path, pg_url, dovecot, smtp)
    _assert_web(answers)
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
        surveys = conn.execute(sa.text("SELECT external_id FROM feedback WHERE channel = 'survey' "
                                       "AND source = 'api:survey-tool'")).scalars().all()
    engine.dispose()
    assert sorted(surveys) == sorted(f"S-{b}-{n}" for b in range(4) for n in range(SURVEYS))  # each once
    assert len(stored) == len(set(stored)) == MAILS
    assert fetched == MAILS  # no mail fetched (and offered to intake) twice
    assert claims == []
    _assert_reports(pg_url, smtp)


def _assert_web(answers: list[dict]) -> None:
    """Every survey batch stored on its first post and recognised on its retry; healthy throughout."""
    posts = [a for a in answers if "results" in a["body"]]
    health = [a for a in answers if "heartbeat_age_s" in a["body"]]
    assert len(posts) == 8 and len(health) == 4, answers
    assert [(a["status"], a["body"]["created"], a["body"]["duplicate"]) for a in posts] == \
        [(200, SURVEYS, 0), (200, 0, SURVEYS)] * 4
    # The web workers see the schedulers' heartbeat: the database answers and a scheduler is alive.
    assert all(a["status"] == 200 and a["body"]["ok"] and a["body"]["database"] for a in health), health


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
