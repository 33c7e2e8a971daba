"""`store()`: the only code that writes Feedback rows, for every channel.

Items stream through in batches, one transaction each: a crash loses at most the batch in flight,
and running the same input again stores nothing twice (the unique origin key decides).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from feedback import classify, clock, products
from feedback import tickets
from feedback.intake.incoming import IncomingFeedback, Rejected
from feedback.models import Attachment, Channel, Feedback, ImportRun, Quarantine, Ticket

BATCH_SIZE = 500
CHANNELS = {c.value for c in Channel}
TICKET_NUMBER = re.compile(r"FB-(\d{6,})", re.IGNORECASE)
FOLLOW_UP = "follow-up"
LIMITS = {"subject": 500, "customer": 200, "contact": 254, "order_ref": 100, "product_ref": 100, "source": 200}


def start_run(session: Session, *, channel: str, source: str, file_name: str = "", now: datetime) -> ImportRun:
    """Open the ImportRun that counts what one import or poll found."""
    run = ImportRun(channel=channel, source=source[:200], file_name=file_name[:500], started_at=now)
    session.add(run)
    session.commit()
    return run


def finish_run(session: Session, run: ImportRun, *, now: datetime, error: str = "") -> ImportRun:
    run.finished_at = now
    if error:
        run.errors = (run.errors + "\n" + error).strip()
    session.commit()
    return run


def store(
    session: Session,
    items: Iterable[IncomingFeedback | Rejected],
    *,
    run: ImportRun,
    now: datetime,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ImportRun:
    """Store every item once: new ones as Feedback, bad ones in Quarantine; counts go on `run`."""
    for batch in _batches(items, batch_size):
        _store_batch(session, batch, run, now)
        session.commit()
        if progress:
            progress(len(batch))
    return run


def import_items(
    session: Session,
    items: Iterable[IncomingFeedback | Rejected],
    *,
    channel: str,
    source: str,
    file_name: str = "",
    now: Callable[[], datetime] = clock.now,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportRun:
    """start_run → store → finish_run: what every importer, poller and page calls."""
    run = start_run(session, channel=channel, source=source, file_name=file_name, now=now())
    try:
        store(session, items, run=run, now=now(), progress=progress, batch_size=batch_size)
    except BaseException as exc:
        session.rollback()
        finish_run(session, run, now=now(), error=f"stopped: {type(exc).__name__}: {exc}")
        raise
    return finish_run(session, run, now=now())


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _store_batch(session: Session, batch: list, run: ImportRun, now: datetime) -> None:
    rows, pending, quarantined = [], {}, []
    for item in batch:
        problem = item.reason if isinstance(item, Rejected) else problem_with(item)
        if problem:
            quarantined.append(_quarantine_row(item, problem, run))
            continue
        key = (item.channel, item.source, _external_id(item))
        if key in pending:  # the same item twice in one batch
            run.duplicate_count += 1
            continue
        pending[key] = item
        rows.append(_feedback_row(item, key[2], run, now))
    held = _insert_ignoring_duplicates(session, Quarantine, quarantined, ["channel", "source", "raw_hash"], Quarantine.id)
    run.quarantined_count += len(held)
    run.duplicate_count += len(quarantined) - len(held)
    classify.classify_rows(session, rows, **classify.app_settings())
    products.flag_reviews(session, rows)  # after classification: a problem category makes a review bad
    inserted = _insert_new(session, rows)
    run.new_count += len(inserted)
    run.duplicate_count += len(rows) - len(inserted)
    _insert_attachments(session, inserted, pending)
    _link_follow_ups(session, inserted, pending)
    tickets.open_for_feedback(session, list(inserted.values()), now=now)


def problem_with(item: IncomingFeedback) -> str:
    """Why an adapter's record cannot be stored, or ''."""
    if item.channel not in CHANNELS:
        return f"unknown channel {item.channel!r}"
    if not item.source:
        return "no source"
    if item.received_at is None or item.received_at.tzinfo is None:
        return "received_at has no time zone"
    if item.rating is not None and not 0 <= item.rating <= 5:
        return f"rating {item.rating} is outside 1–5"
    if item.csat is not None and not 1 <= item.csat <= 5:
        return f"satisfaction {item.csat} is outside 1–5"
    if item.nps is not None and not 0 <= item.nps <= 10:
        return f"NPS {item.nps} is outside 0–10"
    scored = item.rating is not None or item.csat is not None or item.nps is not None
    if not (item.subject.strip() or item.body.strip() or scored or item.attachments):
        return "no text and no rating"
    return ""


