"""Backups while the tracker runs, and restoring one: SQLite's online backup API, pg_dump on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from feedback.errors import Invalid

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"  # pg_dump's custom format


def default_path(engine: sa.Engine, folder: Path, *, now: datetime) -> Path:
    """instance/backups/feedback-YYYYmmdd-HHMMSS.{sqlite,pgdump}"""
    suffix = "sqlite" if engine.dialect.name == "sqlite" else "pgdump"
    return folder / f"feedback-{now:%Y%m%d-%H%M%S}.{suffix}"


def backup(engine: sa.Engine, out: Path) -> Path:
    """Write a consistent copy of the whole database to `out`; writers may go on meanwhile."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")  # a crash never leaves a half file under the real name
    if engine.dialect.name == "sqlite":
        _sqlite_copy(_sqlite_file(engine), partial)
    else:
        _run("pg_dump", ["--format=custom", "--no-owner", "--file", str(partial)], engine)
    partial.replace(out)
    return out


def restore(engine: sa.Engine, path: Path) -> None:
    """Replace every table of the database with the backup's. Stop the web app and scheduler first."""
    head = path.read_bytes()[:16] if path.stat().st_size else b""
    engine.dispose()  # our own pooled connections would hold locks the restore needs
    if engine.dialect.name == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise Invalid(f"{path} is not a SQLite backup")
        _sqlite_copy(path, _sqlite_file(engine))
    else:
        if not head.startswith(PG_MAGIC):
            raise Invalid(f"{path} is not a pg_dump backup (custom format)")
        # One transaction: a restore that fails half-way leaves the database as it was.
        _run("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
                            str(path)], engine)


def _sqlite_file(engine: sa.Engine) -> Path:
    name = engine.url.database
    if not name or name == ":memory:":
        raise Invalid("an in-memory database has nothing to back up")
    return Path(name)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent snapshot page by page, even while others write."""
    src, dst = sqlite3.connect(source, timeout=30), sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst, pages=4096)
    finally:
        dst.close()
        src.close()


def _run(tool: str, arguments: list[str], engine: sa.Engine) -> None:
    """Run a PostgreSQL client tool on the engine's database; the password travels in the environment, not argv."""
    if shutil.which(tool) is None:
        raise Invalid(f"{tool} is missing: install postgresql-client (`make system-deps`)")
    target = engine.url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    environment = os.environ | ({"PGPASSWORD": engine.url.password} if engine.url.password else {})
    done = subprocess.run([tool, "--dbname", target, *arguments], env=environment, capture_output=True, text=True)
    if done.returncode != 0:
        raise Invalid(f"{tool} failed: {done.stderr.strip()[-2000:]}")
