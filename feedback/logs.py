"""Structured logs: one JSON line per web request and per scheduled job run, on stderr.

Log collectors (journald, a Procfile host, Loki…) read one JSON object per line, so the request
line carries method, path, status, milliseconds and the signed-in user's id, and the job line the
job, when it ran (on the app's clock), the keys it claimed, milliseconds and its outcome.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar
from datetime import datetime, timezone

from flask import Flask, g, request

from feedback import clock

REQUESTS = logging.getLogger("feedback.requests")
JOBS = logging.getLogger("feedback.jobs.runs")
# The (job, key, taken) claims made during the current job run, so its log line names its key.
_claims: ContextVar[list | None] = ContextVar("feedback_job_claims", default=None)


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        line |= getattr(record, "fields", {})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(config: dict) -> None:
    """Send the request and job loggers to stderr as JSON lines (once per process)."""
    for logger in (REQUESTS, JOBS):
        logger.setLevel(logging.INFO)
        if not any(getattr(h, "feedback_json", False) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            handler.feedback_json = True
            logger.addHandler(handler)
        logger.propagate = False
        logger.disabled = not config.get("LOG_JSON", True)


def init_app(app: Flask) -> None:
    """Time every request and log it when the response leaves."""
    configure(app.config)
    app.before_request(_start_timer)
    app.after_request(_log_request)


def _start_timer() -> None:
    g.log_started = time.perf_counter()


def _log_request(response):
    from flask_login import current_user

    started = g.get("log_started")
    user = current_user if "_login_user" in g else None  # never load the user just to log it
    fields = {"method": request.method, "path": request.path, "status": response.status_code,
              "ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
              "user_id": user.get_id() if user is not None and user.is_authenticated else None}
    REQUESTS.info("request", extra={"fields": fields})
    return response


def start_job() -> object:
    """Begin collecting the claims of a job run; returns the token `finish_job` needs."""
    return _claims.set([])


def note_claim(job: str, key: str, taken: bool) -> None:
    """Remember a claim made during the running job (called by jobs.claim)."""
    claims = _claims.get()
    if claims is not None:
        claims.append((job, key, taken))


def finish_job(token, name: str, started: float, *, failed: bool) -> None:
    """Log one line for the job run: its claimed keys, how long it took, ok / skipped / failed."""
    claims = _claims.get() or []
    _claims.reset(token)
    taken = [key for _job, key, ok in claims if ok]
    outcome = "failed" if failed else "skipped" if claims and not taken else "ok"
    fields = {"job": name, "at": clock.now().isoformat(), "key": ",".join(taken or [key for _job, key, _ok in claims]) or None,
              "ms": round((time.perf_counter() - started) * 1000, 2), "outcome": outcome}
    JOBS.log(logging.ERROR if failed else logging.INFO, "job", extra={"fields": fields})
