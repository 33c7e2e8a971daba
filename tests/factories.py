"""Plain functions that make rows with sane defaults: make_user(session, role="head", …)."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

from sqlmodel import Session

from feedback import users
from feedback.schemas import UserIn

PASSWORD = "correct-horse-9"
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai, a Tuesday
_serial = itertools.count(1)


def make_user(session: Session, *, role: str = "agent", department: str | None = None, **overrides):
    n = next(_serial)
    data = {
        "email": f"{role}{n}@example.com",
        "name": f"{role.title()} {n}",
        "role": role,
        "password": PASSWORD,
        "department": department,
    } | overrides
    return users.create_user(session, UserIn(**data), now=NOW)


def incoming(**overrides):
    """An IncomingFeedback with sane defaults (an email from a customer)."""
    from feedback.intake import IncomingFeedback

    n = next(_serial)
    data = {
        "channel": "email",
        "source": "support@shop.example",
        "external_id": f"<msg{n}@customer.example>",
        "received_at": NOW,
        "raw": f"Subject: parcel {n}\n\nMy parcel {n} is late.".encode(),
        "subject": f"parcel {n}",
        "body": f"My parcel {n} is late.",
        "customer": "Mei Lin",
        "contact": "mei@customer.example",
    } | overrides
    return IncomingFeedback(**data)
