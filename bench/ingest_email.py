"""Email intake speed: the 2,000-mail set imported with `feedback import email`, fidelity checked.

Usage: python bench/ingest_email.py [--mails 2000] [--database-url URL]
Prints {"mails", "seconds", "mails_per_s", "peak_rss_mb", "fidelity_ok", "attachments_kept"}.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import FLAT_OUT, SHARED, emit, instance_env, run_cli  # noqa: E402
from feedback.db import make_engine  # noqa: E402

SEED = 20240501


def generate(folder: Path, mails: int) -> None:
    subprocess.run([sys.executable, str(SHARED / "tools/gen_emails.py"), str(folder / "mails"), "-n", str(mails),
                    "--seed", str(SEED)], check=True, stdout=subprocess.DEVNULL)


def read_manifest(folder: Path) -> list[dict]:
    """Read only after the import: a child's peak RSS counts the parent's memory it was forked from."""
    return json.loads((folder / "mails.manifest.json").read_text(encoding="utf-8"))


def fidelity(database_url: str, manifest: list[dict]) -> tuple[int, int]:
    """How many stored mails have the generator's subject and every body sentence; attachments stored."""
    engine = make_engine(database_url)
    with engine.connect() as conn:
        stored = {
            row.external_id: (row.subject, row.body)
            for row in conn.execute(sa.text("SELECT external_id, subject, body FROM feedback WHERE channel = 'email'"))
        }
        attachments = conn.execute(sa.text("SELECT count(*) FROM attachment")).scalar_one()
    engine.dispose()
    good = 0
    for meta in manifest:
        subject, body = stored.get(meta["message_id"].strip("<>"), (None, ""))
        good += subject == meta["subject"] and all(s in body for s in meta["sentences"])
    return good, attachments


def children_cpu() -> float:
    """User + system seconds of the finished child processes (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate(folder, args.mails)
        env = instance_env(folder / "instance", args.database_url) | FLAT_OUT
        run_cli(["init"], env)
        cpu = children_cpu()
        seconds, rss, _out = run_cli(["import", "email", str(folder / "mails"), "--source", "bench"], env)
        cpu = children_cpu() - cpu
        url = args.database_url or f"sqlite:///{folder / 'instance' / 'feedback.db'}"
        manifest = read_manifest(folder)
        good, attachments = fidelity(url, manifest)
    emit("ingest_email", {
        "mails": args.mails,
        "seconds": round(seconds, 2),
        "mails_per_s": round(args.mails / seconds),
        "peak_rss_mb": round(rss, 1),
        "cpu_seconds": round(cpu, 2),  # every process of the import (parsers included): steadier on a shared machine
        "load": round(os.getloadavg()[0], 1),
        "fidelity_ok": f"{good}/{args.mails}",
        "attachments_kept": f"{attachments}/{sum(m['attachment'] for m in manifest)}",
        "database": "postgresql" if args.database_url else "sqlite",
    })


if __name__ == "__main__":
    main()
