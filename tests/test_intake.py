"""The store path: every channel's items go through intake.store()."""

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from feedback import intake
from feedback.intake import Attachment as IncomingAttachment
from feedback.intake import Rejected
from feedback.models import Attachment, Feedback, ImportRun, Quarantine, Ticket
from tests.factories import NOW, incoming


def count(session, model, *where) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def run_import(session, items, **kwargs):
    return intake.import_items(session, items, channel="email", source="test", now=lambda: NOW, **kwargs)


def test_new_items_are_stored_with_raw_bytes_exact(session):
    raw = b"Subject: =?gb2312?B?zfjVvg==?=\r\n\r\n\xc4\xe3\xba\xc3\x00binary"
    run = run_import(session, [incoming(raw=raw, body="你好")])
    assert (run.new_count, run.duplicate_count, run.quarantined_count) == (1, 0, 0)
    stored = session.exec(sa.select(Feedback)).scalar_one()
    assert stored.raw == raw
    assert stored.import_run_id == run.id and run.finished_at is not None


def test_running_the_same_input_again_stores_nothing_twice(session):
    items = [incoming(external_id=f"<same{i}@x>") for i in range(3)]
    run_import(session, items)
    again = run_import(session, items)
    assert (again.new_count, again.duplicate_count) == (0, 3)
    assert count(session, Feedback) == 3


def test_duplicates_inside_one_batch_count_once(session):
    run = run_import(session, [incoming(external_id="<dup@x>"), incoming(external_id="<dup@x>")])
    assert (run.new_count, run.duplicate_count) == (1, 1)


def test_same_id_from_another_source_is_another_item(session):
    run_import(session, [incoming(external_id="<a@x>", source="inbox-1"), incoming(external_id="<a@x>", source="inbox-2")])
    assert count(session, Feedback) == 2


def test_bad_items_go_to_quarantine_and_the_batch_goes_on(session):
    items = [
        incoming(),
        Rejected(channel="email", source="test", raw=b"\x00\x01garbage", reason="not a mail", locator="box/3"),
        incoming(received_at=datetime(2026, 1, 1)),  # naive
        incoming(subject="", body="  ", rating=None),
        incoming(rating=9),
        incoming(),
    ]
    run = run_import(session, items, batch_size=2)
    assert (run.new_count, run.quarantined_count) == (2, 4)
    reasons = sorted(session.exec(sa.select(Quarantine.reason)).scalars())
    assert reasons == ["no text and no rating", "not a mail", "rating 9 is outside 1–5", "received_at has no time zone"]
    kept = session.exec(sa.select(Quarantine).where(Quarantine.locator == "box/3")).scalar_one()
    assert kept.raw == b"\x00\x01garbage" and kept.import_run_id == run.id


def test_missing_or_huge_external_ids_fall_back_to_a_hash_of_the_raw_bytes(session):
    run_import(session, [incoming(external_id="", raw=b"one"), incoming(external_id="x" * 300, raw=b"two")])
    ids = sorted(session.exec(sa.select(Feedback.external_id)).scalars())
    assert all(i.startswith("sha256:") and len(i) == 71 for i in ids)
    assert run_import(session, [incoming(external_id="", raw=b"one")]).duplicate_count == 1


def test_business_date_is_fixed_in_the_business_time_zone(session):
    late = datetime(2026, 11, 23, 15, 59, tzinfo=timezone.utc)  # 23:59 Shanghai
    early = datetime(2026, 11, 23, 16, 1, tzinfo=timezone.utc)  # 00:01 Shanghai next day
    run_import(session, [incoming(received_at=late, external_id="<late@x>"), incoming(received_at=early, external_id="<early@x>")])
    days = dict(session.execute(sa.select(Feedback.external_id, Feedback.business_date)).all())
    assert str(days["<late@x>"]) == "2026-11-23" and str(days["<early@x>"]) == "2026-11-24"


def test_nul_characters_are_dropped_from_text_but_kept_in_raw(session):
    run_import(session, [incoming(subject="a\x00b", body="c\x00d", raw=b"a\x00b")])
    stored = session.exec(sa.select(Feedback)).scalar_one()
    assert (stored.subject, stored.body, stored.raw) == ("ab", "cd", b"a\x00b")


