"""`feedback serve`: gunicorn in-process, one worker with threads, the scheduler inside it."""

from __future__ import annotations

import gc

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


def warm_up(app: Flask) -> None:
    """Make a fresh web worker answer its first requests as fast as its later ones, with no long pauses.

    Every template is compiled now rather than by somebody's first request. Then the garbage collector
    freezes what the app has built (modules, models, compiled templates): ~130,000 objects a full
    collection would otherwise walk again and again, a 50–60 ms pause of every thread in the worker every
    hundred or so requests.
    """
    for name in app.jinja_env.list_templates(extensions=("html", "txt")):
        app.jinja_env.get_template(name)
    gc.collect()
    gc.freeze()


def serve(app: Flask, *, host: str, port: int, threads: int) -> None:
    """Serve until stopped. One worker, so exactly one scheduler runs (started after the fork)."""

    def after_fork(_worker) -> None:
        warm_up(app)
        if app.config["SCHEDULER"]:
            from feedback import jobs

            jobs.build_scheduler(app).start()
            app.logger.info("scheduler started")

    options = {
        "bind": f"{host}:{port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "post_worker_init": after_fork,
        "accesslog": None if app.config["LOG_JSON"] else "-",  # feedback.logs writes one JSON line per request
        "timeout": 120,
    }
    _Embedded(app, options).run()
