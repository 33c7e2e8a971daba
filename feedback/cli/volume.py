"""`feedback demo --feedback N`: volume data for rehearsals and benchmarks, built by the tracker's own rules."""

from __future__ import annotations

import time

import click

from feedback import clock, db, demo_volume
from feedback.cli import main


@main.command("demo")
@click.option("--feedback", "count", type=click.IntRange(1), required=True, help="how many feedback items in all")
@click.option("--tickets", type=click.IntRange(0), help="how many tickets they form (default: a fifth of --feedback)")
@click.option("--seed", default=7, show_default=True, help="the same seed gives the same data")
def demo(count: int, tickets: int | None, seed: int) -> None:
    """Add N feedback items over the last two years (run `feedback init` first); adds to what is there."""
    started = time.perf_counter()
    try:
        built = demo_volume.build(db.engine(), feedback=count, tickets=count // 5 if tickets is None else tickets,
                                  now=clock.now(), seed=seed)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"demo: {built['feedback']} feedback, {built['tickets']} tickets in {time.perf_counter() - started:.1f} s; "
               f"sign in as manager@{demo_volume.DOMAIN} (password {demo_volume.PASSWORD!r})")