def test_sanitise_checks_every_text_field_at_once_and_cleans_only_the_bad_ones():
    from feedback.intake.writes import sanitise

    clean = incoming(subject="物流很快", body="plain text", customer="王")
    assert sanitise(clean) is clean and (clean.subject, clean.body, clean.customer) == ("物流很快", "plain text", "王")
    dirty = sanitise(incoming(subject="ok", body="bad \udcff byte", customer=None, order_ref="SO\x00-1", contact="王\x00"))
    assert (dirty.subject, dirty.body, dirty.customer, dirty.order_ref, dirty.contact) == ("ok", "bad ? byte", "", "SO-1", "王")
    rejected = sanitise(Rejected(channel="review", source="s", raw=b"\x00", reason="bad\x00 row", locator="f.csv:row 2"))
    assert (rejected.reason, rejected.locator, rejected.raw) == ("bad row", "f.csv:row 2", b"\x00")


def test_attachments_are_stored_with_their_feedback(session):
    files = [IncomingAttachment("photo.jpg", "image/jpeg", b"\xff\xd8jpeg"), IncomingAttachment("a.pdf", "application/pdf", b"%PDF")]
    run_import(session, [incoming(attachments=files)])
    stored = session.exec(sa.select(Attachment).order_by(Attachment.filename)).scalars().all()
    assert [(a.filename, a.content_type, a.size) for a in stored] == [("a.pdf", "application/pdf", 4), ("photo.jpg", "image/jpeg", 6)]


def test_a_reply_joins_the_thread_of_the_mail_it_answers(session):
    run_import(session, [incoming(external_id="<first@x>")])
    run_import(session, [incoming(external_id="<second@x>", replies_to=["<unknown@x>", "<first@x>"])])
    first, second = session.exec(sa.select(Feedback).order_by(Feedback.id)).scalars().all()
    assert second.follows_id == first.id and second.not_a_problem == "follow-up"
    assert first.follows_id is None and first.not_a_problem == ""


def test_a_reply_in_the_same_batch_still_joins_its_thread(session):
    run_import(session, [incoming(external_id="<a1@x>"), incoming(external_id="<a2@x>", replies_to=["<a1@x>"])])
    first, second = session.exec(sa.select(Feedback).order_by(Feedback.id)).scalars().all()
    assert second.follows_id == first.id


def test_a_ticket_number_in_the_subject_attaches_to_that_ticket(session):
    ticket = Ticket(title="Late parcel", opened_at=NOW)
    session.add(ticket)
    session.commit()
    run_import(session, [incoming(subject=f"Re: [{ticket.number}] Late parcel", replies_to=[ticket.number])])
    stored = session.exec(sa.select(Feedback)).scalar_one()
    assert stored.ticket_id == ticket.id and stored.not_a_problem == "follow-up"


def test_auto_replies_keep_their_reason(session):
    run_import(session, [incoming(not_a_problem="auto-reply", replies_to=["<nothing@x>"])])
    assert session.exec(sa.select(Feedback.not_a_problem)).scalar_one() == "auto-reply"


def test_progress_is_reported_per_batch(session):
    seen = []
    run_import(session, (incoming() for _ in range(5)), batch_size=2, progress=seen.append)
    assert seen == [2, 2, 1]


def test_a_crash_mid_import_keeps_committed_batches_and_records_the_stop(session):
    def items():
        yield incoming(external_id="<ok1@x>")
        yield incoming(external_id="<ok2@x>")
        raise OSError("disk gone")

    try:
        run_import(session, items(), batch_size=1)
    except OSError:
        pass
    run = session.exec(sa.select(ImportRun)).scalar_one()
    assert run.new_count == 2 and "disk gone" in run.errors and run.finished_at is not None
    assert count(session, Feedback) == 2


def test_re_importing_bad_input_quarantines_it_once(session):
    bad = Rejected(channel="email", source="test", raw=b"not a mail", reason="no headers")
    first = run_import(session, [bad])
    again = run_import(session, [bad])
    assert (first.quarantined_count, again.quarantined_count, again.duplicate_count) == (1, 0, 1)
    assert count(session, Quarantine) == 1


def _store(session, items, **kwargs):
    run = intake.start_run(session, channel="email", source="test", now=NOW)
    return intake.store(session, items, run=run, now=NOW, **kwargs)


