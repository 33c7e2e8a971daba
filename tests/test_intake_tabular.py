"""Reading exports: encodings, JSON streamed across chunk boundaries, exact raw bytes per row, values."""

import codecs
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from feedback.errors import Invalid
from feedback.intake.rows import RowError, parse_when, score
from feedback.intake.tabular import Mapping, detect_encoding, read_records


def test_encodings_are_detected_from_the_first_bytes():
    assert detect_encoding(codecs.BOM_UTF8 + "评价\n".encode()) == "utf-8-sig"
    assert detect_encoding("评价,评分\n很好,5\n".encode()) == "utf-8"
    assert detect_encoding("评价,评分\n很好,5\n".encode("gb18030")) == "gb18030"
    assert detect_encoding(b"text,rating\nok,5\n") == "utf-8"


def test_a_large_json_array_is_read_item_by_item_across_chunks(tmp_path):
    items = [{"id": n, "text": "很好 " * (n % 40), "rating": n % 5 + 1} for n in range(3000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    assert path.stat().st_size > 4 * 65536
    mapping = Mapping().with_defaults({"id": ("id",), "text": ("text",), "rating": ("rating",)})
    records = list(read_records(path, mapping))
    assert len(records) == 3000 and not any(r.problem for r in records)
    assert [json.loads(r.raw) for r in records[::500]] == items[::500]
    assert records[2999].fields == {"id": "2999", "text": ("很好 " * 39).strip(), "rating": "5"}


def test_a_broken_json_array_quarantines_the_rest(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text('[{"text": "a"}, {"text": "b"}, {"text": ', encoding="utf-8")
    records = list(read_records(path, Mapping().with_defaults({"text": ("text",)})))
    assert [r.fields.get("text") for r in records[:2]] == ["a", "b"]
    assert records[2].problem.startswith("not JSON") and records[2].locator == "item 3"


def test_quoted_newlines_keep_the_row_whole_and_numbered(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_bytes(b'text,rating\r\n"line one\r\nline two",1\r\nnext,2\r\n')
    records = list(read_records(path, Mapping().with_defaults({"text": ("text",), "rating": ("rating",)})))
    assert [r.locator for r in records] == ["row 2", "row 3"]
    assert records[0].raw == b'"line one\r\nline two",1\r\n' and records[0].fields["text"] == "line one\r\nline two"


def test_scores_and_dates_are_read_leniently_and_refused_clearly():
    assert [score({"r": v}, "r", 1, 5) for v in ("4", "4.0", "4/5", "4 stars", "★★★★☆", "4星", "")] == [4, 4, 4, 4, 4, 4, None]
    with pytest.raises(RowError, match="not a whole number from 1 to 5"):
        score({"r": "4.5"}, "r", 1, 5)
    shanghai = ZoneInfo("Asia/Shanghai")
    expected = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    for text in ("2026-11-20 09:30", "2026/11/20 09:30", "2026年11月20日 09:30", "2026-11-20T01:30:00Z", "1795138200"):
        assert parse_when(text, zone=shanghai) == expected, text
    assert parse_when("20/11/2026", zone=shanghai) is None
    assert parse_when("20/11/2026", zone=shanghai, date_format="%d/%m/%Y") == datetime(2026, 11, 19, 16, tzinfo=UTC)


def test_wrong_mappings_are_refused_before_reading():
    with pytest.raises(Invalid, match="unknown fields"):
        Mapping.from_dict({"columns": {"stars": "x"}})
    with pytest.raises(Invalid, match="unknown encoding"):
        Mapping.from_dict({"columns": {}, "encoding": "klingon"})
    with pytest.raises(Invalid, match="unknown time zone"):
        Mapping.from_dict({"columns": {}, "timezone": "Mars/Olympus"})
