"""Configuration: these defaults, then instance/config.py, then FEEDBACK_* environment variables."""

from __future__ import annotations

import json
import os
from pathlib import Path

# Defaults. Every key can be overridden in instance/config.py or as FEEDBACK_<KEY>.
SECRET_KEY = "dev-only-change-me"
DATABASE_URL = ""  # empty means sqlite:///<instance>/feedback.db
TIMEZONE = "Asia/Shanghai"
HOLIDAY_COUNTRY = "CN"
# Extra days off and make-up working days, for years the holidays package does not know yet.
EXTRA_HOLIDAYS: list[str] = []
EXTRA_WORKDAYS: list[str] = []
LANGUAGES = ["en", "zh"]
BABEL_DEFAULT_LOCALE = "en"
PAGE_SIZE = 50
SCHEDULER = True  # `feedback serve` runs the scheduler in-process; set false for gunicorn workers
# Operations: JSON log lines per request and job run on stderr; /healthz fails when the scheduler's
# heartbeat is older than this many seconds (0: no scheduler expected, the heartbeat is not checked).
LOG_JSON = True
HEALTH_HEARTBEAT_MAX_AGE = 300
HEARTBEAT_MINUTES = 1  # how often a running scheduler records its heartbeat
# A simulated clock for tests and rehearsals (see clock.simulate); empty means the wall clock.
CLOCK = ""
CLOCK_SPEED = 1.0
CLOCK_ANCHOR = ""
SQL_ECHO = False
WTF_CSRF_TIME_LIMIT = None  # a form left open all morning must still submit
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
PERMANENT_SESSION_LIFETIME = 12 * 3600
# Cookies are Secure (HTTPS only) except in debug and tests: set false to serve over plain HTTP.
SESSION_COOKIE_SECURE = True
REMEMBER_COOKIE_DURATION = 14 * 24 * 3600  # "remember me" renews an expired sign-in for this long
# Sign-in attempts: this many failures per account and address in the window, then refused.
LOGIN_MAX_FAILURES = 5
LOGIN_FAILURE_WINDOW = 15 * 60
MAX_CONTENT_LENGTH = 64 * 1024 * 1024
# IMAP mailboxes polled by `feedback fetch-mail` and the scheduler, e.g.
# [{"name": "support", "host": "imap.example.com", "port": 993, "security": "ssl", "user": "…",
#   "password": "…", "folder": "INBOX", "move_to": "Processed", "source": "support@example.com"}]
MAILBOXES: list[dict] = []
MAIL_POLL_MINUTES = 5
# Limits against mail bombs: bigger mails are quarantined, bigger attachments dropped.
MAIL_MAX_BYTES = 25 * 1024 * 1024
MAIL_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAIL_MAX_DEPTH = 10
MAIL_MAX_PARTS = 200
# `feedback import …` runs this much nicer than the web workers (0 = same priority): a big import on a
# shared machine takes the CPU the pages leave idle, not the time people wait for a page.
IMPORT_NICE = 10
# On PostgreSQL a bulk import's writing runs in a server process that nice cannot reach, at the pages'
# priority: `feedback import …` then pauses this many seconds for every second a batch took to write
# (2.0: it works for the import at most a third of the time). 0 writes flat out (a maintenance window).
IMPORT_PAUSE = 2.0
# Classification: below this confidence an item goes to triage (category `other` until a person decides).
TRIAGE_CONFIDENCE = 0.5
# The nightly retrain (business time zone), run only when people corrected categories since the last model.
RETRAIN_HOUR = 2
# Forums and review sites polled by `feedback fetch-forum` and the scheduler, e.g.
# [{"name": "community", "kind": "discourse", "url": "https://forum.example.com", "topics": [2108]},
#  {"name": "shop reviews", "kind": "feed", "url": "https://reviews.example.com/feed.rss"}]
FORUMS: list[dict] = []
FORUM_POLL_MINUTES = 15
FORUM_TIMEOUT = 20  # seconds per HTTP request
FORUM_MAX_PAGES = 20  # pages of latest posts read per poll (a first poll reads back this far)
# The public feedback form: submissions per address per hour, shared by every web worker.
PUBLIC_FORM_RATE = 5
# Tickets: working hours count SLA hours; feedback from one customer within the window joins its open ticket.
WORK_START = "09:00"
WORK_END = "18:00"
TICKET_GROUPING_DAYS = 7
# Without an SlaRule, a category's sla_hours is scaled by the ticket's priority.
SLA_PRIORITY_FACTORS = {"urgent": 0.25, "high": 0.5, "normal": 1.0, "low": 2.0}
# Outgoing mail (assignment notices, digests, the bulletin, the weekly review).
SMTP_HOST = "localhost"
SMTP_PORT = 25
SMTP_SECURITY = "plain"  # plain | starttls | ssl
SMTP_USER = ""
SMTP_PASSWORD = ""
SMTP_TIMEOUT = 30
MAIL_FROM = "feedback@localhost"
MAIL_FROM_NAME = "Feedback tracker"
BASE_URL = ""  # e.g. https://feedback.example.com: makes the links in every mail absolute (none when empty)
# Ticket mail (issue 7): the "outbox" job sends pending mail every minute, OUTBOX_BATCH at a time; a failed
# mail waits OUTBOX_BACKOFF_SECONDS × 2^(attempts-1) (at most a day), up to OUTBOX_MAX_ATTEMPTS tries; a
# claim older than OUTBOX_LEASE_SECONDS is taken over.
# The overdue digest goes out at DIGEST_HOUR business time on business days.
OUTBOX_BATCH = 100
OUTBOX_BACKOFF_SECONDS = 60
OUTBOX_MAX_ATTEMPTS = 10
OUTBOX_LEASE_SECONDS = 600
OUTBOX_KEEP_DAYS = 30  # sent (and given-up) mail is deleted this long after, nightly
DIGEST_HOUR = 8
DIGEST_MAX_TICKETS = 20  # tickets listed per section of a digest; the count covers the rest
# The daily bulletin: drafted at BULLETIN_HOUR (business time) for the day before, in BULLETIN_LANGUAGE
# (en | zh); on issue mailed to every department head plus BULLETIN_RECIPIENTS. A scheduler starting
# late drafts the missed days of the last BULLETIN_CATCHUP_DAYS. With BULLETIN_AUTO_ISSUE_HOUR set, a
# draft still unissued at that hour is issued as it is.
BULLETIN_HOUR = 7
BULLETIN_LANGUAGE = "en"
BULLETIN_RECIPIENTS: list[str] = []
BULLETIN_CATCHUP_DAYS = 3
BULLETIN_AUTO_ISSUE_HOUR: int | None = None

