"""Triage: the items classification was unsure of, one key per category, and the model's figures."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from feedback import classify, clock, db, reference
from feedback.errors import ServiceError
from feedback.models import Role
from feedback.web.auth import requires

bp = Blueprint("triage", __name__)
STAFF = (Role.admin, Role.manager, Role.agent)
KEYS = "1234567890qwertyuiop"  # one key per category in taxonomy order; j, k and x move and select


def _choices(session) -> list[tuple[str, object]]:
    active = [c for c in sorted(reference.categories(session), key=lambda c: c.id) if c.active]
    return list(zip(KEYS, active))


@bp.get("/triage")
@requires(*STAFF)
def index():
    session = db.session()
    threshold = current_app.config["TRIAGE_CONFIDENCE"]
    page = classify.queue(session, threshold=threshold, page=request.args.get("page", 1, type=int),
                          per_page=current_app.config["PAGE_SIZE"])
    texts = [f.text or f"{f.subject}\n{f.body}" for f in page.items]
    suggestions = classify.classifier(session, current_app.instance_path).predict(texts) if texts else []
    categories = {c.id: c for c in reference.categories(session)}
    return render_template(
        "triage/index.html", page=page, choices=_choices(session), threshold=threshold,
        rows=list(zip(page.items, suggestions)), category_by_id=categories,
        category_by_key={c.key: c for c in categories.values()},
    )


@bp.post("/triage")
@requires(*STAFF)
def apply():
    ids = request.form.getlist("ids", type=int)
    try:
        changed = classify.set_category(db.session(), ids, request.form.get("category", ""), by=current_user, now=clock.now())
    except ServiceError as exc:
        flash(str(exc), "error")
    else:
        flash(_("%(n)d item(s) classified, %(changed)d changed.", n=len(ids), changed=len(changed)), "success")
    return redirect(url_for("triage.index", page=request.form.get("page", type=int) or None))


@bp.get("/triage/model")
@requires(*STAFF)
def model():
    threshold = current_app.config["TRIAGE_CONFIDENCE"]
    return render_template(
        "triage/model.html", figures=classify.model_figures(current_app.instance_path), threshold=threshold,
        waiting=classify.queue_size(db.session(), threshold=threshold),
    )
