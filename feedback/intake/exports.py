"""File exports of the tabular channels (reviews, survey, phone): their readers and saved column mappings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from feedback.intake import phone, reviews, survey
from feedback.intake.incoming import IncomingFeedback, Rejected
from feedback.intake.tabular import Mapping
from feedback.models import ColumnMapping

BATCH_SIZE = 5000  # rows are small: bigger batches than mail's
COMMIT_ROWS = 50_000  # a bulk import's rows per transaction (see intake.bulk.BulkImport); a kill loses at most these
# How import_items stores an export: reading a file touches no database, so a worker process may read
# and classify ahead while this one writes (see parallel.prepare_all).
STORE_OPTIONS = {"batch_size": BATCH_SIZE, "commit_rows": COMMIT_ROWS, "background": None}
# CLI word → (channel, reader, usual column names)
KINDS = {
    "reviews": (reviews.CHANNEL, reviews.read_reviews, reviews.COLUMNS),
    "survey": (survey.CHANNEL, survey.read_survey, survey.COLUMNS),
    "phone": (phone.CHANNEL, phone.read_calls, phone.COLUMNS),
}


def read_export(kind: str, path: str | Path, *, source: str, mapping: Mapping, now: datetime) -> Iterator[IncomingFeedback | Rejected]:
    """Every row of an export of this kind as an item for the store path."""
    _channel, reader, _columns = KINDS[kind]
    return reader(path, source=source, mapping=mapping, now=now)


def saved_mapping(session: Session, channel: str, source: str) -> Mapping:
    """The mapping saved for a source, or the empty mapping (the channel's usual column names)."""
    found = session.exec(select(ColumnMapping).where(ColumnMapping.channel == channel, ColumnMapping.source == source)).first()
    return Mapping.from_dict(found.mapping or {}) if found else Mapping()


def save_mapping(session: Session, channel: str, source: str, mapping: Mapping, *, now: datetime) -> ColumnMapping:
    """Keep a source's mapping so the next import of its exports needs none."""
    found = session.exec(select(ColumnMapping).where(ColumnMapping.channel == channel, ColumnMapping.source == source)).first()
    if found is None:
        found = ColumnMapping(channel=channel, source=source[:200])
        session.add(found)
    found.mapping = mapping.to_dict()
    found.updated_at = now
    session.commit()
    return found


def mapping_for(session: Session, kind: str, source: str, *, mapping_file: str | None, now: datetime) -> Mapping:
    """A mapping file's mapping (then saved for the source), else the source's saved one."""
    channel = KINDS[kind][0]
    if mapping_file:
        mapping = Mapping.from_file(mapping_file)
        save_mapping(session, channel, source, mapping, now=now)
        return mapping
    return saved_mapping(session, channel, source)


def count_rows(path: str | Path) -> int | None:
    """About how many rows a CSV file holds (its lines less the header), cheaply, for a progress bar."""
    if Path(path).suffix.lower() == ".json":
        return None
    lines = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)
