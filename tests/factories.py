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


def make_feedback(session: Session, *, category: str | None = "logistics.late", channel: str = "email", **overrides):
    """Feedback stored through intake, then classified into `category` by a person (its ticket follows)."""
    import sqlalchemy as sa

    from feedback import intake, tickets
    from feedback.models import Category, Feedback

    item = incoming(channel=channel, **overrides)
    run = intake.import_items(session, [item], channel=channel, source=item.source, now=lambda: NOW)
    feedback = session.execute(sa.select(Feedback).where(Feedback.import_run_id == run.id)).scalar_one()
    category_id = session.execute(sa.select(Category.id).where(Category.key == category)).scalar_one() if category else None
    feedback.category_id, feedback.classified_by = category_id, "person" if category else None
    session.flush()
    tickets.reroute_for_feedback(session, [feedback.id], by=None, now=NOW)
    session.commit()
    session.refresh(feedback)
    return feedback


def make_ticket(session: Session, *, category: str = "logistics.late", **overrides):
    """A ticket opened from one new feedback item of a customer of its own."""
    from feedback.models import Ticket

    n = next(_serial)
    data = {"contact": f"customer{n}@mail.example", "customer": f"Customer {n}"} | overrides
    feedback = make_feedback(session, category=category, **data)
    return session.get(Ticket, feedback.ticket_id)
