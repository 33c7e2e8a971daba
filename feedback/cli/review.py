"""Commands of the weekly review: build a review, print a week's Pareto, import KPI values."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app

from feedback import clock, db, kpi, pareto, review, tickets
from feedback.cli import fail, main
from feedback.errors import ServiceError


@main.group("review")
def review_group() -> None:
    """The weekly problem review."""


@review_group.command("build")
@click.option("--week", help="ISO week like 2026-W47 (default: last week)")
def review_build(week: str | None) -> None:
    """Build the week's review (safe to run again) and open tickets for its breached KPIs."""
    now = clock.now()
    with db.session_scope() as session:
        try:
            label = pareto.week_label(week, now=now)
            built = review.build(session, label, now=now)
            opened = kpi.check_breaches(session, label, margin=review.settings(current_app.config)["margin"], now=now)
        except ServiceError as exc:
            fail(exc)
        click.echo(f"review {built.iso_week}: {built.status}; {len(opened)} KPI breach tickets opened")


@main.command("pareto")
@click.option("--week", help="ISO week like 2026-W47 (default: last week)")
@click.option("--by", "mode", type=click.Choice(pareto.MODES), default="feedback", show_default=True)
@click.option("--channel", default="")
@click.option("--department", default="")
@click.option("--json", "as_json", is_flag=True, help="one JSON document instead of a table")
def pareto_command(week: str | None, mode: str, channel: str, department: str, as_json: bool) -> None:
    """Rank the week's problem categories; the vital few are marked with *."""
    with db.session_scope() as session:
        try:
            label = pareto.week_label(week, now=clock.now())
            result = pareto.weekly(session, label, mode=mode, channel=channel, department=department,
                                   cut=review.settings(current_app.config)["cut"])
        except ServiceError as exc:
            fail(exc)
    if as_json:
        click.echo(json.dumps(pareto.as_dict(result), ensure_ascii=False))
        return
    click.echo(f"{result.week} by {result.mode}: {result.total} in all, cut {result.cut:.0%}")
    for row in result.rows:
        mark = "*" if row.vital else " "
        click.echo(f"{mark} {row.key:36} {row.value:8} {row.share:7.1%} {row.cumulative:7.1%}  {row.change:+d}")


@main.group("kpi")
def kpi_group() -> None:
    """Department KPIs."""


@kpi_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "email", help="enter the values as this user (their department's KPIs only)")
def kpi_import(path: str, email: str | None) -> None:
    """Import KPI values from a CSV with columns kpi, period_start, period_end, value (all or none)."""
    with db.session_scope() as session:
        try:
            by = tickets.actor(session, email) if email else None
            result = kpi.import_rows(session, kpi.read_csv(Path(path).read_bytes()), by=by, now=clock.now())
        except ServiceError as exc:
            fail(exc)
    if result.errors:
        for error in result.errors:
            click.echo(error, err=True)
        raise click.ClickException(f"nothing imported: {len(result.errors)} bad rows")
    click.echo(f"{result.stored} KPI values stored")
