"""Crash safety at volume: `kill -9` a 100,000-mail `feedback import email` several times, then let it finish.

Usage: python bench/crash_import.py [--mails 100000] [--kills 3] [--database-url URL]
Prints {"mails", "killed_at", "stored_after", "distinct_after", "lost", "doubled", "half_batches", "seconds"}.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import FEEDBACK, SHARED, emit, instance_env, run_cli  # noqa: E402
from feedback.db import make_engine  # noqa: E402
from feedback.intake.pipeline import BATCH_SIZE  # noqa: E402

SOURCE = "crash-bench"


def stored(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*), count(DISTINCT external_id) FROM feedback WHERE source = :s"),
                            {"s": SOURCE}).one()


def import_until_killed(engine, env: dict, folder: Path, kill_at: int) -> int | None:
    """Start the import and SIGKILL it (and its parse workers) once `kill_at` mails are stored; None if it ended first."""
    process = subprocess.Popen([FEEDBACK, "import", "email", str(folder), "--source", SOURCE], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while process.poll() is None:
        count, _ = stored(engine)
        if count >= kill_at:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return stored(engine)[0]
        time.sleep(0.05)
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        subprocess.run([sys.executable, str(SHARED / "tools/gen_emails.py"), str(folder / "mails"), "-n", str(args.mails),
                        "--seed", "7"], check=True, stdout=subprocess.DEVNULL)
        env = instance_env(folder / "instance", args.database_url)
        run_cli(["init"], env)
        engine = make_engine(args.database_url or f"sqlite:///{folder / 'instance' / 'feedback.db'}")
        started, killed = time.perf_counter(), []
        for n in range(1, args.kills + 1):  # kill points spread over the import
            at = import_until_killed(engine, env, folder / "mails", args.mails * n // (args.kills + 1))
            if at is not None:
                killed.append(at)
        run_cli(["import", "email", str(folder / "mails"), "--source", SOURCE], env)
        count, distinct = stored(engine)
        engine.dispose()
    emit("crash_import", {
        "mails": args.mails, "killed_at": killed, "stored_after": count, "distinct_after": distinct,
        "lost": args.mails - distinct, "doubled": count - distinct,
        "half_batches": sum(1 for k in killed if k % BATCH_SIZE), "seconds": round(time.perf_counter() - started, 1),
        "database": "postgresql" if args.database_url else "sqlite",
    })


if __name__ == "__main__":
    main()
