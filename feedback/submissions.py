"""Feedback submitted one item at a time or in small batches: the phone page, the public form, the REST API.

Each item is validated as `FeedbackIn`, turned into an `IncomingFeedback` and stored by the one
store path; the caller gets a result per item: the feedback id (new or already there) or the error.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError, field_validator, model_validator
from sqlmodel import Session, SQLModel, select

from feedback import clock, intake
from feedback.errors import Invalid
from feedback.intake import writes
from feedback.intake.pipeline import problem_with
from feedback.models import Channel, Feedback, ImportRun
from feedback.schemas import _describe

MAX_TEXT = 20_000
MAX_BATCH = 1000


class FeedbackIn(SQLModel):
    """One feedback item as a form or an API client sends it."""

    channel: Channel
    text: str = ""
    subject: str = ""
    customer: str = ""
    contact: str = ""
    order_ref: str = ""
    product_ref: str = ""
    rating: int | None = None
    csat: int | None = None
    nps: int | None = None
    received_at: datetime | None = None  # defaults to now; without a zone it is business time
    external_id: str = ""  # the sender's own id; without one, identical items are stored once
    language: str = ""

    @field_validator("text", "subject", "customer", "contact", "order_ref", "product_ref", "external_id", "language")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @model_validator(mode="after")
    def _limits(self) -> FeedbackIn:
        if len(self.text) > MAX_TEXT:
            raise ValueError(f"text is longer than {MAX_TEXT} characters")
        limits = {"subject": 500, "customer": 200, "contact": 254, "order_ref": 100, "product_ref": 100,
                  "external_id": 200, "language": 8}
        for name, limit in limits.items():
            if len(getattr(self, name)) > limit:
                raise ValueError(f"{name} is longer than {limit} characters")
        return self


@dataclass
class ItemResult:
    """What became of one submitted item."""

    index: int
    feedback_id: int | None = None
    created: bool = False
    error: str = ""

    def as_dict(self) -> dict:
        if self.error:
            return {"index": self.index, "status": "error", "error": self.error}
        return {"index": self.index, "status": "created" if self.created else "duplicate", "id": self.feedback_id}


def parse_item(data, *, defaults: dict | None = None) -> FeedbackIn:
    """Validate one item (a dict from JSON or a form); Invalid says what is wrong."""
    if not isinstance(data, dict):
        raise Invalid("an item must be a JSON object")
    try:
        return FeedbackIn.model_validate((defaults or {}) | data)
    except ValidationError as exc:
        raise Invalid("; ".join(_describe(e) for e in exc.errors())) from None


def to_incoming(item: FeedbackIn, *, source: str, raw: bytes, now: datetime) -> intake.IncomingFeedback:
    """The normalized record the store path takes; the external id defaults to a hash of the content."""
    received = item.received_at or now
    if received.tzinfo is None:
        received = received.replace(tzinfo=clock.business_tz())
    record = intake.IncomingFeedback(
        channel=item.channel.value, source=source, external_id="", received_at=received.astimezone(clock.UTC), raw=raw,
        subject=item.subject, body=item.text, customer=item.customer, contact=item.contact, order_ref=item.order_ref,
        product_ref=item.product_ref, rating=item.rating, csat=item.csat, nps=item.nps, language=item.language,
    )
    record.external_id = item.external_id or "sub:" + hashlib.blake2b(raw, digest_size=16).hexdigest()
    return record


def submit(
    session: Session, entries: list[FeedbackIn | Invalid], *, run_channel: str, source: str, file_name: str, now: datetime,
) -> tuple[ImportRun, list[ItemResult]]:
    """Store valid entries in one import run; return a result per entry, in order."""
    if len(entries) > MAX_BATCH:
        raise Invalid(f"at most {MAX_BATCH} items per request")
    source = writes.clean_text(source)  # a caller's source name: no NUL or lone surrogates in the run or rows
    results, records = [], {}
    for index, entry in enumerate(entries):
        if isinstance(entry, Invalid):
            results.append(ItemResult(index, error=str(entry)))
            continue
        dumped = json.dumps(entry.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False, sort_keys=True)
        raw = dumped.encode(errors="surrogatepass")  # JSON escapes can carry lone surrogates
        record = writes.sanitise(to_incoming(entry, source=source, raw=raw, now=now))
        problem = problem_with(record)
        results.append(ItemResult(index, error=problem))
        if not problem:
            records[index] = record
    run = intake.import_items(session, list(records.values()), channel=run_channel, source=source,
                              file_name=file_name, now=lambda: now)
    ids = _stored_ids(session, source, [r.external_id for r in records.values()])
    for index, record in records.items():
        feedback_id, run_id = ids.get((record.channel, record.external_id), (None, None))
        results[index].feedback_id, results[index].created = feedback_id, run_id == run.id
    return run, results


def _stored_ids(session: Session, source: str, external_ids: list[str]) -> dict[tuple[str, str], tuple[int, int]]:
    if not external_ids:
        return {}
    rows = session.exec(
        select(Feedback.channel, Feedback.external_id, Feedback.id, Feedback.import_run_id)
        .where(Feedback.source == source, Feedback.external_id.in_(external_ids))
    ).all()
    return {(channel, ext): (fid, run_id) for channel, ext, fid, run_id in rows}


def submit_one(session: Session, entry: FeedbackIn, *, source: str, file_name: str, now: datetime) -> ItemResult:
    """Store one item (the phone page, the public form); Invalid if it cannot be stored."""
    _run, (result,) = submit(session, [entry], run_channel=entry.channel.value, source=source, file_name=file_name, now=now)
    if result.error:
        raise Invalid(result.error)
    return result
