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
SQL_ECHO = False
WTF_CSRF_TIME_LIMIT = None  # a form left open all morning must still submit
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
PERMANENT_SESSION_LIFETIME = 12 * 3600
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
