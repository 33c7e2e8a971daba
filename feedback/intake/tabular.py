"""CSV and JSON exports read as a stream of records, with a column mapping, in whatever encoding they came.

Pure reading, no database. A file is never loaded whole: CSV streams line by line and a JSON array
item by item, so memory stays flat on any size. Each record keeps its exact bytes (`raw`) and a
locator ("row 7" counts the header as row 1, as spreadsheets do). Rows that cannot be decoded in
the file's encoding become records with a `problem`, so the channel adapter quarantines them
while the rest of the file goes on.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feedback.errors import Invalid

FIELDS = ("id", "text", "subject", "rating", "csat", "nps", "product", "order", "customer", "contact", "date")
SAMPLE_BYTES = 256 * 1024
_LONE_SURROGATE = re.compile("[\udc80-\udcff]")  # bytes the file's encoding could not decode

csv.field_size_limit(16 * 1024 * 1024)  # one long review must not stop the file


@dataclass(frozen=True)
class Mapping:
    """Which columns hold each field, and how to read the file; empty parts use the channel's defaults."""

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    encoding: str = ""  # "" detects: BOM, UTF-8, GB18030
    delimiter: str = ""  # "" sniffs , ; tab |
    timezone: str = ""  # zone of dates written without one; "" is the business time zone
    date_format: str = ""  # strptime format when dates are in none of the usual forms
    fallback: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the channel's usual names, first found wins

    @classmethod
    def from_dict(cls, data: dict) -> Mapping:
        """Validate a mapping as saved or as written in a mapping file."""
        columns = data.get("columns", {})
        if not isinstance(columns, dict) or set(data) - {"columns", "encoding", "delimiter", "timezone", "date_format"}:
            raise Invalid("a mapping has 'columns' (field → column name or list) and optional encoding, delimiter, timezone, date_format")
        unknown = set(columns) - set(FIELDS)
        if unknown:
            raise Invalid(f"unknown fields in mapping: {', '.join(sorted(unknown))}; known: {', '.join(FIELDS)}")
        cleaned = {k: (v,) if isinstance(v, str) else tuple(str(c) for c in v) for k, v in columns.items() if v}
        if data.get("encoding"):
            try:
                codecs.lookup(data["encoding"])
            except LookupError:
                raise Invalid(f"unknown encoding {data['encoding']!r}") from None
        mapping = cls(cleaned, data.get("encoding", ""), data.get("delimiter", ""), data.get("timezone", ""),
                      data.get("date_format", ""))
        mapping.zone()  # an unknown zone fails here, not on row 1
        return mapping

    @classmethod
    def from_file(cls, path: str | Path) -> Mapping:
        """A mapping written as JSON or TOML."""
        text = Path(path).read_text(encoding="utf-8-sig")
        try:
            data = tomllib.loads(text) if str(path).endswith(".toml") else json.loads(text)
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            raise Invalid(f"cannot read mapping {path}: {exc}") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict:
        data = {"columns": {k: list(v) for k, v in self.columns.items()}}
        return data | {k: v for k, v in (("encoding", self.encoding), ("delimiter", self.delimiter),
                                          ("timezone", self.timezone), ("date_format", self.date_format)) if v}

    def with_defaults(self, defaults: dict[str, tuple[str, ...]]) -> Mapping:
        """This mapping, with the channel's usual column names for the fields it does not name."""
        fallback = {k: v for k, v in defaults.items() if k not in self.columns}
        return Mapping(self.columns, self.encoding, self.delimiter, self.timezone, self.date_format, fallback)

    def wanted(self) -> list[tuple[str, tuple[str, ...], bool]]:
        """(field, column names, join all found) — text named in a mapping may join several answers."""
        named = [(k, v, k == "text") for k, v in self.columns.items()]
        return named + [(k, v, False) for k, v in self.fallback.items()]

    def zone(self) -> tzinfo | None:
        if not self.timezone:
            return None
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid(f"unknown time zone {self.timezone!r}") from None


@dataclass(slots=True)
class Record:
    """One row of an export: the mapped fields as text, its exact bytes and where it was."""

    locator: str
    fields: dict[str, str]
    raw: bytes
    problem: str = ""  # why it cannot be read at all (wrong encoding, not JSON)


