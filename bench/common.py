"""Shared by the benchmarks: a fresh instance, the CLI as a user runs it, peak memory of a child."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FEEDBACK = str(Path(sys.executable).parent / "feedback")


# The intake benchmarks measure what intake can do: flat out, without the pauses a bulk import takes on a
# server database to leave it to the pages (config.IMPORT_PAUSE; the load benchmark keeps them).
FLAT_OUT = {"FEEDBACK_IMPORT_PAUSE": "0"}


def instance_env(instance: Path, database_url: str = "") -> dict:
    env = os.environ | {"FEEDBACK_INSTANCE_PATH": str(instance)}
    if database_url:
        env["FEEDBACK_DATABASE_URL"] = database_url
    return env


def volume_options(parser: argparse.ArgumentParser) -> None:
    """The options of the benchmarks run on the 1,000,000 feedback / 200,000 ticket instance."""
    parser.add_argument("--feedback", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--instance", help="keep the instance here (reused when it already holds the data)")


@contextmanager
def volume_instance(args: argparse.Namespace) -> Iterator[tuple[Path, dict, str]]:
    """(instance folder, environment, database URL): the --instance given, else a throw-away one."""
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(args.instance or Path(tmp) / "instance")
        yield instance, instance_env(instance, args.database_url), args.database_url or f"sqlite:///{instance / 'feedback.db'}"


def run_cli(args: list[str], env: dict) -> tuple[float, float, str]:
    """Run `feedback ARGS`; return (seconds, peak RSS in MB, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen([FEEDBACK, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = process.stdout.read().decode()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"feedback {' '.join(args)} failed: {out}")
    return seconds, usage.ru_maxrss / 1024, out


def emit(name: str, figures: dict) -> None:
    """One JSON line per benchmark (make bench collects them)."""
    print(json.dumps({"bench": name} | figures, ensure_ascii=False), flush=True)
