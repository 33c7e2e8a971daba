"""Shared by the benchmarks: a fresh instance, the CLI as a user runs it, peak memory of a child."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FEEDBACK = str(Path(sys.executable).parent / "feedback")


def instance_env(instance: Path, database_url: str = "") -> dict:
    env = os.environ | {"FEEDBACK_INSTANCE_PATH": str(instance)}
    if database_url:
        env["FEEDBACK_DATABASE_URL"] = database_url
    return env


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
