"""/healthz: database reachable and the scheduler's heartbeat fresh, without signing in."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

from feedback import clock, create_app, jobs
from tests.conftest import _drop_pg_database, _pg_database

BIN = Path(sys.executable).parent


def test_healthy_with_a_fresh_heartbeat_and_no_sign_in(app, client, session):
    jobs.beat(session, now=clock.now() - timedelta(seconds=30))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["database"] is True
    assert 29 <= body["heartbeat_age_s"] < app.config["HEALTH_HEARTBEAT_MAX_AGE"]


def test_a_stale_heartbeat_is_unhealthy_when_a_scheduler_is_expected(app, client, session):
    jobs.beat(session, now=clock.now() - timedelta(seconds=app.config["HEALTH_HEARTBEAT_MAX_AGE"] + 60))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] is True and response.get_json()["ok"] is False


def test_no_heartbeat_at_all_is_unhealthy_unless_no_scheduler_is_expected(app, client):
    assert client.get("/healthz").status_code == 503
    app.config["HEALTH_HEARTBEAT_MAX_AGE"] = 0
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["heartbeat_age_s"] is None


def test_the_heartbeat_job_keeps_the_check_green(app, client):
    jobs.build_scheduler(app).get_job("heartbeat").func()  # what the scheduler runs every minute
    assert client.get("/healthz").status_code == 200


def test_an_unreachable_database_answers_503(tmp_path, monkeypatch):
    monkeypatch.setenv("FEEDBACK_INSTANCE_PATH", str(tmp_path / "instance"))
    # Nothing listens on port 1: a real connection attempt that fails, as when the server is down.
    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/feedback?connect_timeout=2",
                      "SECRET_KEY": "test", "SCHEDULER": False})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"ok": False, "database": False, "error": "OperationalError"}


def test_the_documented_production_mode_works(tmp_path, worker_id_safe):
    """gunicorn -w 2 "feedback:create_app()" with FEEDBACK_SCHEDULER=false, plus one `feedback scheduler`, on PostgreSQL."""
    name = _pg_database(worker_id_safe)
    port = _free_port()
    env = os.environ | {"FEEDBACK_INSTANCE_PATH": str(tmp_path / "instance"), "FEEDBACK_SECRET_KEY": "prod-test",
                        "FEEDBACK_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"}
    processes = []
    try:
        subprocess.run([str(BIN / "feedback"), "init"], env=env, check=True, capture_output=True)
        web_log = tmp_path / "web.log"
        processes.append(subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "feedback:create_app()"],
                                          env=env | {"FEEDBACK_SCHEDULER": "false"}, stderr=web_log.open("wb")))
        assert _health(port, until=lambda status: status is not None) == 503  # up, but no scheduler beats yet
        processes.append(subprocess.Popen([str(BIN / "feedback"), "scheduler"], env=env, stderr=subprocess.DEVNULL))
        assert _health(port, until=lambda status: status == 200) == 200
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        _drop_pg_database(name)
    logged = [json.loads(line) for line in web_log.read_text().splitlines() if line.startswith("{")]
    assert {(line["path"], line["status"]) for line in logged} >= {("/healthz", 503), ("/healthz", 200)}


def _health(port: int, *, until, seconds: float = 30) -> int | None:
    """Poll /healthz until `until(status)` holds; the last status (None while nothing answers)."""
    deadline, status = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = None
        if until(status):
            return status
        time.sleep(0.2)
    return status


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
