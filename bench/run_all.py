"""Run every benchmark in bench/ and collect their JSON lines into bench/results.json (`make bench`).

Usage: python bench/run_all.py [--only tickets,bulletin] [--quick] [--output bench/results.json]

Benchmarks are found by glob (every bench/*.py but the helpers), so a new one joins by being there.
Each script's --help tells how to run it: one taking --database-url runs on SQLite and again on a
throw-away PostgreSQL database (PostgreSQL only when the option is required); scripts taking
--instance share one volume instance per database, built once. --quick passes small sizes to the
options a script has (--feedback, --tickets, --requests, --mails, --rows, --texts, --duration …), to
check the harness in minutes instead of hours.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import psycopg

BENCH = Path(__file__).resolve().parent
HELPERS = {"__init__", "common", "tickets_data", "run_all"}
PG_ADMIN = os.environ.get("FEEDBACK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
QUICK = {"--feedback": "20000", "--tickets": "4000", "--requests": "50", "--mails": "300", "--rows": "20000",
         "--texts": "2000", "--train-rows": "1000", "--runs": "3", "--duration": "5", "--import-mails": "500"}


def scripts(only: set[str]) -> list[Path]:
    found = sorted(p for p in BENCH.glob("*.py") if p.stem not in HELPERS)
    return [p for p in found if not only or p.stem in only]


def options(script: Path) -> str:
    """The script's --help text (its options decide how it is run)."""
    return subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120).stdout


def variants(help_text: str) -> list[str]:
    """Which databases to run on: sqlite and/or postgresql."""
    if "--database-url" not in help_text:
        return ["default"]
    usage = help_text.split("\n\n", 1)[0]
    required = re.search(r"(?<!\[)--database-url", usage) is not None
    return ["postgresql"] if required else ["sqlite", "postgresql"]


class Databases:
    """Throw-away PostgreSQL databases: one shared by the volume benchmarks, a fresh one for each other run."""

    def __init__(self):
        self.created: list[str] = []
        self.volume = ""

    def new(self) -> str:
        name = f"feedback_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        host = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        return f"{host}/{name}"

    def shared(self) -> str:
        self.volume = self.volume or self.new()
        return self.volume

    def drop_all(self) -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            for name in self.created:  # and the load benchmark's copy of the volume database as built
                for database in (name, f"{name}_built"):
                    conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def command(script: Path, help_text: str, database: str, work: Path, dbs: Databases, quick: bool) -> list[str]:
    args = [sys.executable, str(script)]
    shared = "--instance" in help_text
    if database != "default" and shared:
        args += ["--instance", str(work / f"volume-{database}")]
    if database == "postgresql":
        args += ["--database-url", dbs.shared() if shared else dbs.new()]
    if quick:
        args += [part for name, value in QUICK.items() if re.search(rf"{name}\b", help_text) for part in (name, value)]
    return args


def run(args: list[str]) -> dict:
    """Run one benchmark; its JSON lines, how long it took, and its exit code (stderr kept when it fails)."""
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    result = {"lines": lines, "seconds": round(time.perf_counter() - started, 1), "exit": done.returncode}
    if done.returncode:
        result["stderr"] = done.stderr[-4000:]
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="comma-separated benchmark names (file stems)")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the harness")
    parser.add_argument("--output", default=str(BENCH / "results.json"))
    args = parser.parse_args()
    only = {name for name in args.only.split(",") if name}
    report = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "quick": args.quick,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg": os.getloadavg()[0]},
              "runs": []}
    dbs = Databases()
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for script in scripts(only):
                help_text = options(script)
                for database in variants(help_text):
                    print(f"== {script.stem} ({database})", file=sys.stderr, flush=True)
                    result = run(command(script, help_text, database, Path(tmp), dbs, args.quick))
                    for line in result["lines"]:
                        print(json.dumps(line, ensure_ascii=False), flush=True)
                    report["runs"].append({"bench": script.stem, "database": database} | result)
                    failed += result["exit"] != 0
        finally:
            dbs.drop_all()
    report["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    Path(args.output).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(report['runs'])} runs, {failed} failed; figures in {args.output}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
