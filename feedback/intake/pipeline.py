"""`store()`: the only code that writes Feedback rows, for every channel.

Items stream through in batches, one transaction each (a bulk file import groups several): a crash
loses at most the transaction in flight, and running the same input again stores nothing twice (the
unique origin key decides).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import islice

import sqlalchemy as sa
from sqlmodel import Session

from feedback import classify, clock, grouping, products, tickets
from feedback.intake import parallel, writes
from feedback.intake.bulk import BulkImport
from feedback.intake.incoming import IncomingFeedback, Rejected
from feedback.models import Attachment, Channel, Feedback, ImportRun, Quarantine, Ticket

BATCH_SIZE = 500
CHANNELS = {c.value for c in Channel}
TICKET_NUMBER = re.compile(r"FB-(\d{6,})", re.IGNORECASE)
FOLLOW_UP = "follow-up"


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
    commit_rows: int = 0,
    progress: Callable[[int], None] | None = None,
    background: bool | None = False,
    pause: float = 0.0,
) -> ImportRun:
    """Store every item once: new ones as Feedback, bad ones in Quarantine; counts go on `run`.

    `background` other than False says `items` is plain reading (no database, no connection shared
    with this process): from the second batch on, a forked worker then reads, makes rows and
    classifies while this process writes (None: where that pays, see parallel.prepare_all). Each
    batch is committed, except in a bulk import given `commit_rows`: its batches then commit
    together once that many rows are written. `pause` paces a bulk import on a server database (see BulkImport).
    """
    labeller = classify.RowLabeller.of(session, **classify.app_settings())
    prepare = partial(_prepare, run=_RunRef(run.id, run.started_at), now=now, labeller=labeller,
                      sqlite=session.get_bind().dialect.name == "sqlite")
    prepared_batches = parallel.prepare_all(_batches(items, batch_size), prepare, background=background)
    try:
        with BulkImport(session, commit_rows, pause) as bulk:
            for prepared in bulk.batches(prepared_batches):
                _write(session, prepared, run, now, progress)
                bulk.written(prepared.size)
            bulk.commit()
    finally:
        prepared_batches.close()  # a write that failed stops the worker too
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
    commit_rows: int = 0,
    background: bool | None = False,
    pause: float = 0.0,
) -> ImportRun:
    """start_run → store → finish_run: what every importer, poller and page calls."""
    run = start_run(session, channel=channel, source=source, file_name=file_name, now=now())
    try:
        store(session, items, run=run, now=now(), progress=progress, batch_size=batch_size, commit_rows=commit_rows,
              background=background, pause=pause)
    except BaseException as exc:
        session.rollback()
        finish_run(session, run, now=now(), error=f"stopped: {type(exc).__name__}: {exc}")
        raise
    return finish_run(session, run, now=now())


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass(frozen=True)
class _RunRef:
    """What making rows needs of the ImportRun: plain values a worker process can hold (never the session's object)."""

    id: int
    started_at: datetime


@dataclass
class Prepared:
    """One batch made ready without the database: its rows, classified, what goes to quarantine, and the
    items with more than a row holds (attachments, replies), by key."""

    size: int
    rows: list[dict] = field(default_factory=list)
    extras: dict[tuple, IncomingFeedback] = field(default_factory=dict)
    quarantined: list[dict] = field(default_factory=list)
    duplicates: int = 0
    sqlite: writes.SqliteRows | None = None  # the rows' values as SQLite binds them, made beside the rows


def _prepare(batch: list, *, run: _RunRef, now: datetime, labeller: classify.RowLabeller, sqlite: bool = False) -> Prepared:
    prepared, seen = Prepared(len(batch)), set()
    for item in map(writes.sanitise, batch):
        problem = item.reason if isinstance(item, Rejected) else problem_with(item)
        if problem:
            prepared.quarantined.append(writes.quarantine_row(item, problem, run))
            continue
        key = (item.channel, item.source, _external_id(item))
        if key in seen:  # the same item twice in one batch
            prepared.duplicates += 1
            continue
        seen.add(key)
        if item.attachments or item.replies_to:
            prepared.extras[key] = item
        prepared.rows.append(writes.feedback_row(item, key[2], run, now))
    classify.RowLabeller.apply(prepared.rows, _labels(labeller, prepared.rows))
    prepared.rows = writes.sort_rows(prepared.rows)
    if sqlite and prepared.rows:  # the writing side then only executes them
        prepared.sqlite = writes.sqlite_rows(prepared.rows)
        prepared.rows = writes.writer_rows(prepared.rows)
    return prepared


def _labels(labeller: classify.RowLabeller, rows: list[dict]) -> list[tuple]:
    """The classification of each row, each distinct text classified once: a batch repeats many
    (a third of shop reviews are a rating alone, and short texts like "好评" recur)."""
    inputs = list(zip(*labeller.inputs(rows)))  # (text, is a problem) per row
    distinct = list(dict.fromkeys(inputs))
    found = dict(zip(distinct, labeller.labels([text for text, _ in distinct], [problem for _, problem in distinct])))
    return [found[pair] for pair in inputs]


def _write(session: Session, prepared: Prepared, run: ImportRun, now: datetime, progress: Callable[[int], None] | None) -> None:
    """Quarantine, feedback rows with their category, attachments, threads, tickets; the caller commits."""
    rows, extras = prepared.rows, prepared.extras
    held = writes.insert_ignoring_duplicates(session, Quarantine, prepared.quarantined, ["channel", "source", "raw_hash"], Quarantine.id)
    run.quarantined_count += len(held)
    run.duplicate_count += prepared.duplicates + len(prepared.quarantined) - len(held)
    products.flag_reviews(session, rows)  # after classification: a problem category makes a review bad
    inserted = writes.insert_new(session, rows, prepared.sqlite)
    run.new_count += len(inserted)
    run.duplicate_count += len(rows) - len(inserted)
    _insert_attachments(session, inserted, extras)
    linked = _link_follow_ups(session, inserted, extras)
    tickets.open_for_feedback(session, _may_need_ticket(session, inserted, rows, linked), now=now)
    if progress:
        progress(prepared.size)


def _may_need_ticket(session: Session, inserted: dict[tuple, int], rows: list[dict], linked: set[tuple]) -> list[int]:
    """The new items ticket opening has to look at: problems by category, and replies already joined to a ticket.

    It would pass over the rest itself, but only after reading every row of the batch back.
    """
    problems, found = grouping.problem_category_ids(session), []
    for row in rows:  # most rows are no problem: their key is never made
        problem = row.get("category_id") in problems and not row["not_a_problem"]
        if problem or linked:
            key = (row["channel"], row["source"], row["external_id"])
            if key in inserted and (problem or key in linked):
                found.append(inserted[key])
    return found


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
    external = item.external_id.strip()  # sanitised already
    if not external or len(external) > 255:
        return "sha256:" + hashlib.sha256(item.raw).hexdigest()
    return external


def _insert_attachments(session: Session, inserted: dict[tuple, int], extras: dict) -> None:
    rows = [
        {"feedback_id": inserted[key], "filename": writes.clean(a.filename, 255), "content_type": writes.clean(a.content_type, 255),
         "size": len(a.data), "data": a.data}
        for key, item in extras.items() if key in inserted
        for a in item.attachments
    ]
    if rows:
        session.execute(sa.insert(Attachment), rows)


def _link_follow_ups(session: Session, inserted: dict[tuple, int], extras: dict) -> set[tuple]:
    """A reply to earlier feedback or to one of our mails joins that thread instead of opening a problem; returns their keys."""
    replies = {key: item.replies_to for key, item in extras.items() if key in inserted and item.replies_to}
    linked: set[tuple] = set()
    if not replies:
        return linked
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
            .values(follows_id=follows, ticket_id=ticket, not_a_problem=extras[key].not_a_problem or FOLLOW_UP)
        )
        linked.add(key)
    return linked
