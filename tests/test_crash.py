"""Crash safety: `kill -9` an import in the middle, run it again — every item stored exactly once.

The importer commits one batch per transaction, so a kill loses at most the batch in flight, and the
re-run's dedupe (Message-ID, row id) stores what is missing without doubling what is there.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from feedback.intake import exports, pipeline
from feedback.models import Attachment, Feedback

GENERATOR = Path(__file__).resolve().parents[2] / "shared" / "tools" / "gen_emails.py"
FEEDBACK = Path(sys.executable).parent / "feedback"
MAILS = 3000
ROWS = 12_000
KILLS = 2


@pytest.fixture(scope="session")
def maildir(tmp_path_factory) -> tuple[Path, list[dict]]:
    """MAILS synthetic customer mails (one .eml each) and the generator's manifest of them."""
    folder = tmp_path_factory.mktemp("crash") / "mails"
    subprocess.run([sys.executable, str(GENERATOR), str(folder), "-n", str(MAILS), "--seed", "11"], check=True,
                   capture_output=True)
    return folder, json.loads(folder.with_name("mails.manifest.json").read_text())


@pytest.fixture(scope="session")
def review_export(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "reviews.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "text", "rating", "product", "author", "date"])
        for n in range(ROWS):
            writer.writerow([f"R{n}", f"Order {n}: the parcel came {n % 9 + 2} days late, box dented.", n % 5 + 1,
                             f"SKU-{n % 40}", f"buyer{n}", "2026-11-23 10:00"])
    return path


def _count(engine, source: str) -> tuple[int, int]:
    """Stored feedback of a source, and how many distinct external ids they have."""
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count(), sa.func.count(sa.distinct(Feedback.external_id)))
                                  .where(Feedback.source == source)).one()


def _start(app, database_url: str, args: list[str], log: Path) -> subprocess.Popen:
    environment = os.environ | {"FEEDBACK_INSTANCE_PATH": app.instance_path, "FEEDBACK_DATABASE_URL": database_url}
    with open(log, "ab") as out:  # its own process group: the kill takes its parse workers too
        return subprocess.Popen([str(FEEDBACK), *args], env=environment, stdout=out, stderr=out, start_new_session=True)


def _kill_after_progress(engine, process: subprocess.Popen, source: str, beyond: int, total: int) -> int:
    """SIGKILL the importer once it has committed more than `beyond` items; returns what was stored then."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        stored, _ = _count(engine, source)
        assert process.poll() is None, f"the import ended before the kill ({stored} of {total} stored)"
        if stored > beyond:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return _count(engine, source)[0]
        time.sleep(0.02)
    raise AssertionError("the import made no progress")


def _crash_and_rerun(app, database_url, tmp_path, args, source, total, batch) -> list[int]:
    engine = app.extensions["feedback.engine"]
    stored_at_kill = []
    for _ in range(KILLS):
        process = _start(app, database_url, args, tmp_path / "import.log")
        stored = _kill_after_progress(engine, process, source, stored_at_kill[-1] if stored_at_kill else 0, total)
        assert 0 < stored < total, "killed too late to prove anything"
        assert stored % batch == 0, f"{stored} stored: a half-written batch survived the kill"
        stored_at_kill.append(stored)
    final = _start(app, database_url, args, tmp_path / "import.log")
    assert final.wait(timeout=600) == 0, (tmp_path / "import.log").read_text(errors="replace")[-2000:]
    assert _count(engine, source) == (total, total)  # every item exactly once
    return stored_at_kill


def test_killed_mail_import_stores_every_mail_once(app, loaded_taxonomy, database_url, maildir, tmp_path):
    folder, manifest = maildir
    kills = _crash_and_rerun(app, database_url, tmp_path, ["import", "email", str(folder), "--source", "crash"],
                             "crash", MAILS, pipeline.BATCH_SIZE)
    engine = app.extensions["feedback.engine"]
    with engine.connect() as connection:
        ids = set(connection.execute(sa.select(Feedback.external_id).where(Feedback.source == "crash")).scalars())
        attachments = connection.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar_one()
    assert {m["message_id"].strip("<>") for m in manifest} <= {i.strip("<>") for i in ids}
    assert attachments == sum(bool(m["attachment"]) for m in manifest)  # none doubled by the re-runs
    print(f"\nmail import killed at {kills} of {MAILS}; after the re-run {MAILS} stored once each")


def test_killed_csv_import_stores_every_row_once(app, loaded_taxonomy, database_url, review_export, tmp_path):
    kills = _crash_and_rerun(app, database_url, tmp_path, ["import", "reviews", str(review_export), "--source", "shop"],
                             "shop", ROWS, exports.BATCH_SIZE)
    print(f"\nreview import killed at {kills} of {ROWS}; after the re-run {ROWS} stored once each")
