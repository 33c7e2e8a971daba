"""JSON exports as records: an array streamed item by item, JSON Lines, or the list inside a wrapper object."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from feedback.intake.tabular import Record

_LONE_SURROGATE = re.compile("[\udc80-\udcff]")
_WRAPPERS = ("reviews", "items", "data", "results", "records", "rows", "responses")


def json_records(path: Path, encoding: str, wanted: list) -> Iterator[Record]:
    """Items of a JSON array (streamed), of JSON Lines, or of the list inside a wrapper object."""
    with open(path, encoding=encoding, errors="surrogateescape") as text:
        first = text.read(1)
        while first and first.isspace():
            first = text.read(1)
        if first == "[":
            yield from _json_array(text, wanted)
            return
        rest = first + text.read()  # JSON Lines or a wrapper object: read once, then item by item
    yield from _json_document(rest, wanted)


def _json_array(text, wanted: list) -> Iterator[Record]:
    """Decode one array item at a time from a buffer refilled as it runs dry: memory holds a chunk, not the file."""
    decoder = json.JSONDecoder()
    buffer, at, number, done = "", 0, 0, False
    while True:
        at = _skip_separators(buffer, at)
        if at < len(buffer) and buffer[at] == "]" or (done and at >= len(buffer)):
            return
        try:
            item, end = decoder.raw_decode(buffer, at)
        except json.JSONDecodeError as exc:
            if not done:  # most likely an item cut by the chunk boundary: read on
                chunk = text.read(1 << 16)
                done = not chunk
                buffer, at = buffer[at:] + chunk, 0
                continue
            number += 1
            yield Record(f"item {number}", {}, buffer[at:].encode("utf-8", "surrogateescape"), f"not JSON: {exc.msg}")
            return
        number += 1
        yield _json_record(f"item {number}", item, buffer[at:end], wanted)
        at = end


def _skip_separators(buffer: str, at: int) -> int:
    while at < len(buffer) and buffer[at] in " \t\r\n,":
        at += 1
    return at


def _json_document(text: str, wanted: list) -> Iterator[Record]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        yield from _json_lines(text, wanted)
        return
    items = document if isinstance(document, list) else _wrapped_list(document)
    for number, item in enumerate(items, 1):
        yield _json_record(f"item {number}", item, json.dumps(item, ensure_ascii=False), wanted)


def _json_lines(text: str, wanted: list) -> Iterator[Record]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Record(f"line {number}", {}, line.encode("utf-8", "surrogateescape"), f"not JSON: {exc.msg}")
            continue
        yield _json_record(f"line {number}", item, line, wanted)


def _wrapped_list(document) -> list:
    """The records inside {"reviews": [...]} and the like; a single object is one record."""
    if not isinstance(document, dict):
        return [document]
    for key in _WRAPPERS:
        if isinstance(document.get(key), list):
            return document[key]
    lists = [v for v in document.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
    return lists[0] if lists else [document]


def _json_record(locator: str, item, text: str, wanted: list) -> Record:
    raw = text.encode("utf-8", "surrogateescape")
    if _LONE_SURROGATE.search(text):
        return Record(locator, {}, raw, "wrong encoding")
    if not isinstance(item, dict):
        return Record(locator, {}, raw, "not an object")
    keys = {k.casefold(): k for k in item}
    fields = {}
    for name, names, join in wanted:
        values = [v for c in names if (v := _json_value(item, keys, c))]
        if values:
            fields[name] = "\n".join(values) if join else values[0]
    return Record(locator, fields, raw)


def _json_value(item: dict, keys: dict, column: str) -> str:
    """The value at a column name or a dotted path ("product.sku"), as text."""
    value = item.get(keys.get(column.casefold(), column))
    if value is None and "." in column:
        value = item
        for part in column.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).strip()
