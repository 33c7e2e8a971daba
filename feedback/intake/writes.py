"""How store() writes a batch: records made into clean rows, then INSERT … ON CONFLICT DO NOTHING (race-safe
against a second importer), with a fast path for SQLite bulk imports."""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from feedback import clock
from feedback.db import UTCDateTime
from feedback.intake.incoming import IncomingFeedback, Rejected
from feedback.models import Feedback, ImportRun

LIMITS = {"subject": 500, "customer": 200, "contact": 254, "order_ref": 100, "product_ref": 100, "source": 200}


def insert_new(session: Session, rows: list[dict], params: SqliteRows | None = None) -> dict[tuple, int]:
    """Insert rows whose origin is new; returns {(channel, source, external_id): id} of those.

    On SQLite `params` holds the rows' values made by `sqlite_rows` (in a worker), in the same order, and the
    rows are then only what the writing side reads (`writer_rows`); without it the rows are whole."""
    if params is not None:
        return _insert_new_sqlite(session, rows, params)
    returned = insert_ignoring_duplicates(
        session, Feedback, rows, ["channel", "source", "external_id"],
        Feedback.id, Feedback.channel, Feedback.source, Feedback.external_id,
    )
    return {(r.channel, r.source, r.external_id): r.id for r in returned}


@dataclass
class SqliteRows:
    """A batch's rows as SQLite binds them: the INSERT, and one tuple of converted values per row."""

    sql: str
    names: tuple[str, ...]
    values: list[tuple]


def sort_rows(rows: list[dict]) -> list[dict]:
    """In time order: the two indexes on the time received then take a batch's rows page by page."""
    return sorted(rows, key=operator.itemgetter("received_at"))


def sqlite_rows(rows: list[dict]) -> SqliteRows:
    """The rows' values as SQLite binds them, in row order: plain computation, so a worker can do it.

    key_product_alert is set later, by the writing side (`_insert_new_sqlite`)."""
    sql, names, defaults, processors = _sqlite_insert(frozenset().union(*rows))
    get = operator.itemgetter(*names)
    columns = list(zip(*(get(row) if len(row) == len(names) else get(defaults | row) for row in rows)))
    for i, process in processors:
        if names[i] == "received_at":  # every row has its own time: nothing to remember
            columns[i] = list(map(process, columns[i]))
            continue
        memo: dict = {}  # a batch repeats most values (dates, flags, its run and time)
        columns[i] = [memo[v] if v in memo else memo.setdefault(v, process(v)) for v in columns[i]]
    return SqliteRows(sql, names, list(zip(*columns)))


# What the writing side still reads of a row once its SQLite values are made: its key, what flags a
# key product's bad review, and whether it may need a ticket.
WRITER_KEYS = ("channel", "source", "external_id", "product_ref", "rating", "category_id", "not_a_problem",
               "key_product_alert", "import_run_id", "created_at")


def writer_rows(rows: list[dict]) -> list[dict]:
    """The rows cut to WRITER_KEYS: a worker sends a third of the bytes and objects across."""
    return [{key: row[key] for key in WRITER_KEYS} for row in rows]


def _insert_new_sqlite(session: Session, rows: list[dict], ready: SqliteRows) -> dict[tuple, int]:
    """SQLite: one executemany in C, then the ids of the rows it inserted.

    RETURNING would make SQLAlchemy render and bind the batch row by row in Python, half the cost
    of a bulk import. When every row was new, one executemany holding the write lock gave them
    consecutive ids ending at last_insert_rowid(), in row order. Otherwise (a re-import) the ids of
    this run's rows above the highest id before it are read back: only this run writes rows with its
    import_run_id, so that is exact even when another importer writes beside it.
    """
    connection = session.connection()
    before = connection.execute(sa.select(sa.func.max(Feedback.__table__.c.id))).scalar() or 0
    values, alert = ready.values, ready.names.index("key_product_alert")
    for i, row in enumerate(rows):  # flagged after the values were made (products.flag_reviews)
        if row["key_product_alert"]:
            values[i] = values[i][:alert] + (1,) + values[i][alert + 1:]
    if connection.exec_driver_sql(ready.sql, values).rowcount == len(rows):
        last = connection.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
        return {(row["channel"], row["source"], row["external_id"]): id_ for id_, row in zip(range(last - len(rows) + 1, last + 1), rows)}
    return {(channel, source, external): id_ for id_, channel, source, external in connection.exec_driver_sql(
        f"SELECT id, channel, source, external_id FROM {Feedback.__table__.name} WHERE import_run_id = ? AND id > ?",
        (rows[0]["import_run_id"], before),
    )}


@lru_cache(maxsize=8)
def _sqlite_insert(keys: frozenset[str]) -> tuple[str, tuple[str, ...], dict, list[tuple[int, Callable]]]:
    """INSERT … ON CONFLICT DO NOTHING for these columns: SQL, column order, defaults of a row's missing keys, bind processors."""
    dialect = sqlite.dialect()
    quote = dialect.identifier_preparer.quote
    scalar_default = lambda c: c.default is not None and c.default.is_scalar  # noqa: E731
    columns = [c for c in Feedback.__table__.columns if c.key in keys or scalar_default(c)]  # as SQLAlchemy would
    names = tuple(c.key for c in columns)
    sql = (f"INSERT INTO {quote(Feedback.__table__.name)} ({', '.join(quote(n) for n in names)}) "
           f"VALUES ({', '.join('?' * len(names))}) ON CONFLICT (channel, source, external_id) DO NOTHING")
    defaults = {c.key: c.default.arg if scalar_default(c) else None for c in columns}
    processors = [(i, _utc_text if isinstance(c.type, UTCDateTime) else c.type.dialect_impl(dialect).bind_processor(dialect))
                  for i, c in enumerate(columns)]
    return sql, names, defaults, [(i, process) for i, process in processors if process is not None]


