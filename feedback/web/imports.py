"""Import runs and the quarantine: what each import found, and the input it could not store."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from feedback import clock, db, quarantine
from feedback.errors import Invalid
from feedback.models import Role
from feedback.web.auth import requires

bp = Blueprint("imports", __name__)
STAFF = (Role.admin, Role.manager, Role.agent)


@bp.get("/imports")
@requires(*STAFF)
def runs():
    page = quarantine.list_runs(
        db.session(), channel=request.args.get("channel", ""), page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template("imports/runs.html", page=page)


@bp.get("/quarantine")
@requires(*STAFF)
def held():
    status = request.args.get("status", "held")
    page = quarantine.list_items(
        db.session(), status="" if status == "all" else status, run=request.args.get("run", type=int),
        page=request.args.get("page", 1, type=int), per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template("imports/quarantine.html", page=page, status=status)


@bp.get("/quarantine/<int:item_id>")
@requires(*STAFF)
def item(item_id: int):
    found = quarantine.get_item(db.session(), item_id)
    text = found.raw[:200_000].decode("utf-8", errors="replace")
    return render_template("imports/quarantine_item.html", item=found, text=text, truncated=len(found.raw) > 200_000)


@bp.post("/quarantine/<int:item_id>/retry")
@requires(Role.admin, Role.manager)
def retry(item_id: int):
    try:
        run = quarantine.retry(db.session(), item_id, now=clock.now)
    except Invalid as exc:
        flash(str(exc), "error")
        return redirect(url_for("imports.item", item_id=item_id))
    flash(_("Stored: %(new)d new, %(dup)d already there.", new=run.new_count, dup=run.duplicate_count), "success")
    return redirect(url_for("imports.held"))


@bp.post("/quarantine/<int:item_id>/discard")
@requires(Role.admin, Role.manager)
def discard(item_id: int):
    quarantine.discard(db.session(), item_id)
    flash(_("Discarded. The input stays on record."), "info")
    return redirect(url_for("imports.held"))
