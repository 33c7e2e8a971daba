"""Structured logs: one JSON line per request and per scheduled job run."""

import io
import json
import logging

import pytest

from feedback import clock, jobs, logs


@pytest.fixture
def lines():
    """The JSON lines the request and job loggers write, read back as dicts."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    for logger in (logs.REQUESTS, logs.JOBS):
        logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger in (logs.REQUESTS, logs.JOBS):
        logger.removeHandler(handler)


def test_one_line_per_request_with_the_signed_in_user(client, login, lines):
    user = login("manager")
    client.get("/tickets?status=open")
    client.get("/no-such-page")
    request, missing = [line for line in lines() if line["logger"] == "feedback.requests"][-2:]
    assert request["method"] == "GET" and request["path"] == "/tickets" and request["status"] == 200
    assert request["user_id"] == str(user.id) and request["ms"] > 0
    assert missing["path"] == "/no-such-page" and missing["status"] == 404


def test_anonymous_requests_log_no_user(client, loaded_taxonomy, lines):
    client.get("/login")
    (request,) = [line for line in lines() if line["path"] == "/login"]
    assert request["user_id"] is None and request["status"] == 200


def test_one_line_per_job_run_with_its_key_and_outcome(app, lines):
    retrain = jobs.build_scheduler(app).get_job("retrain").func
    retrain()
    retrain()  # the key is taken: a second run (or a second scheduler) skips
    first, second = [line for line in lines() if line["logger"] == "feedback.jobs.runs"]
    today = clock.business_date(clock.now()).isoformat()
    assert first["job"] == "retrain" and first["key"] == today and first["outcome"] == "ok" and first["ms"] >= 0
    assert second["key"] == today and second["outcome"] == "skipped"


def test_a_failing_job_logs_failed(app, lines):
    def broken(session, *, now):
        raise RuntimeError("the service broke")

    jobs._in_app(app, broken)()
    (line,) = [line for line in lines() if line["logger"] == "feedback.jobs.runs"]
    assert line["job"] == "broken" and line["outcome"] == "failed" and line["level"] == "error"


def test_the_configured_handler_writes_json_to_stderr(app, capfd):
    logs.REQUESTS.handlers.clear()  # configure() attaches to the stderr of this moment
    logs.configure(app.config)
    app.test_client().get("/healthz")
    line = json.loads(capfd.readouterr().err.strip().splitlines()[-1])
    assert line["path"] == "/healthz" and line["status"] in (200, 503) and line["method"] == "GET"
