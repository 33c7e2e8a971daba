"""Playbook pages: the list, one playbook with its versions and diffs, the edit form, the proposals queue,
and the ticket page's panel (playbook, similar past resolutions, reply to the customer)."""

from __future__ import annotations

import functools

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup

from feedback import clock, db, playbooks, reference, replies, similar, tickets
from feedback.errors import Invalid
from feedback.web.auth import signed_in_user
from feedback.web.filters import chinese
from feedback.markup import render_markdown
from feedback.models import Role, User

bp = Blueprint("playbooks", __name__)



def _language() -> str:
    return "zh" if chinese() else "en"


@bp.app_template_filter("time_to_close")
def time_to_close(span) -> str:
    parts = similar.duration(span)
    if parts is None:
        return "—"
    days, hours = parts
    return _("%(d)d d %(h)d h", d=days, h=hours) if days else _("%(h)d h", h=hours)


@bp.get("/playbooks")
@login_required
def index():
    session = db.session()
    waiting = len(playbooks.pending(session, signed_in_user()))
    return render_template("playbooks/index.html", rows=playbooks.listing(session), waiting=waiting)


@bp.get("/playbooks/<key>")
@login_required
def view(key: str):
    session = db.session()
    category = playbooks.category(session, key)
    versions = playbooks.history(session, category.id)
    chosen = request.args.get("version", type=int) or (versions[0][0].number if versions else None)
    index = next((i for i, (v, _author) in enumerate(versions) if v.number == chosen), None)
    if versions and index is None:
        abort(404)
    shown = versions[index][0] if versions else None
    previous = versions[index + 1][0] if versions and index + 1 < len(versions) else None
    diffs = {lang: playbooks.diff(getattr(previous, f"body_{lang}"), getattr(shown, f"body_{lang}"))
             for lang in playbooks.LANGUAGES} if previous else {}
    return render_template(
        "playbooks/view.html", category=category, versions=versions, shown=shown, previous=previous, diffs=diffs,
        shown_author=versions[index][1] if versions else "",
        bodies={lang: render_markdown(getattr(shown, f"body_{lang}")) for lang in playbooks.LANGUAGES} if shown else {},
        may_edit=playbooks.may_edit(signed_in_user(), category), language=_language(),
        templates=replies.templates(session, category.id),
    )


@bp.route("/playbooks/<key>/edit", methods=["GET", "POST"])
@login_required
def edit(key: str):
    """The edit form; "Preview" renders the Markdown without saving, "Save" adds a version."""
    session = db.session()
    category = playbooks.category(session, key)
    if not playbooks.may_edit(signed_in_user(), category):
        abort(403)
    latest = playbooks.current(session, category.id)
    form = request.form
    if request.method == "POST" and form.get("action") == "save":
        try:
            version = playbooks.save(session, key, form.get("body_en", ""), form.get("body_zh", ""), form.get("note", ""),
                                     by=signed_in_user(), now=clock.now())
        except Invalid as exc:
            session.rollback()
            flash(str(exc), "error")
        else:
            flash(_("Saved as version %(n)d.", n=version.number), "success")
            return redirect(url_for("playbooks.view", key=key))
    values = form if request.method == "POST" else {
        "body_en": latest.body_en if latest else "", "body_zh": latest.body_zh if latest else "", "note": "",
    }
    preview = None
    if request.method == "POST":  # a preview, or a save that failed: show what was typed, rendered
        preview = {lang: render_markdown(values.get(f"body_{lang}", "")) for lang in playbooks.LANGUAGES}
    templates = {t.language: t for t in replies.templates(session, category.id)}
    return render_template("playbooks/edit.html", category=category, latest=latest, values=values, preview=preview,
                           templates=templates, languages=playbooks.LANGUAGES)


@bp.post("/playbooks/<key>/replies/<language>")
@login_required
def save_reply(key: str, language: str):
    session = db.session()
    category = playbooks.category(session, key)
    try:
        replies.save_template(session, category, language, request.form.get("subject", ""), request.form.get("body", ""),
                              by=signed_in_user(), now=clock.now())
    except Invalid as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Reply template saved."), "success")
    return redirect(url_for("playbooks.edit", key=key))


@bp.get("/playbooks/proposals")
@login_required
def proposals():
    if signed_in_user().role not in (Role.head, Role.manager, Role.admin):
        abort(403)
    return render_template("playbooks/proposals.html", queue=playbooks.pending(db.session(), signed_in_user()))


@bp.post("/playbooks/proposals/<int:proposal_id>/<decision>")
@login_required
def decide(proposal_id: int, decision: str):
    """Accept (with the text as the head edited it) or reject (with a reason); the service checks who may."""
    session, form = db.session(), request.form
    try:
        if decision == "accept":
            version = playbooks.accept(session, proposal_id, form.get("text"), by=signed_in_user(), now=clock.now())
            flash(_("Added to the playbook as version %(n)d.", n=version.number), "success")
        elif decision == "reject":
            playbooks.reject(session, proposal_id, form.get("reason", ""), by=signed_in_user(), now=clock.now())
            flash(_("Proposal rejected."), "success")
        else:
            abort(404)
    except Invalid as exc:
        session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("playbooks.proposals"))


@bp.post("/tickets/<int:ticket_id>/reply")
@login_required
def reply(ticket_id: int):
    """Mail the customer from the ticket page; the reply lands in the ticket's history."""
    session, form = db.session(), request.form
    try:
        address = replies.send_reply(session, current_app.config, ticket_id, form.get("subject", ""), form.get("body", ""),
                                     by=signed_in_user(), now=clock.now())
    except Invalid as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Reply sent to %(address)s.", address=address), "success")
    return redirect(url_for("tickets.detail", ticket_id=ticket_id))


@bp.get("/tickets/<int:ticket_id>/similar")
@login_required
def similar_panel(ticket_id: int):
    """The similar past resolutions of a ticket, fetched by the ticket page once it is shown: the page itself
    stays fast, and this ranking (a few ms over the word index) arrives a moment later."""
    session = db.session()
    ticket = tickets.get_ticket(session, ticket_id)
    actions = tickets.available(signed_in_user(), ticket)
    return render_template("playbooks/_similar.html", similar=similar.similar_resolutions(session, ticket),
                           can_copy="close" in actions or "resolve" in actions)


@functools.lru_cache(maxsize=64)
def _rendered(text: str) -> Markup:
    """A playbook's HTML: versions never change, and every ticket of a category shows the same one."""
    return render_markdown(text)


def ticket_panel(session, detail, user: User) -> dict:
    """What the ticket page shows beside the feedback: playbook, similar past resolutions, reply templates."""
    ticket, language = detail.ticket, _language()
    version = reference.playbook(session, ticket.category_id) if ticket.category_id else None
    spoken = next((f.language for f in detail.feedback if f.language in replies.LANGUAGES), language)
    return {
        "category": detail.category,
        "version": version,
        "playbook": _rendered(playbooks.body(version, language)) if version else None,
        "may_edit": bool(detail.category) and playbooks.may_edit(user, detail.category),
        "replies": replies.filled_for(session, ticket, items=detail.feedback),
        "reply_to": replies.customer_address(session, ticket, items=detail.feedback),
        "reply_language": spoken,
        "may_reply": tickets.may(user, ticket, "comment"),
    }
