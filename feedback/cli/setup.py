"""Commands that set an instance up: schema, taxonomy, users, first start."""

from __future__ import annotations

from pathlib import Path

import click
from sqlmodel import select
from flask import current_app

from feedback import clock, db, demo, taxonomy, users
from feedback.errors import ServiceError
from feedback.models import Role, User
from feedback.schemas import UserIn, validated

from feedback.cli import fail, main


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
            from feedback import playbooks

            shipped = playbooks.load_defaults(session, now=clock.now())
        except ServiceError as exc:
            fail(exc)
    click.echo(f"taxonomy from {result.source}: {result.created} created, {result.updated} updated")
    click.echo(f"playbooks: {shipped.playbooks} added, reply templates: {shipped.templates} added")


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
        from feedback.intake import bulk

        bulk.restore_indexes(session)  # an import killed after dropping its deferred indexes left them missing
        result = taxonomy.load(session, taxonomy.taxonomy_file(current_app.instance_path))
        click.echo(f"taxonomy: {result.created} created, {result.updated} updated")
        from feedback import playbooks

        shipped = playbooks.load_defaults(session, now=clock.now())
        click.echo(f"playbooks: {shipped.playbooks} added, reply templates: {shipped.templates} added")
        if with_demo and not session.exec(select(User.id).limit(1)).first():
            created = demo.load_users(session, now=clock.now())
            run = demo.load_mail(session, now=clock.now())
            click.echo(f"demo: {created} users (password {demo.DEMO_PASSWORD!r}), {run.new_count} mails")
            from feedback import demo_channels

            stored = demo_channels.load(session, now=clock.now())
            click.echo("demo: " + ", ".join(f"{count} {channel}" for channel, count in stored.items()))
            from feedback import demo_bulletins

            click.echo(f"demo: {demo_bulletins.load(session, now=clock.now(), config=current_app.config)} bulletins")
            from feedback import demo_review

            click.echo(f"demo: {demo_review.load(session, now=clock.now(), config=current_app.config)} closed weekly reviews")
