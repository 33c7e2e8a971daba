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
            from feedback import demo_channels

            stored = demo_channels.load(session, now=clock.now())
            click.echo("demo: " + ", ".join(f"{count} {channel}" for channel, count in stored.items()))


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
                batch_size=exports.BATCH_SIZE)


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


def _count_files(path: str) -> int | None:
    """How many files a folder holds (cheap, for the progress bar); None for a single file or mbox."""
    if not Path(path).is_dir():
        return None
    return sum(len(files) for _root, _dirs, files in os.walk(path))


def _run_import(items, *, channel: str, source: str, file_name: str, total: int | None, batch_size: int = intake.pipeline.BATCH_SIZE) -> None:
    """Store items with a progress bar, then print one summary line."""
    started = time.perf_counter()
    with db.session_scope() as session, click.progressbar(
        items, length=total, label=f"importing {channel}", file=sys.stderr, show_pos=True, update_min_steps=50
    ) as bar:
        run = intake.import_items(session, bar, channel=channel, source=source, file_name=file_name, batch_size=batch_size)
    seconds = time.perf_counter() - started
    handled = run.new_count + run.duplicate_count + run.quarantined_count
    click.echo(
        f"{run.new_count} new, {run.duplicate_count} duplicate, {run.quarantined_count} quarantined "
        f"in {seconds:.1f} s ({handled / seconds if seconds else 0:.0f}/s) — import run #{run.id}"
    )


# --- classification -----------------------------------------------------------------------------


@main.command("train")
@click.option("--csv", "csv_path", type=click.Path(exists=True, dir_okay=False), help="extra labelled rows: columns text,label")
def train(csv_path: str | None) -> None:
    """Train the classifier from person-labelled feedback (plus a labelled CSV); stored in instance/."""
    from feedback import classify

    with db.session_scope() as session:
        try:
            extra = classify.read_labelled_csv(csv_path) if csv_path else []
            figures = classify.train(session, instance_path=current_app.instance_path, extra=extra, now=clock.now())
        except ServiceError as exc:
            fail(exc)
    click.echo(f"model v{figures['version']}: {figures['rows']} rows in {figures['seconds']} s")
    for language, f in figures["languages"].items():
        click.echo(f"  {language}: {f['rows']} rows, cross-validated accuracy {f.get('cv_accuracy', 0):.3f}, "
                   f"macro-F1 {f.get('cv_macro_f1', 0):.3f}")


@main.command("classify")
@click.option("--in", "source", required=True, type=click.Path(exists=True, dir_okay=False), help="CSV with a text column")
@click.option("--out", "target", required=True, type=click.Path(dir_okay=False), help="the same rows plus category,confidence,method")
def classify_file(source: str, target: str) -> None:
    """Classify every text of a CSV file (no triage routing: the best category and its confidence)."""
    from feedback.classify import classifier, files

    with db.session_scope() as session:
        try:
            count = files.classify_csv(classifier(session, current_app.instance_path), source, target)
        except ServiceError as exc:
            fail(exc)
    click.echo(f"{count} rows classified into {target}")


@main.command("classify-eval")
@click.option("--csv", "csv_path", required=True, type=click.Path(exists=True, dir_okay=False), help="CSV with text,label")
def classify_eval(csv_path: str) -> None:
    """Score the current classifier on a labelled CSV: accuracy, macro-F1, per label, confusion."""
    from feedback.classify import classifier, files

    with db.session_scope() as session:
        try:
            scores = files.evaluate_csv(classifier(session, current_app.instance_path), csv_path)
        except ServiceError as exc:
            fail(exc)
    click.echo(files.report(scores))


@main.command("reclassify")
@click.option("--since", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="first business day, YYYY-MM-DD")
def reclassify(since) -> None:
    """Classify again the feedback from a day on that no person has set (after a retrain)."""
    from feedback import classify

    with db.session_scope() as session:
        try:
            count = classify.reclassify(session, since=since.date(), instance_path=current_app.instance_path,
                                        threshold=current_app.config["TRIAGE_CONFIDENCE"])
        except ServiceError as exc:
            fail(exc)
    click.echo(f"{count} items classified again")


# --- tickets ------------------------------------------------------------------------------------


@main.group("ticket")
def ticket_group() -> None:
    """Tickets: list, show, close; assignment and SLA rules."""


