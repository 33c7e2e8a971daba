"""Phone: call-centre log imports, and calls logged one at a time through the submissions service."""

import pytest
import sqlalchemy as sa

from feedback import submissions
from feedback.cli import main
from feedback.errors import Invalid
from feedback.intake.phone import PAGE_SOURCE
from feedback.models import Feedback, Quarantine
from tests.factories import NOW


def test_a_call_centre_log_is_imported(runner, session, tmp_path):
    export = tmp_path / "calls-2026-11-20.csv"
    export.write_text("Call ID\tCaller\tPhone Number\tOrder\tCall Time\tNotes\n"
                      "C-1\tLi Lei\t+86 138 0000 0000\tSO-77\t2026-11-20 10:02\tParcel marked delivered, never arrived\n"
                      "C-2\tHan Mei\t139\t\t2026-11-20 10:15\t\n", encoding="utf-8")
    result = runner.invoke(main, ["import", "phone", str(export), "--source", "call-centre"], catch_exceptions=False)
    assert "1 new, 0 duplicate, 1 quarantined" in result.output
    call = session.exec(sa.select(Feedback)).scalar_one()
    assert (call.channel, call.external_id, call.customer, call.contact, call.order_ref) == (
        "phone", "C-1", "Li Lei", "+86 138 0000 0000", "SO-77")
    assert session.exec(sa.select(Quarantine.reason)).scalar_one() == "no text: what did the customer say?"


def test_a_logged_call_submitted_twice_is_stored_once(session):
    entry = submissions.parse_item({"channel": "phone", "text": "Wants to return the blender", "customer": "Zhou",
                                    "contact": "13800000000", "external_id": "call-abc", "received_at": "2026-11-24 09:55"})
    first = submissions.submit_one(session, entry, source=PAGE_SOURCE, file_name="logged by agent", now=NOW)
    second = submissions.submit_one(session, entry, source=PAGE_SOURCE, file_name="logged by agent", now=NOW)
    assert first.created and not second.created and first.feedback_id == second.feedback_id
    stored = session.get(Feedback, first.feedback_id)
    assert stored.received_at.isoformat() == "2026-11-24T01:55:00+00:00"  # typed in business time


def test_a_call_without_text_is_refused(session):
    entry = submissions.parse_item({"channel": "phone", "customer": "Zhou"})
    with pytest.raises(Invalid, match="no text"):
        submissions.submit_one(session, entry, source=PAGE_SOURCE, file_name="x", now=NOW)
    assert session.execute(sa.select(sa.func.count()).select_from(Feedback)).scalar_one() == 0
