"""The feedback tracker. `create_app()` wires configuration, database, web and CLI together."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from feedback import clock, config, db, logs, tickets


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: defaults → instance/config.py → FEEDBACK_* environment → `overrides`."""
    instance = config.instance_path()
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    app.config.from_mapping(config.defaults())
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(config.from_environment(app.config))
    app.config.update(overrides or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'feedback.db'}"

    clock.configure(app.config)
    tickets.configure(app.config)
    db.init_app(app)
    logs.init_app(app)  # one JSON line per request on stderr

    from feedback import web

    web.init_app(app)
    return app