@ticket_group.command("list")
@click.option("--view", default="open", show_default=True, help="open, mine, department, overdue or all")
@click.option("--as", "email", help="whose `mine` / `department` (a user's email)")
@click.option("--status")
@click.option("--department", help="department key")
@click.option("--owner", help="user id, or none for the department queue")
@click.option("--category", help="category key")
@click.option("--channel")
@click.option("--priority")
@click.option("--q", help="ticket number or words to search")
@click.option("--limit", default=50, show_default=True)
def ticket_list(email: str | None, limit: int, **args) -> None:
    """List tickets with the filters of the ticket page, due first."""
    from feedback import ticket_lists, tickets

    with db.session_scope() as session:
        try:
            user = tickets.actor(session, email) if email else None
            filters = ticket_lists.TicketFilter.from_args({k: v for k, v in args.items() if v})
            listing = ticket_lists.list_tickets(session, filters, user=user, now=clock.now(), per_page=limit)
        except ServiceError as exc:
            fail(exc)
        for t in listing.page.items:
            owner = listing.owners.get(t.owner_id, "(queue)")
            due = clock.local(t.due_at).strftime("%Y-%m-%d %H:%M") if t.due_at else ""
            click.echo(f"{tickets.number(t.id)}  {t.status:11} {t.priority:7} {due:16}  {owner:20.20}  {t.title}")
        click.echo(f"{len(listing.page.items)} of {listing.page.total}")


@ticket_group.command("show")
@click.argument("number")
def ticket_show(number: str) -> None:
    """A ticket with its feedback items and history."""
    from feedback import ticket_lists, tickets

    with db.session_scope() as session:
        try:
            d = ticket_lists.ticket_detail(session, number)
        except ServiceError as exc:
            fail(exc)
        t, when = d.ticket, lambda m: clock.local(m).strftime("%Y-%m-%d %H:%M") if m else "—"
        owner = d.people[t.owner_id].name if t.owner_id in d.people else "(department queue)"
        click.echo(f"{tickets.number(t.id)}  {t.title}\n  status {t.status}, priority {t.priority}, owner {owner}")
        click.echo(f"  category {d.category.key if d.category else '—'}, opened {when(t.opened_at)}, due {when(t.due_at)}")
        if t.resolution:
            click.echo(f"  resolution: {t.resolution}")
        for f in d.feedback:
            click.echo(f"\n[{f.channel} #{f.id}, {when(f.received_at)}] {f.subject}\n{f.body or f.text}")
        click.echo("\nhistory:")
        for e in d.events:
            who = d.people[e.by_id].name if e.by_id in d.people else "system"
            click.echo(f"  {when(e.at)}  {who}: {e.field} {e.old!r} → {e.new!r} {e.note}".rstrip())


@ticket_group.command("close")
@click.argument("number")
@click.option("--resolution", required=True, help="what was done")
@click.option("--as", "email", required=True, help="the email of the head or manager closing it")
def ticket_close(number: str, resolution: str, email: str) -> None:
    """Close a ticket with its resolution (its department's head or a manager only)."""
    from feedback import tickets

    with db.session_scope() as session:
        try:
            ticket = tickets.close_ticket(session, number, resolution, by=tickets.actor(session, email), now=clock.now())
        except ServiceError as exc:
            fail(exc)
        click.echo(f"{tickets.number(ticket.id)} closed")


@ticket_group.command("assign-rule")
@click.argument("department")
@click.argument("rule", type=click.Choice(["head", "round_robin", "least_open", "queue"]))
def ticket_assign_rule(department: str, rule: str) -> None:
    """How a department's new tickets get an owner: its head, round robin, least open tickets, or the queue."""
    from feedback import assign

    with db.session_scope() as session:
        try:
            assign.set_rule(session, department, rule)
        except ServiceError as exc:
            fail(exc)
    click.echo(f"{department}: {rule}")


@ticket_group.command("sla")
@click.argument("priority", type=click.Choice(["low", "normal", "high", "urgent"]))
@click.argument("hours", type=int, required=False)
@click.option("--category", help="category key (default: the rule for every category)")
def ticket_sla(priority: str, hours: int | None, category: str | None) -> None:
    """Set the business hours to solve tickets of a priority (24 = one business day); no HOURS removes the rule."""
    from feedback import sla

    with db.session_scope() as session:
        try:
            sla.set_rule(session, category, priority, hours)
        except ServiceError as exc:
            fail(exc)
    click.echo(f"{category or 'every category'} / {priority}: {f'{hours} business hours' if hours else 'rule removed'}")


@ticket_group.command("api-token")
@click.option("--as", "email", required=True, help="the user the token acts as (their permissions apply)")
@click.option("--name", required=True, help="what will use it")
@click.option("--read-only", is_flag=True, help="tickets:read only")
def ticket_api_token(email: str, name: str, read_only: bool) -> None:
    """Create a ticket API token acting as a user; it is printed once and only its hash is kept."""
    from feedback import tickets, tokens

    scopes = ["tickets:read"] if read_only else ["tickets:read", "tickets:write"]
    with db.session_scope() as session:
        try:
            _token, plain = tokens.create_token(session, name=name, scopes=scopes, user=tickets.actor(session, email),
                                                now=clock.now())
        except ServiceError as exc:
            fail(exc)
    click.echo(plain)


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
