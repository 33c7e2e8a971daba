"""From a tabular record to an `IncomingFeedback`: the part every tabular channel shares.

Each channel (reviews, survey, phone) adds its own scores and rules on top of `base_item`.
Values are read leniently (scores like "4/5" or "★★★★", dates in the usual shop formats) and
anything that cannot be read becomes the reason the row is quarantined.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from feedback import clock
from feedback.intake.incoming import IncomingFeedback, Rejected
from feedback.intake.tabular import Mapping, Record, read_records

_SCORE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:/\s*\d+|stars?|星|分)?$", re.IGNORECASE)
_DATE_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日",
                 "%d.%m.%Y %H:%M", "%d.%m.%Y", "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y")

# A channel's converter: (record, base item) → the finished item, or the reason it cannot be stored.
Convert = Callable[[Record, IncomingFeedback], IncomingFeedback | str]


class RowError(ValueError):
    """A value in a row that cannot be read; its message is the quarantine reason."""


def read_items(
    path: str | Path, *, channel: str, source: str, mapping: Mapping, defaults: dict, convert: Convert, now: datetime,
) -> Iterator[IncomingFeedback | Rejected]:
    """Every record of an export as an item for the store path, or as a Rejected with its row and reason."""
    mapping = mapping.with_defaults(defaults)
    zone = mapping.zone() or clock.business_tz()
    name = Path(path).name
    for record in read_records(path, mapping):
        locator = f"{name}:{record.locator}"
        if record.problem:
            yield Rejected(channel, source, record.raw, record.problem, locator)
            continue
        try:
            item = convert(record, base_item(record, channel=channel, source=source, zone=zone,
                                             date_format=mapping.date_format, now=now))
        except RowError as exc:
            item = str(exc)
        yield Rejected(channel, source, record.raw, item, locator) if isinstance(item, str) else item


def base_item(record: Record, *, channel: str, source: str, zone: tzinfo, date_format: str, now: datetime) -> IncomingFeedback:
    """What every tabular channel reads the same way: id, time, people, order, product and text."""
    fields = record.fields
    when = fields.get("date", "")
    received = parse_when(when, zone=zone, date_format=date_format) if when else now
    if received is None:
        raise RowError(f"unparseable date {when!r}")
    return IncomingFeedback(
        channel=channel, source=source, external_id=row_id(fields), received_at=received, raw=record.raw,
        subject=fields.get("subject", ""), body=fields.get("text", ""), customer=fields.get("customer", ""),
        contact=fields.get("contact", ""), order_ref=fields.get("order", ""), product_ref=fields.get("product", ""),
    )


def row_id(fields: dict[str, str]) -> str:
    """The external id: the mapped id column, else a stable hash of the mapped content (re-imports match)."""
    if ident := fields.get("id"):
        return ident
    content = "\x1f".join(f"{k}={v}" for k, v in sorted(fields.items()))
    return "row:" + hashlib.blake2b(content.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def score(fields: dict[str, str], name: str, low: int, high: int) -> int | None:
    """A whole score in [low, high] from "4", "4.0", "4/5", "4 stars", "★★★★"; None when empty."""
    text = fields.get(name, "").strip()
    if not text:
        return None
    if text.isdigit() and low <= int(text) <= high:  # the usual case, kept fast
        return int(text)
    if set(text) <= {"★", "☆"}:
        text = str(text.count("★"))
    match = _SCORE.match(text)
    number = float(match.group(1)) if match else None
    if number is None or not number.is_integer() or not low <= number <= high:
        raise RowError(f"{name} {text!r} is not a whole number from {low} to {high}")
    return int(number)


def parse_when(value: str, *, zone: tzinfo, date_format: str = "") -> datetime | None:
    """An aware UTC moment from ISO 8601, usual shop formats or Unix time; naive means `zone`; None if unreadable."""
    value = value.strip()
    try:
        moment = datetime.strptime(value, date_format) if date_format else _parse_common(value)
    except (ValueError, OverflowError, OSError):
        return None
    if moment is None or not 1990 <= moment.year <= 2100:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _parse_common(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    if value.isdigit() and len(value) in (10, 13):  # Unix seconds or milliseconds
        return datetime.fromtimestamp(int(value) / (1000 if len(value) == 13 else 1), UTC)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None
