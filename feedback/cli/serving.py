"""Commands that serve the app and run the scheduler."""

from __future__ import annotations

import signal
import threading
from datetime import datetime

import click
from flask import current_app

from feedback import clock
from feedback.cli import main


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
    """Run the scheduler alone (for deployments with several web workers: exactly one of these)."""
    from feedback import jobs

    simulated = bool(current_app.config["CLOCK"])
    if simulated:
        _follow_simulated_clock()
    built = jobs.build_scheduler(current_app._get_current_object(), blocking=True)
    if simulated:
        _scale_waits(built)
    _stop_on_signals(built)
    click.echo("scheduler running; Ctrl-C stops it", err=True)
    built.start()


def _stop_on_signals(built) -> None:
    """SIGINT and SIGTERM stop the scheduler; the jobs running then finish before the process exits.

    Set explicitly: systemd stops a service with SIGTERM, which Python would otherwise die of mid-job, and a
    process started in the background by a shell inherits SIGINT ignored. The handler only starts a thread:
    it runs inside whatever the main thread was doing, and shutting the scheduler down right there, in the
    middle of its own job bookkeeping, can deadlock or corrupt it.
    """
    def stop(_signum, _frame) -> None:
        threading.Thread(target=built.shutdown, kwargs={"wait": False}, name="stop", daemon=True).start()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, stop)


# --- a simulated clock (FEEDBACK_CLOCK, tests and rehearsals only) -------------------------------


class _ClockDatetime(datetime):
    """datetime whose now() is clock.now(): APScheduler reads the wall clock through `datetime.now`."""

    @classmethod
    def now(cls, tz=None):
        moment = clock.now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


def _follow_simulated_clock() -> None:
    """Make APScheduler's idea of "now" the simulated clock, so cron and interval jobs fire on its time line."""
    from apscheduler.executors import base as executors
    from apscheduler.schedulers import base as schedulers

    schedulers.datetime = executors.datetime = _ClockDatetime


def _scale_waits(built) -> None:
    """Sleep simulated seconds as wall-clock seconds / speed; run late jobs rather than drop them."""
    for job in built.get_jobs():
        job.misfire_grace_time = None  # a busy machine must not turn a simulated hour's lateness into a skip
    process_jobs, speed = built._process_jobs, clock.speed()

    def scaled():
        wait = process_jobs()
        return None if wait is None else min(wait / speed, 1.0)

    built._process_jobs = scaled
