"""Commands that keep an instance safe: backup and restore."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from feedback import backup, clock, db
from feedback.errors import ServiceError

from feedback.cli import fail, main


@main.command("backup")
@click.option("--out", type=click.Path(dir_okay=False), help="file to write (default: instance/backups/feedback-TIME.*)")
def backup_command(out: str | None) -> None:
    """Copy the whole database while the tracker runs (SQLite online backup; pg_dump on PostgreSQL)."""
    engine = db.engine()
    target = Path(out) if out else backup.default_path(engine, Path(current_app.instance_path) / "backups", now=clock.now())
    try:
        written = backup.backup(engine, target)
    except ServiceError as exc:
        fail(exc)
    click.echo(f"backup written: {written} ({written.stat().st_size:,} bytes)")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def restore_command(file: str, yes: bool) -> None:
    """Replace the database's contents with a backup. Stop the web app and the scheduler first."""
    engine = db.engine()
    if not yes:
        click.confirm(f"Replace every row of {engine.url.render_as_string()} with {file}?", abort=True)
    try:
        backup.restore(engine, Path(file))
    except ServiceError as exc:
        fail(exc)
    click.echo(f"restored from {file}")