def _external_id(item: IncomingFeedback) -> str:
    """The adapter's id, or a hash of the raw input when it has none (or one too long to index)."""
    external = item.external_id.strip()
    if not external or len(external) > 255:
        return "sha256:" + hashlib.sha256(item.raw).hexdigest()
    return external


def _clean(text: str, limit: int | None = None) -> str:
    """PostgreSQL text cannot hold NUL; the raw bytes keep what was really sent."""
    text = (text or "").replace("\x00", "")
    return text[:limit] if limit else text


def _feedback_row(item: IncomingFeedback, external_id: str, run: ImportRun, now: datetime) -> dict:
    received = item.received_at.astimezone(clock.UTC)
    return {
        "channel": item.channel,
        "source": _clean(item.source, LIMITS["source"]),
        "external_id": external_id,
        "received_at": received,
        "business_date": clock.business_date(received),
        "customer": _clean(item.customer, LIMITS["customer"]),
        "contact": _clean(item.contact, LIMITS["contact"]),
        "order_ref": _clean(item.order_ref, LIMITS["order_ref"]),
        "product_ref": _clean(item.product_ref, LIMITS["product_ref"]),
        "rating": item.rating,
        "csat": item.csat,
        "nps": item.nps,
        "key_product_alert": False,  # set per batch by products.flag_reviews
        "subject": _clean(item.subject, LIMITS["subject"]),
        "body": _clean(item.body),
        "text": _clean(item.text or item.body),
        "language": item.language[:8],
        "raw": item.raw,
        "not_a_problem": item.not_a_problem[:100],
        "import_run_id": run.id,
        "created_at": now,
    }


def _quarantine_row(item: IncomingFeedback | Rejected, reason: str, run: ImportRun) -> dict:
    raw = item.raw if isinstance(item.raw, bytes) else str(item.raw).encode()
    return {
        "import_run_id": run.id,
        "channel": item.channel[:10],
        "source": item.source[:200],
        "locator": getattr(item, "locator", "")[:500],
        "reason": _clean(reason),
        "raw": raw,
        "raw_hash": hashlib.sha256(raw).hexdigest(),
        "created_at": run.started_at,
        "status": "held",
    }


def _insert_new(session: Session, rows: list[dict]) -> dict[tuple, int]:
    """Insert rows whose origin is new; returns {(channel, source, external_id): id} of those."""
    returned = _insert_ignoring_duplicates(
        session, Feedback, rows, ["channel", "source", "external_id"],
        Feedback.id, Feedback.channel, Feedback.source, Feedback.external_id,
    )
    return {(r.channel, r.source, r.external_id): r.id for r in returned}


def _insert_ignoring_duplicates(session: Session, model, rows: list[dict], key: list[str], *returning) -> list:
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


def _insert_attachments(session: Session, inserted: dict[tuple, int], pending: dict) -> None:
    rows = [
        {"feedback_id": feedback_id, "filename": a.filename[:255], "content_type": a.content_type[:255],
         "size": len(a.data), "data": a.data}
        for key, feedback_id in inserted.items()
        for a in pending[key].attachments
    ]
    if rows:
        session.execute(sa.insert(Attachment), rows)


def _link_follow_ups(session: Session, inserted: dict[tuple, int], pending: dict) -> None:
    """A reply to earlier feedback or to one of our mails joins that thread instead of opening a problem."""
    replies = {key: pending[key].replies_to for key in inserted if pending[key].replies_to}
    if not replies:
        return
    wanted = {ref for refs in replies.values() for ref in refs}
    earlier = dict(session.execute(
        sa.select(Feedback.external_id, Feedback.id).where(Feedback.external_id.in_(wanted)).order_by(Feedback.id.desc())
    ).all())
    numbers = {int(m.group(1)) for ref in wanted if (m := TICKET_NUMBER.search(ref))}
    tickets = set(session.execute(sa.select(Ticket.id).where(Ticket.id.in_(numbers))).scalars()) if numbers else set()
    for key, refs in replies.items():
        follows = next((earlier[r] for r in refs if r in earlier and earlier[r] != inserted[key]), None)
        ticket = next((int(m.group(1)) for r in refs if (m := TICKET_NUMBER.search(r)) and int(m.group(1)) in tickets), None)
        if follows is None and ticket is None:
            continue
        if ticket is None:
            ticket = session.execute(sa.select(Feedback.ticket_id).where(Feedback.id == follows)).scalar_one()
        session.execute(
            sa.update(Feedback).where(Feedback.id == inserted[key])
            .values(follows_id=follows, ticket_id=ticket, not_a_problem=pending[key].not_a_problem or FOLLOW_UP)
        )
