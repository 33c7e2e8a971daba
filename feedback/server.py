"""`feedback serve`: gunicorn in-process, one worker with threads, the scheduler inside it."""

from __future__ import annotations

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Embedded(BaseApplication):
    def __init__(self, app: Flask, options: dict):
        self.application, self.options = app, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def serve(app: Flask, *, host: str, port: int, threads: int) -> None:
    """Serve until stopped. One worker, so exactly one scheduler runs (started after the fork)."""

    def start_scheduler(_worker) -> None:
        if app.config["SCHEDULER"]:
            from feedback import jobs

            jobs.build_scheduler(app).start()
            app.logger.info("scheduler started")

    options = {
        "bind": f"{host}:{port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "post_worker_init": start_scheduler,
        "accesslog": None if app.config["LOG_JSON"] else "-",  # feedback.logs writes one JSON line per request
        "timeout": 120,
    }
    _Embedded(app, options).run()