def test_input_failing_in_the_worker_process_keeps_what_it_gave_before(session):
    def items():
        yield from (incoming(external_id=f"<w{n}@x>") for n in range(7))
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):  # raised in the worker, raised again here
        _store(session, items(), batch_size=2, commit_rows=100, background=True)
    session.rollback()
    assert count(session, Feedback) == 6  # three whole batches; the seventh item's batch never came


def test_the_worker_process_stores_what_storing_in_place_stores(session):
    def items(source):
        return [incoming(external_id=f"<p{n}@x>", source=source, body=f"My parcel {n} never arrived.",
                         attachments=[IncomingAttachment("a.txt", "text/plain", b"x")] if n == 3 else [])
                for n in range(9)] + [Rejected("email", source, b"junk", "not a mail")]

    def stored(source):
        return session.execute(
            sa.select(Feedback.external_id, Feedback.category_id, Feedback.language, Feedback.ticket_id.is_not(None))
            .where(Feedback.source == source).order_by(Feedback.external_id)).all()

    here = _store(session, items("here"), batch_size=2, background=False)
    there = _store(session, items("there"), batch_size=2, background=True)
    assert stored("here") == stored("there") and len(stored("here")) == 9
    assert (here.new_count, here.quarantined_count) == (there.new_count, there.quarantined_count) == (9, 1)
    assert count(session, Attachment) == 2


def test_rows_made_in_the_worker_are_stored_as_the_writing_process_stores_them(session):
    """The worker also makes the SQLite insert values and sends slim rows: every column and alert must match."""
    from feedback import products

    products.add_product(session, ref="KEY-1", key_product=True, now=NOW)

    def items(source):
        return [incoming(channel="review", source=source, external_id=f"r{n}", rating=n % 5 + 1, subject="",
                         body="burnt smell, broken lid" if n % 3 else "", product_ref="KEY-1" if n % 2 else "SKU-2",
                         received_at=NOW.replace(minute=n), contact="", customer=f"buyer{n}", raw=f"r{n}".encode())
                for n in range(12)]

    _store(session, items("here"), batch_size=3, background=False)
    _store(session, items("there"), batch_size=3, background=True)
    columns = [c for c in Feedback.__table__.c if c.name not in ("id", "source", "import_run_id", "ticket_id")]

    def stored(source):
        return session.execute(sa.select(*columns).where(Feedback.source == source).order_by(Feedback.external_id)).all()

    assert stored("here") == stored("there") and len(stored("here")) == 12
    assert 0 < sum(row.key_product_alert for row in stored("here")) < 12


def test_a_bulk_import_commits_its_batches_together(session):
    engine, committed = session.get_bind(), []

    def progress(_size):  # what another connection sees after each batch is written
        with engine.connect() as other:
            committed.append(other.execute(sa.select(sa.func.count()).select_from(Feedback)).scalar_one())

    run = _store(session, (incoming(external_id=f"<c{n}@x>") for n in range(14)), batch_size=2, commit_rows=6,
                 progress=progress, background=False)
    # Each batch commits until the import turns bulk (third batch); then every 6 rows, and at the end.
    assert committed == [0, 2, 4, 4, 4, 10, 10]
    assert run.new_count == count(session, Feedback) == 14


def test_a_paced_import_pauses_after_each_batch_on_a_server_database_only(session, monkeypatch):
    """PostgreSQL writes for the import at the pages' priority: the import gives it back between batches.
    SQLite writes inside the (niced) import process itself: nothing to give back."""
    from feedback.intake import bulk

    pauses, written = [], []
    monkeypatch.setattr(bulk.time, "sleep", pauses.append)
    run = _store(session, (incoming(external_id=f"<p{n}@x>") for n in range(10)), batch_size=2, pause=2.0,
                 progress=written.append, background=False)
    assert run.new_count == 10 and len(written) == 5
    if session.get_bind().dialect.name == "sqlite":
        assert pauses == []
    else:
        assert len(pauses) == 5 and all(p > 0 for p in pauses)
    pauses.clear()
    _store(session, (incoming(external_id=f"<q{n}@x>") for n in range(4)), batch_size=2, background=False)
    assert pauses == []  # the default: flat out


