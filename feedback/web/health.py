"""/healthz for load balancers and process supervisors: database reachable, scheduler alive. No sign-in."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from feedback import clock, db, jobs

bp = Blueprint("health", __name__)


def check(session, *, now: datetime, max_age: int) -> dict:
    """The health figures: `ok`, whether the database answered, and the scheduler heartbeat's age.

    A heartbeat older than `max_age` seconds (or none at all) is unhealthy only when a scheduler is
    expected (`max_age` > 0): web workers run without one, and one `feedback scheduler` beats for all.
    """
    try:
        session.execute(sa.text("SELECT 1"))
        beat = jobs.last_beat(session)
    except SQLAlchemyError as exc:
        session.rollback()
        return {"ok": False, "database": False, "error": type(exc).__name__}
    age = round((now - beat).total_seconds(), 1) if beat else None
    stale = max_age > 0 and (age is None or age > max_age)
    return {"ok": not stale, "database": True, "heartbeat_age_s": age, "heartbeat_max_age_s": max_age or None}


@bp.get("/healthz")
def healthz():
    figures = check(db.session(), now=clock.now(), max_age=current_app.config["HEALTH_HEARTBEAT_MAX_AGE"])
    response = jsonify(figures)
    response.status_code = 200 if figures["ok"] else 503
    response.headers["Cache-Control"] = "no-store"
    return response
