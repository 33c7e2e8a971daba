"""How `store()` transacts a bulk import: when it commits, and how SQLite is tuned meanwhile.

An import counts as bulk from its third batch on. Until then every batch is its own transaction;
after that, batches may commit together (`commit_rows`) and SQLite gets a bigger page cache and
fewer WAL checkpoints. Both are undone when the import ends. A big import on SQLite also drops
feedback's random-keyed indexes once it has written DEFER_FROM_ROWS rows and builds them again at
its end (DEFERRED_INDEXES). On a server database a bulk import may pause between batches (`pause`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TypeVar

from sqlmodel import Session

from feedback.models import Feedback

SQLITE_CACHE_KB = 64 * 1024  # filled by 100k rows (peak RSS ~195 MB then and at 1M); 128 MB would not be
SQLITE_CHECKPOINT_PAGES = 20_000  # 80 MB of WAL between checkpoints instead of 4 MB
FROM_BATCH = 2  # imports of three batches or more count as bulk
# Keys in random order (when a review was written, who wrote it): past a few hundred thousand rows these
# outgrow the page cache, and each batch then rewrites pages all over them. Until DEFER_FROM_ROWS rows
# they are small and kept up as usual; a build from sorted keys at the end costs far less than the rest.
DEFERRED_INDEXES = ("ix_feedback_received_at", "ix_feedback_channel_received", "ix_feedback_customer_id")
DEFER_FROM_ROWS = 200_000
T = TypeVar("T")


class BulkImport:
    """Commits after every batch, or in a bulk import every `commit_rows` rows; SQLite tuned while bulk.

    Each commit of a bulk import writes every index page its rows touched, and at a million rows the
    random-keyed indexes (customer, time received) are touched almost everywhere by every batch:
    fewer, bigger transactions write those pages a few times instead of a few hundred. A crash then
    loses at most `commit_rows` rows, which the re-run stores (dedupe keeps the rest single).

    The page cache holds the hot pages of feedback's indexes (and the search index), and fewer, bigger
    WAL checkpoints copy index pages written by several batches back once: each cuts a bulk import's
    time by about a tenth. The cache is a cap, reached within the first hundred thousand rows, so
    memory stays flat after that.
    """

    PRAGMAS = {"cache_size": -SQLITE_CACHE_KB, "wal_autocheckpoint": SQLITE_CHECKPOINT_PAGES}

    def __init__(self, session: Session, commit_rows: int = 0, pause: float = 0.0):
        """pause: on a server database (not SQLite), seconds to wait after each batch per second it took to write.

        The server process writing for the import runs at the pages' priority, where the import's nice does not
        reach: the pause leaves it free for their queries part of the time. SQLite writes inside this process.
        """
        self.session, self.commit_rows = session, commit_rows
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.pause = 0.0 if self.sqlite else pause
        self.pending, self.total, self.bulk, self.saved, self.deferred = 0, 0, False, {}, False

    def batches(self, prepared: Iterator[T]) -> Iterator[T]:
        """The batches; bulk from batch FROM_BATCH on. When the input fails mid-way, what was
        written before is committed first (it loses only what it had not yet given), then the error raised."""
        try:
            for number, batch in enumerate(prepared):
                if number == FROM_BATCH:
                    self._on()
                started = time.perf_counter()
                yield batch  # the caller writes it meanwhile
                if self.pause:
                    time.sleep((time.perf_counter() - started) * self.pause)
        except GeneratorExit:  # closed by store(), whose write failed: nothing to commit
            raise
        except BaseException:
            self.commit()
            raise

    def written(self, size: int) -> None:
        """A batch of `size` items is written: commit now unless it joins a bigger bulk transaction."""
        self.pending += size
        self.total += size
        if self.bulk and self.sqlite and self.total >= DEFER_FROM_ROWS and not self.deferred:
            drop_indexes(self.session)
            self.deferred = True
        if not (self.bulk and self.commit_rows) or self.pending >= self.commit_rows:
            self.commit()

    def commit(self) -> None:
        self.session.commit()
        self.pending = 0

    def _on(self) -> None:
        self.bulk = True
        if not self.sqlite:
            return
        restore_indexes(self.session)  # left dropped by an import that was killed
        connection = self.session.connection()
        for name, value in self.PRAGMAS.items():
            self.saved[name] = connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            connection.exec_driver_sql(f"PRAGMA {name}={int(value)}")

    def __enter__(self) -> BulkImport:
        return self

    def __exit__(self, failed, *_exc) -> None:
        if failed and self.deferred:  # the rows committed so far need their indexes: start clean to build them
            self.session.rollback()
        if self.saved and (self.deferred or not failed):  # else the session needs a rollback first; the CLI ends anyway
            connection = self.session.connection()
            for name, value in self.saved.items():
                connection.exec_driver_sql(f"PRAGMA {name}={int(value)}")
        if self.deferred:  # with the usual page cache again: SQLite's sorter then spills to disk, memory stays flat
            restore_indexes(self.session)
            self.session.commit()


def drop_indexes(session: Session) -> None:
    """Drop the DEFERRED_INDEXES in the transaction under way: they go with its commit."""
    connection = session.connection()
    for name in DEFERRED_INDEXES:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def restore_indexes(session: Session) -> None:
    """Build whichever DEFERRED_INDEXES are missing, as the model defines them; the caller commits.

    Idempotent: every bulk import starts with it, so a kill mid-import leaves them missing at most
    until the next bulk import."""
    connection = session.connection()
    for index in Feedback.__table__.indexes:
        if index.name in DEFERRED_INDEXES:
            index.create(connection, checkfirst=True)