# The weekly review (issue 9): built on REVIEW_WEEKDAY (0 = Monday) at REVIEW_HOUR business time for the
# previous ISO week; the vital few are the categories up to PARETO_CUT of the count; a KPI missing its target
# by less than KPI_AT_RISK_MARGIN (relative) is "at risk", by more "breached"; heads are reminded of what is
# not cleared on the last business day of the week at CLEARANCE_REMINDER_HOUR.
REVIEW_HOUR = 8
REVIEW_WEEKDAY = 0
PARETO_CUT = 0.8
KPI_AT_RISK_MARGIN = 0.05
CLEARANCE_REMINDER_HOUR = 15

def defaults() -> dict:
    """The module's upper-case names as a dict."""
    return {k: v for k, v in globals().items() if k.isupper()}


def instance_path() -> Path:
    """The instance folder: FEEDBACK_INSTANCE_PATH, else ./instance."""
    return Path(os.environ.get("FEEDBACK_INSTANCE_PATH") or Path.cwd() / "instance").resolve()


def from_environment(known: dict) -> dict:
    """FEEDBACK_* variables, parsed to the type of the default they override."""
    found = {}
    for name, value in os.environ.items():
        if not name.startswith("FEEDBACK_") or name == "FEEDBACK_INSTANCE_PATH":
            continue
        key = name.removeprefix("FEEDBACK_")
        found[key] = _parse(value, known.get(key))
    return found


def _parse(value: str, default):
    """Environment values are strings; give them the default's type."""
    if isinstance(default, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int) and not isinstance(default, bool):
        return int(value)
    if isinstance(default, float):
        return float(value)
    if isinstance(default, (list, dict)):
        return json.loads(value)
    return value
