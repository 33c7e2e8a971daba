"""The home page each role lands on."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from feedback import db, taxonomy

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    department = None
    if current_user.department_id:
        department = next(
            (d for d in taxonomy.department_choices(db.session()) if d.id == current_user.department_id), None
        )
    return render_template("home/index.html", department=department)