def _utc_text(value: datetime | None) -> str | None:
    """What UTCDateTime and SQLite's DATETIME make of a moment (naive UTC text), in one step: every row has its own time."""
    if value is None:
        return None
    if value.tzinfo is clock.UTC:  # intake's own rows: already UTC, only the zone to leave out
        return value.isoformat(" ", "microseconds")[:-6]
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; use clock.now() or an aware value")
    return value.astimezone(clock.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def insert_ignoring_duplicates(session: Session, model, rows: list[dict], key: list[str], *returning) -> list:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING …: race-safe against a second importer."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    # Core on the table, not the ORM bulk path: a third of the cost per row at bulk-import volumes.
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)
    statement = insert.on_conflict_do_nothing(index_elements=key).returning(*(model.__table__.c[c.key] for c in returning))
    shapes: dict[tuple, list[dict]] = {}  # Core needs the same keys in every row of one statement
    for row in rows:
        shapes.setdefault(tuple(row), []).append(row)
    return [found for same in shapes.values() for found in session.connection().execute(statement, same).all()]


def clean_text(text: str) -> str:
    """Text without NUL (PostgreSQL refuses it) or lone surrogates (undecodable bytes; neither database takes them)."""
    if not text:
        return ""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii():
        return text
    try:
        text.encode("utf-8")  # only lone surrogates fail; most text is kept as it is, not copied
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def sanitise(item: IncomingFeedback | Rejected) -> IncomingFeedback | Rejected:
    """A record with clean text fields, so its key matches the row it becomes; `raw` keeps what was really sent."""
    fields = _TEXT_FIELDS[type(item)]
    try:  # the usual record, every field already clean text: one check of them all at once
        joined = "".join(fields(item))
        if "\x00" not in joined and (joined.isascii() or joined.encode("utf-8")):
            return item
    except (TypeError, UnicodeEncodeError):  # a None or another type; lone surrogates
        pass
    for name in _TEXT_NAMES[type(item)]:
        value = getattr(item, name)
        if value is None:  # an adapter's "nothing" is the empty text the row stores
            setattr(item, name, "")
        elif value and isinstance(value, str) and ("\x00" in value or not value.isascii()):
            setattr(item, name, clean_text(value))
    return item


_TEXT_NAMES = {
    IncomingFeedback: ("channel", "source", "external_id", "subject", "body", "text", "customer", "contact", "order_ref",
                       "product_ref", "language", "not_a_problem"),
    Rejected: ("channel", "source", "reason", "locator"),
}
_TEXT_FIELDS = {kind: operator.attrgetter(*names) for kind, names in _TEXT_NAMES.items()}


def clean(text: str, limit: int | None = None) -> str:
    text = clean_text(text)
    return text[:limit] if limit else text


def feedback_row(item: IncomingFeedback, external_id: str, run: ImportRun, now: datetime) -> dict:
    """The Feedback row of a sanitised item (see `sanitise`): its text fields are clean already, only cut to size."""
    received = item.received_at if item.received_at.tzinfo is clock.UTC else item.received_at.astimezone(clock.UTC)
    return {
        "channel": item.channel,
        "source": item.source[:LIMITS["source"]],
        "external_id": external_id,
        "received_at": received,
        "business_date": clock.business_date(received),
        "customer": item.customer[:LIMITS["customer"]],
        "contact": item.contact[:LIMITS["contact"]],
        "order_ref": item.order_ref[:LIMITS["order_ref"]],
        "product_ref": item.product_ref[:LIMITS["product_ref"]],
        "rating": item.rating,
        "csat": item.csat,
        "nps": item.nps,
        "key_product_alert": False,  # set per batch by products.flag_reviews
        "subject": item.subject[:LIMITS["subject"]],
        "body": item.body,
        "text": item.text or item.body,
        "language": item.language[:8],
        "raw": item.raw,
        "not_a_problem": item.not_a_problem[:100],
        # set by classification; present in every row so a batch's rows all have the same columns
        "category_id": None,
        "confidence": None,
        "classified_by": None,
        "import_run_id": run.id,
        "created_at": now,
    }


def quarantine_row(item: IncomingFeedback | Rejected, reason: str, run: ImportRun) -> dict:
    raw = item.raw if isinstance(item.raw, bytes) else str(item.raw).encode()
    return {
        "import_run_id": run.id,
        "channel": item.channel[:10],
        "source": item.source[:200],
        "locator": getattr(item, "locator", "")[:500],
        "reason": clean(reason),
        "raw": raw,
        "raw_hash": hashlib.sha256(raw).hexdigest(),
        "created_at": run.started_at,
        "status": "held",
    }