def read_records(path: str | Path, mapping: Mapping) -> Iterator[Record]:
    """Every record of a CSV or JSON export, in file order."""
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    encoding = mapping.encoding or detect_encoding(head)
    start = head.lstrip(codecs.BOM_UTF8).lstrip()[:1]
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson") or start in (b"[", b"{"):
        from feedback.intake.tabjson import json_records

        yield from json_records(path, encoding, mapping.wanted())
    else:
        yield from _csv_records(path, encoding, mapping, head)


def detect_encoding(head: bytes) -> str:
    """The encoding of a file from its first bytes: a BOM, else UTF-8 or GB18030 by which reads most lines."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    lines = [line for line in head.split(b"\n")[:-1] or [head] if not line.isascii()]
    if not lines:
        return "utf-8"
    for encoding in ("utf-8", "gb18030"):
        good = sum(1 for line in lines if _decodes(line, encoding))
        if good >= 0.9 * len(lines):  # a few rows in another encoding are quarantined, not a reason to switch
            return encoding
    return "utf-8"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _csv_records(path: Path, encoding: str, mapping: Mapping, head: bytes) -> Iterator[Record]:
    row_encoding = "utf-8" if encoding == "utf-8-sig" else encoding  # the BOM belongs to the file, not a row
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as text:
        taken: list[str] = []
        reader = csv.reader(_capture(text, taken), _dialect(head, encoding, mapping))
        header = next(reader, None)
        if header is None:
            return
        pick = _Picker(_csv_picks([h.strip().lstrip("\ufeff") for h in header], mapping.wanted()))
        taken.clear()
        number = 1
        for cells in reader:
            number += 1
            line = "".join(taken)
            taken.clear()
            raw = line.encode(row_encoding, "surrogateescape")
            if not line.isascii() and (problem := _encoding_problem(line, raw, encoding)):
                yield Record(f"row {number}", {}, raw, problem)
                continue
            if not any(cells):
                continue
            yield Record(f"row {number}", pick(cells), raw)


def _encoding_problem(line: str, raw: bytes, encoding: str) -> str:
    """Why a row is not in the file's encoding, or ''.

    GB18030 decodes almost any bytes, so a UTF-8 row in a GB18030 file is caught by being valid
    UTF-8 (Chinese text in GB18030 practically never is).
    """
    if _LONE_SURROGATE.search(line):
        return f"wrong encoding: not {encoding}"
    if encoding == "gb18030" and _decodes(raw, "utf-8"):
        return "wrong encoding: UTF-8 in a GB18030 file"
    return ""


def _capture(lines, taken: list[str]) -> Iterator[str]:
    """Pass lines to the csv reader while keeping them, so each row's exact text is known."""
    for line in lines:
        taken.append(line)
        yield line


def _dialect(head: bytes, encoding: str, mapping: Mapping) -> type[csv.Dialect]:
    """Excel's CSV dialect with the mapping's delimiter, else the one the header line uses most."""
    delimiter = mapping.delimiter.replace("\\t", "\t")
    if not delimiter:
        first = head.split(b"\n", 1)[0].decode(encoding, "replace")
        delimiter = max(",;\t|", key=first.count) if any(d in first for d in ",;\t|") else ","

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    return Dialect


def _csv_picks(header: list[str], wanted: list) -> list[tuple[str, list[int]]]:
    """For each field, the indexes of its columns in this header (names matched case-insensitively)."""
    index = {}
    for i, name in enumerate(header):
        index.setdefault(name.casefold(), i)
    picks = []
    for name, columns, join in wanted:
        found = [index[c.casefold()] for c in columns if c.casefold() in index]
        if found:
            picks.append((name, found if join else found[:1]))
    return picks


def _pick_cells(cells: list[str], picks: list[tuple[str, list[int]]]) -> dict[str, str]:
    size = len(cells)
    fields = {}
    for name, indexes in picks:
        if len(indexes) == 1:
            i = indexes[0]
            fields[name] = cells[i].strip() if i < size else ""
        else:
            fields[name] = "\n".join(v for i in indexes if i < size and (v := cells[i].strip()))
    return fields


class _Picker:
    """_pick_cells for one header, with the usual row (one column a field, none missing) done in a single pass."""

    def __init__(self, picks: list[tuple[str, list[int]]]):
        self.picks = picks
        self.simple = bool(picks) and all(len(indexes) == 1 for _name, indexes in picks)
        self.names = [name for name, _indexes in picks]
        self.columns = [indexes[0] for _name, indexes in picks] if self.simple else []
        self.needs = max(self.columns, default=-1) + 1

    def __call__(self, cells: list[str]) -> dict[str, str]:
        if self.simple and len(cells) >= self.needs:
            return dict(zip(self.names, [cells[i].strip() for i in self.columns]))
        return _pick_cells(cells, self.picks)
