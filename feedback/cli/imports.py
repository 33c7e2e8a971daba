"""Commands that bring feedback in: file imports and mailbox/forum polls."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
from flask import current_app

from feedback import clock, db, intake
from feedback.errors import ServiceError

from feedback.cli import fail, main


# --- intake -------------------------------------------------------------------------------------


@main.group("import")
def import_group() -> None:
    """Import feedback from files (each item stored once, bad ones quarantined)."""


@import_group.command("email")
@click.argument("path", type=click.Path(exists=True))
@click.option("--source", help="mailbox or export name (default: the file or folder name)")
def import_email(path: str, source: str | None) -> None:
    """Import a .eml file, a folder of them, an mbox file or a Maildir."""
    source = source or Path(path).resolve().name
    items = intake.read_mail(path, source=source, limits=intake.mail_limits(current_app.config))
    _run_import(items, channel="email", source=source, file_name=str(path), total=_count_files(path))


@main.command("fetch-mail")
@click.option("--mailbox", "names", multiple=True, help="only these configured mailboxes (default: all)")
def fetch_mail(names: tuple[str, ...]) -> None:
    """Poll the IMAP mailboxes configured in MAILBOXES once; each mail is stored once, then flagged or moved."""
    from feedback.intake import imap

    mailboxes = imap.mailboxes_from_config(current_app.config["MAILBOXES"])
    if names:
        mailboxes = [m for m in mailboxes if m.name in names]
    if not mailboxes:
        raise click.ClickException("no mailbox configured: add MAILBOXES to instance/config.py (see README)")
    with db.session_scope() as session:
        runs = imap.fetch_all(session, mailboxes, now=clock.now, limits=intake.mail_limits(current_app.config))
    for mailbox, run in zip(mailboxes, runs):
        status = f"error: {run.errors}" if run.errors else "ok"
        click.echo(f"{mailbox.name}: {run.new_count} new, {run.duplicate_count} duplicate, "
                   f"{run.quarantined_count} quarantined — {status}")
    if any(run.errors for run in runs):
        sys.exit(1)


def _import_export(kind: str, path: str, source: str | None, mapping_file: str | None) -> None:
    """Reviews, survey and phone exports: the source's saved mapping, or --mapping (then saved)."""
    from feedback.intake import exports

    source = source or Path(path).stem
    with db.session_scope() as session:
        try:
            mapping = exports.mapping_for(session, kind, source, mapping_file=mapping_file, now=clock.now())
        except ServiceError as exc:
            fail(exc)
    items = exports.read_export(kind, path, source=source, mapping=mapping, now=clock.now())
    _run_import(items, channel=exports.KINDS[kind][0], source=source, file_name=str(path), total=exports.count_rows(path),
                **exports.STORE_OPTIONS)


for _kind, _help in (("reviews", "Import a marketplace review export (CSV or JSON)."),
                     ("survey", "Import a survey export: CSAT and/or NPS scores and free-text answers (CSV or JSON)."),
                     ("phone", "Import a call-centre log (CSV or JSON).")):

    @import_group.command(_kind, help=_help)
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--source", help="shop, survey or call centre name (default: the file name)")
    @click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False),
                  help="JSON/TOML column mapping; saved for the source and reused next time")
    def _import_kind(path: str, source: str | None, mapping_file: str | None, _kind=_kind) -> None:
        _import_export(_kind, path, source, mapping_file)


@main.command("fetch-forum")
@click.option("--name", "names", multiple=True, help="only these configured forums (default: all)")
def fetch_forum(names: tuple[str, ...]) -> None:
    """Poll the configured forums and feeds (FORUMS) once and store new posts."""
    from feedback.intake import forum

    try:
        sources = forum.sources_from_config(current_app.config["FORUMS"], only=names,
                                            max_pages=current_app.config["FORUM_MAX_PAGES"])
    except ServiceError as exc:
        fail(exc)
    if not sources:
        raise click.ClickException("no forum configured: add FORUMS to instance/config.py (see README)")
    with db.session_scope() as session:
        runs = forum.fetch_all(session, sources, now=clock.now, timeout=current_app.config["FORUM_TIMEOUT"])
    for run in runs:
        status = f"error: {run.errors}" if run.errors else "ok"
        click.echo(f"{run.source}: {run.new_count} new, {run.duplicate_count} duplicate, "
                   f"{run.quarantined_count} quarantined — {status}")
    if any(run.errors for run in runs):
        sys.exit(1)


AUTOGROUP = Path("/proc/self/autogroup")


def _yield_cpu(niceness: int) -> None:
    """Lower this process's CPU priority (and its forked classifier's): pages first, bulk import second.

    Linux with autogroup shares CPU between sessions first and by nice only within one, so an import in a
    session of its own (as the scheduler, cron, systemd or `setsid` start it) lowers its session's share too.
    A shell's session is left as it is: that would slow the user's other commands after the import.
    """
    if niceness <= 0:
        return
    os.nice(niceness)
    if os.getsid(0) == os.getpid() and AUTOGROUP.exists():
        try:
            AUTOGROUP.write_text(str(niceness))
        except OSError:  # a kernel or container that refuses it: nice alone then
            pass


def _count_files(path: str) -> int | None:
    """How many files a folder holds (cheap, for the progress bar); None for a single file or mbox."""
    if not Path(path).is_dir():
        return None
    return sum(len(files) for _root, _dirs, files in os.walk(path))


def _run_import(items, *, channel: str, source: str, file_name: str, total: int | None, **store_options) -> None:
    """Store items with a progress bar, then print one summary line."""
    _yield_cpu(current_app.config["IMPORT_NICE"])
    started = time.perf_counter()
    with db.session_scope() as session, click.progressbar(
        items, length=total, label=f"importing {channel}", file=sys.stderr, show_pos=True, update_min_steps=50
    ) as bar:
        run = intake.import_items(session, bar, channel=channel, source=source, file_name=file_name,
                                  pause=current_app.config["IMPORT_PAUSE"], **store_options)
    seconds = time.perf_counter() - started
    handled = run.new_count + run.duplicate_count + run.quarantined_count
    click.echo(
        f"{run.new_count} new, {run.duplicate_count} duplicate, {run.quarantined_count} quarantined "
        f"in {seconds:.1f} s ({handled / seconds if seconds else 0:.0f}/s) — import run #{run.id}"
    )
