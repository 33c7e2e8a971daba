"""The home page each role lands on: the manager's morning, a head's department, an agent's own tickets."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from feedback import clock, db, overview
from feedback.models import Role

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    session, now, user = db.session(), clock.now(), current_user._get_current_object()
    figures = {}
    if user.role in (Role.manager, Role.admin, Role.viewer):
        figures["manager"] = overview.manager_home(session, now=now)
    if user.role == Role.head:
        figures["head"] = overview.head_home(session, user, now=now)
    if user.role == Role.agent:
        figures["agent"] = overview.agent_home(session, user, now=now)
    endpoints = current_app.view_functions
    return render_template("home/index.html", **figures, now=now, has=lambda endpoint: endpoint in endpoints)
