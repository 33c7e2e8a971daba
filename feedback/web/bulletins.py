"""Bulletin pages: one day's bulletin (read, edit with live preview, refresh, issue, correct), print, archive."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from feedback import bulletin, clock, db, markup
from feedback.errors import Invalid
from feedback.mail import MailError
from feedback.models import Role
from feedback.web.auth import requires

bp = Blueprint("bulletins", __name__, url_prefix="/bulletins")
EDITORS = (Role.admin, Role.manager)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


def _back(day: date):
    return redirect(url_for("bulletins.show", day=day.isoformat()))


@bp.get("")
@login_required
def today():
    """Today's bulletin is the one about yesterday (business time)."""
    return _back(clock.yesterday(clock.now()))


@bp.get("/<day>")
@login_required
def show(day: str):
    found = bulletin.view(db.session(), _day(day))
    return render_template("bulletin/show.html", v=found, editor=current_user.role in EDITORS, timedelta=timedelta)


@bp.get("/<day>/print")
@login_required
def printable(day: str):
    found = bulletin.view(db.session(), _day(day))
    if found.bulletin is None:
        abort(404)
    return render_template("bulletin/print.html", v=found)


@bp.post("/<day>/draft")
@requires(*EDITORS)
def draft(day: str):
    bulletin.draft(db.session(), _day(day), now=clock.now(), config=current_app.config)
    flash(_("The draft is ready."), "success")
    return _back(_day(day))


@bp.post("/<day>/<action>")
@requires(*EDITORS)
def act(day: str, action: str):
    """Save, refresh, issue or correct: each one service call on the text the editor holds."""
    when, text, session, config = _day(day), request.form.get("markdown"), db.session(), current_app.config
    try:
        if action == "save":
            bulletin.save(session, when, text or "", now=clock.now())
            flash(_("Draft saved."), "success")
        elif action == "refresh":
            bulletin.refresh(session, when, text=text, now=clock.now(), config=config)
            flash(_("Figures refreshed; your commentary is kept."), "success")
        elif action == "issue":
            issued = bulletin.issue(session, when, text=text, by=current_user, now=clock.now(), config=config)
            flash(_("Bulletin issued and mailed to %(n)d recipients.", n=len(issued.recipients or [])), "success")
        elif action == "revise":
            revision = bulletin.revise(session, when, text or "", note=request.form.get("note", ""), by=current_user,
                                       now=clock.now(), config=config)
            flash(_("Correction issued as revision %(n)d and mailed.", n=revision.number), "success")
        else:
            abort(404)
    except Invalid as exc:
        flash(str(exc), "error")
    except MailError as exc:
        flash(_("Issued, but the mail could not be sent: %(error)s", error=str(exc)), "error")
    return _back(when)


@bp.post("/preview")
@requires(*EDITORS)
def preview():
    """The editor's live preview: the same sanitising renderer the page uses."""
    return jsonify(html=str(markup.render_markdown(request.form.get("markdown", "")[:bulletin.MAX_MARKDOWN])))


@bp.get("/archive")
@login_required
def archive():
    try:
        month = date.fromisoformat(request.args.get("month", "") + "-01")
    except ValueError:
        month = None
    found = bulletin.archive(db.session(), month=month, q=request.args.get("q", ""), now=clock.now())
    previous = (found.month - timedelta(days=1)).replace(day=1)
    following = (found.month + timedelta(days=32)).replace(day=1)
    return render_template("bulletin/archive.html", a=found, previous=previous, following=following)