def test_each_new_row_gets_its_own_id_when_a_batch_is_stored_out_of_arrival_order(session):
    from datetime import timedelta

    items = [incoming(external_id=f"<o{n}@x>", received_at=NOW - timedelta(minutes=n),
                      attachments=[IncomingAttachment(f"{n}.txt", "text/plain", b"x")]) for n in range(5)]
    run_import(session, items)  # stored oldest first, so not in the order given
    owners = session.execute(sa.select(Attachment.filename, Feedback.external_id).join(Feedback)).all()
    assert sorted(owners) == [(f"{n}.txt", f"<o{n}@x>") for n in range(5)]


def test_the_sqlite_fast_path_writes_times_as_sqlalchemy_does():
    from datetime import timedelta

    from sqlalchemy.dialects import sqlite

    from feedback.db import UTCDateTime
    from feedback.intake.writes import _utc_text

    dialect = sqlite.dialect()
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    for moment in (NOW, NOW.replace(microsecond=7), datetime(2026, 8, 1, 3, 4, 5, 123, tzinfo=timezone(timedelta(hours=8))), datetime(999, 1, 2, tzinfo=timezone.utc)):
        assert _utc_text(moment) == process(moment)
    with pytest.raises(ValueError):
        _utc_text(datetime(2026, 1, 1))


def _feedback_indexes(engine) -> set[str]:
    return {index["name"] for index in sa.inspect(engine).get_indexes("feedback")}


@pytest.mark.sqlite_only
def test_a_big_import_drops_its_random_keyed_indexes_and_builds_them_again_at_its_end(session, monkeypatch):
    from feedback.intake import bulk

    monkeypatch.setattr(bulk, "DEFER_FROM_ROWS", 6)
    engine, seen = session.get_bind(), []
    before = _feedback_indexes(engine)
    assert set(bulk.DEFERRED_INDEXES) <= before
    run = _store(session, (incoming(external_id=f"<d{n}@x>") for n in range(14)), batch_size=2, commit_rows=4,
                 progress=lambda _size: seen.append(_feedback_indexes(engine)), background=False)
    assert any(not set(bulk.DEFERRED_INDEXES) & names for names in seen)  # dropped mid-way, as another connection sees it
    assert _feedback_indexes(engine) == before and run.new_count == count(session, Feedback) == 14
    connection = session.connection()  # the rebuilt indexes hold every row, the ones written while they were gone too
    assert connection.exec_driver_sql(
        "SELECT count(*) FROM feedback INDEXED BY ix_feedback_customer_id WHERE customer >= ''").scalar_one() == 14
    assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"


@pytest.mark.sqlite_only
def test_a_big_import_that_fails_builds_the_indexes_again_and_keeps_what_it_committed(session, monkeypatch):
    from feedback.intake import bulk

    monkeypatch.setattr(bulk, "DEFER_FROM_ROWS", 6)
    before = _feedback_indexes(session.get_bind())

    def items():
        yield from (incoming(external_id=f"<f{n}@x>") for n in range(13))
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        _store(session, items(), batch_size=2, commit_rows=4, background=False)
    session.rollback()
    assert _feedback_indexes(session.get_bind()) == before
    assert count(session, Feedback) == 12  # six whole batches, committed before the error


@pytest.mark.sqlite_only
def test_indexes_a_killed_import_left_dropped_are_built_by_the_next_bulk_import(session):
    from feedback.intake import bulk

    before = _feedback_indexes(session.get_bind())
    bulk.drop_indexes(session)  # what a kill after the drop's commit leaves
    session.commit()
    assert not set(bulk.DEFERRED_INDEXES) & _feedback_indexes(session.get_bind())
    _store(session, (incoming(external_id=f"<k{n}@x>") for n in range(6)), batch_size=2, background=False)
    assert _feedback_indexes(session.get_bind()) == before


def test_feedback_init_builds_indexes_a_killed_import_left_dropped(session, runner):
    from feedback.cli import main
    from feedback.intake import bulk

    before = _feedback_indexes(session.get_bind())
    bulk.drop_indexes(session)
    session.commit()
    assert not set(bulk.DEFERRED_INDEXES) & _feedback_indexes(session.get_bind())
    result = runner.invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert _feedback_indexes(session.get_bind()) == before
