"""The `feedback` command: thin commands over the same services the pages use."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
from sqlmodel import select
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command

from feedback import clock, create_app, db, demo, intake, taxonomy, users
from feedback.errors import ServiceError
from feedback.models import Role, User
from feedback.schemas import UserIn, validated


def _create_app(*_args):
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def main() -> None:
    """The feedback tracker: intake, classification, tickets, bulletin and weekly review."""


main.add_command(shell_command)
main.add_command(routes_command)


def fail(exc: ServiceError) -> None:
    raise click.ClickException(str(exc))


# --- database ---------------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Schema migrations (Alembic), on SQLite and PostgreSQL alike."""


def migrations():
    """Alembic, imported only by the commands that migrate (it costs a tenth of a second at start-up)."""
    from feedback import migrations

    return migrations


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Bring the database schema up to date."""
    migrations().upgrade(db.engine(), revision)
    click.echo(f"database at revision {migrations().current(db.engine())}")


@db_group.command("current")
def db_current() -> None:
    """Show the schema revision of the database."""
    click.echo(migrations().current(db.engine()) or "empty (run `feedback db upgrade`)")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """(Developers) autogenerate a migration from the models."""
    migrations().revision(db.engine(), message)


# --- taxonomy, users, demo --------------------------------------------------------------------


@main.group("taxonomy")
def taxonomy_group() -> None:
    """Departments, categories and KPIs."""


@taxonomy_group.command("load")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), help="defaults to instance/taxonomy.toml, else the shipped one")
def taxonomy_load(path: str | None) -> None:
    """Load the taxonomy (safe to run again: updates in place)."""
    source = Path(path) if path else taxonomy.taxonomy_file(current_app.instance_path)
    with db.session_scope() as session:
        try:
            result = taxonomy.load(session, source)
        except ServiceError as exc:
            fail(exc)
    click.echo(f"taxonomy from {result.source}: {result.created} created, {result.updated} updated")


@main.group("user")
def user_group() -> None:
    """People who sign in."""


@user_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--department", help="department key (required for heads)")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_create(email: str, name: str, role: str, department: str | None, password: str) -> None:
    """Add a user."""
    with db.session_scope() as session:
        try:
            data = validated(UserIn, email=email, name=name, role=role, password=password, department=department)
            user = users.create_user(session, data, now=clock.now())
        except ServiceError as exc:
            fail(exc)
        click.echo(f"created {user.email} ({user.role})")


@user_group.command("list")
def user_list() -> None:
    """List users."""
    with db.session_scope() as session:
        page = users.list_users(session, per_page=10_000)
        for user in page.items:
            state = "" if user.active else "  (inactive)"
            click.echo(f"{user.email:32} {user.role:8} {user.name}{state}")


@main.command("init")
@click.option("--demo/--no-demo", "with_demo", default=False, help="also load demo data on first start")
def init(with_demo: bool) -> None:
    """Migrate the database, load the taxonomy and (with --demo) the demo data on first start."""
    migrations().upgrade(db.engine())
    with db.session_scope() as session:
        result = taxonomy.load(session, taxonomy.taxonomy_file(current_app.instance_path))
        click.echo(f"taxonomy: {result.created} created, {result.updated} updated")
        if with_demo and not session.exec(select(User.id).limit(1)).first():
            created = demo.load_users(session, now=clock.now())
            run = demo.load_mail(session, now=clock.now())
            click.echo(f"demo: {created} users (password {demo.DEMO_PASSWORD!r}), {run.new_count} mails")


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


def _count_files(path: str) -> int | None:
    """How many files a folder holds (cheap, for the progress bar); None for a single file or mbox."""
    if not Path(path).is_dir():
        return None
    return sum(len(files) for _root, _dirs, files in os.walk(path))


def _run_import(items, *, channel: str, source: str, file_name: str, total: int | None) -> None:
    """Store items with a progress bar, then print one summary line."""
    started = time.perf_counter()
    with db.session_scope() as session, click.progressbar(
        items, length=total, label=f"importing {channel}", file=sys.stderr, show_pos=True, update_min_steps=50
    ) as bar:
        run = intake.import_items(session, bar, channel=channel, source=source, file_name=file_name)
    seconds = time.perf_counter() - started
    handled = run.new_count + run.duplicate_count + run.quarantined_count
    click.echo(
        f"{run.new_count} new, {run.duplicate_count} duplicate, {run.quarantined_count} quarantined "
        f"in {seconds:.1f} s ({handled / seconds if seconds else 0:.0f}/s) — import run #{run.id}"
    )


# --- serving ------------------------------------------------------------------------------------


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--threads", default=8, show_default=True)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the app in one process, with the scheduler inside unless FEEDBACK_SCHEDULER=false."""
    from feedback import server

    server.serve(current_app._get_current_object(), host=host, port=port, threads=threads)


@main.command("scheduler")
def scheduler() -> None:
    """Run the scheduler alone (for deployments with several web workers)."""
    from feedback import jobs

    click.echo("scheduler running; Ctrl-C stops it")
    jobs.build_scheduler(current_app._get_current_object(), blocking=True).start()
