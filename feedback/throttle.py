"""Rate limits kept in the database, so every web worker and host counts the same hits."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from feedback.models import Throttle

KEPT = timedelta(days=1)  # windows are at most a day long; older counters are dropped as hits come in


def hit(session: Session, key: str, *, limit: int, window_seconds: int, now: datetime) -> bool:
    """Count one hit for `key` in the current fixed window; False when the limit was already reached.

    An upsert increments the counter atomically: two workers hitting at once both count.
    """
    window = _window_start(now, window_seconds)
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Throttle.__table__)
    statement = insert.values(key=key[:200], window_start=window, hits=1).on_conflict_do_update(
        index_elements=["key", "window_start"], set_={"hits": Throttle.__table__.c.hits + 1},
    ).returning(Throttle.__table__.c.hits)
    hits = session.connection().execute(statement).scalar_one()
    session.execute(sa.delete(Throttle).where(Throttle.window_start < now - KEPT))
    session.commit()
    return hits <= limit


def _window_start(now: datetime, window_seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, now.tzinfo)
