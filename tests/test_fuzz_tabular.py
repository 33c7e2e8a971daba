"""Bad input, exports: arbitrary bytes and hostile CSV/JSON into the review, survey and phone adapters.

Reading never raises; every record is an item or a Rejected with a reason; storing them leaves each
one as a feedback row or a quarantine row (a few duplicates aside) and never breaks the import.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback import intake
from feedback.intake import IncomingFeedback, Rejected
from feedback.intake.phone import read_calls
from feedback.intake.reviews import read_reviews
from feedback.intake.survey import read_survey
from feedback.intake.tabular import Mapping
from tests.factories import NOW

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])
STORED = settings(FAST, max_examples=80)  # a transaction per example, on each database
READERS = {"review": read_reviews, "survey": read_survey, "phone": read_calls}
HEADERS = ["text", "rating", "author", "date", "order", "product", "csat", "nps", "id", "评价内容", "时间", "comment"]

cell_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
cell = st.one_of(
    cell_text.map(lambda t: t.encode("utf-8")),
    cell_text.map(lambda t: t.encode("gb18030")),
    st.binary(max_size=20),
    st.sampled_from([b'"', b'""', b'"a"b"', b"\x00", b"\r", b"\n", b",", b";", b"\xff\xfe", b"\xef\xbb\xbf",
                     b"5/5", b"\xe2\x98\x85\xe2\x98\x85", b"-1", b"1e309", b"2026-13-45", b"NaN", b"99999999999999999999"]),
)


@st.composite
def csv_files(draw) -> bytes:
    """A header of usual column names, then rows of hostile cells (stray quotes, NULs, mixed encodings)."""
    columns = ["text"] * draw(st.booleans()) + draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6))
    delimiter = draw(st.sampled_from([b",", b";", b"\t", b"|"]))
    plain = cell_text.filter(lambda t: "\x00" not in t).map(lambda t: t.encode("utf-8"))
    rows = draw(st.lists(st.lists(st.one_of(plain, plain, cell), min_size=0, max_size=8), max_size=8))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    lines = [delimiter.join(c.encode() for c in columns)] + [delimiter.join(r) for r in rows]
    return bom + draw(st.sampled_from([b"\n", b"\r\n"])).join(lines)


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | cell_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(HEADERS) | cell_text, inner, max_size=5),
    max_leaves=20,
)
json_files = st.one_of(
    st.lists(st.fixed_dictionaries({"text": cell_text}, optional={h: json_value for h in HEADERS if h != "text"}), max_size=5)
    .map(lambda items: json.dumps(items, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    json_value.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.lists(json_value, max_size=5).map(lambda items: b"\n".join(json.dumps(i).encode() for i in items)),
)
files = st.tuples(st.sampled_from([".csv", ".json"]), st.one_of(st.binary(max_size=500), csv_files(), json_files))


def _read(kind: str, suffix: str, data: bytes) -> list:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export{suffix}"
        path.write_bytes(data)
        return list(READERS[kind](path, source="fuzz", mapping=Mapping(), now=NOW))


@FAST
@given(kind=st.sampled_from(sorted(READERS)), file=files)
def test_reading_any_export_never_raises(kind, file):
    for record in _read(kind, *file):
        assert isinstance(record, (IncomingFeedback, Rejected))
        if isinstance(record, Rejected):
            assert record.reason.strip() and record.locator


@STORED
@given(kind=st.sampled_from(sorted(READERS)), file=files)
def test_every_record_is_stored_or_quarantined(session, loaded_taxonomy, kind, file):
    records = _read(kind, *file)
    run = intake.import_items(session, records, channel=kind, source="fuzz", now=lambda: NOW)
    assert not run.errors
    assert run.new_count + run.duplicate_count + run.quarantined_count == len(records)
