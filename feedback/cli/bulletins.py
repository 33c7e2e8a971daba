"""Commands for the daily bulletin: draft, issue and show one business day's bulletin."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app

from feedback import clock, db
from feedback.cli import fail, main
from feedback.errors import ServiceError


def _day(value: str | None) -> date:
    """--day YYYY-MM-DD, default yesterday in the business time zone."""
    if not value:
        return clock.yesterday(clock.now())
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("a date like 2026-11-24", param_hint="--day") from None


@main.group("bulletin")
def bulletin_group() -> None:
    """The daily feedback bulletin: draft, issue, show."""


@bulletin_group.command("draft")
@click.option("--day", help="business day YYYY-MM-DD (default: yesterday)")
@click.option("--refresh", is_flag=True, help="recompute the figures of an existing draft, keeping its commentary")
def bulletin_draft(day: str | None, refresh: bool) -> None:
    """Draft a day's bulletin (an existing one is kept as it is unless --refresh)."""
    from feedback import bulletin

    with db.session_scope() as session:
        try:
            found = bulletin.draft(session, _day(day), now=clock.now(), config=current_app.config)
            if refresh:
                found = bulletin.refresh(session, found.business_date, now=clock.now(), config=current_app.config)
        except ServiceError as exc:
            fail(exc)
        click.echo(f"bulletin {found.business_date.isoformat()}: {found.status}")


@bulletin_group.command("issue")
@click.option("--day", help="business day YYYY-MM-DD (default: yesterday)")
@click.option("--as", "email", help="who issues it (a manager's email); default: no one (the system)")
def bulletin_issue(day: str | None, email: str | None) -> None:
    """Issue a day's draft and mail it to the department heads and BULLETIN_RECIPIENTS."""
    from feedback import bulletin, tickets

    with db.session_scope() as session:
        try:
            by = tickets.actor(session, email) if email else None
            issued = bulletin.issue(session, _day(day), by=by, now=clock.now(), config=current_app.config)
        except ServiceError as exc:
            fail(exc)
        click.echo(f"bulletin {issued.business_date.isoformat()}: issued to {len(issued.recipients or [])} recipients")


@bulletin_group.command("show")
@click.option("--day", help="business day YYYY-MM-DD (default: yesterday)")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
def bulletin_show(day: str | None, fmt: str) -> None:
    """Print a day's bulletin as Markdown, or as the sanitised HTML the page shows (with its chart)."""
    from feedback import bulletin

    with db.session_scope() as session:
        found = bulletin.view(session, _day(day))
        if found.bulletin is None:
            raise click.ClickException(f"no bulletin for {found.day.isoformat()}; run `feedback bulletin draft --day …`")
        click.echo(found.bulletin.markdown if fmt == "md" else f"{found.chart}\n{found.html}")
