"""Engine, sessions and the UTC datetime type shared by every model."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session


class UTCDateTime(sa.types.TypeDecorator):
    """Stores aware datetimes as UTC and always returns them aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use clock.now() or an aware value")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# cached_statements: bulk imports send IN-lists of every length, each new SQL text; sqlite3's default
# cache of 128 prepared statements per connection then holds memory that grows with the import.
SQLITE_CONNECT = {"timeout": 30, "check_same_thread": False, "cached_statements": 16}


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for the URL; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, echo=echo, connect_args=SQLITE_CONNECT)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers run beside the writer; foreign keys are off in SQLite unless asked for."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app) -> None:
    """Create the app's engine and close the request session at teardown."""
    app.extensions["feedback.engine"] = make_engine(app.config["DATABASE_URL"], echo=app.config["SQL_ECHO"])
    app.teardown_appcontext(_close_request_session)


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["feedback.engine"]


def new_session(bind: Engine | None = None) -> Session:
    """A session that keeps objects usable after commit (views render what they just saved)."""
    return Session(bind or engine(), expire_on_commit=False)


def session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = new_session()
    return g.db_session


def _close_request_session(_exc) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()


@contextmanager
def session_scope(bind: Engine | None = None) -> Iterator[Session]:
    """A session for a CLI command or a job: rolled back on error, always closed."""
    s = new_session(bind)
    try:
        yield s
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()
