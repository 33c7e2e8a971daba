"""A ticket's history: one TicketEvent per change (who, when, field, old → new)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from feedback.models import TicketEvent, User


def event(ticket_id: int, field: str, old: object = "", new: object = "", *, by: User | None, now: datetime, note: str = "") -> dict:
    """A TicketEvent row as a dict, for one bulk insert of many changes."""
    return {
        "ticket_id": ticket_id, "at": now, "by_id": by.id if by else None, "field": field,
        "old": _text(old), "new": _text(new), "note": note,
    }


def record(session: Session, rows: list[dict]) -> None:
    """Write events in one statement."""
    if rows:
        session.execute(sa.insert(TicketEvent), rows)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    return str(value)
