"""Commands that serve the app and run the scheduler."""

from __future__ import annotations


import click
from flask import current_app


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
    """Run the scheduler alone (for deployments with several web workers)."""
    from feedback import jobs

    click.echo("scheduler running; Ctrl-C stops it")
    jobs.build_scheduler(current_app._get_current_object(), blocking=True).start()
