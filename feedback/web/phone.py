"""The phone desk: agents log a call as it happens, keyboard first, and see the calls just logged."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from feedback import classify, clock, db, feedbacks, submissions, taxonomy
from feedback.errors import Invalid
from feedback.intake.phone import PAGE_SOURCE
from feedback.models import Role
from feedback.web.auth import requires
from feedback.web.filters import localized_name

bp = Blueprint("phone", __name__)
DESK = (Role.admin, Role.manager, Role.agent)
FIELDS = ("customer", "contact", "order_ref", "product_ref", "text")


@bp.route("/phone", methods=["GET", "POST"])
@requires(*DESK)
def log_call():
    form = request.form
    if request.method == "POST":
        try:
            entry = submissions.parse_item(_call(form))
            result = submissions.submit_one(db.session(), entry, source=PAGE_SOURCE,
                                            file_name=f"logged by {current_user.email}", now=clock.now())
        except Invalid as exc:
            flash(str(exc), "error")
            return _page(form, form.get("call_id") or uuid.uuid4().hex), 400
        message = _("Call logged as feedback #%(id)d.", id=result.feedback_id) if result.created else \
            _("This call was logged already (feedback #%(id)d).", id=result.feedback_id)
        flash(message, "success")
        return redirect(url_for("phone.log_call"))
    return _page({}, uuid.uuid4().hex)


def _call(form) -> dict:
    """The form as a feedback item; the call id makes a double submit store the call once."""
    data = {name: form.get(name, "") for name in FIELDS} | {"channel": "phone", "external_id": form.get("call_id", "")}
    if form.get("called_at"):
        data["received_at"] = form["called_at"]  # local business time, as the agent's clock shows it
    return data


def _page(form, call_id: str):
    recent = feedbacks.list_feedback(db.session(), feedbacks.FeedbackFilter(channel="phone", source=PAGE_SOURCE), per_page=10)
    return render_template("phone/log.html", form=form, call_id=call_id, recent=recent.items,
                           now_local=clock.local(clock.now()).strftime("%Y-%m-%dT%H:%M"))


@bp.get("/phone/suggest")
@requires(*DESK)
def suggest():
    """The category the classifier gives the text typed so far (JSON), with its confidence."""
    session = db.session()
    text = request.args.get("text", "")[:5000]
    settings = classify.app_settings()
    prediction = classify.classifier(session, settings["instance_path"]).predict([text])[0]
    sure = prediction.confidence >= settings["threshold"]
    category = next((c for c in taxonomy.categories(session) if c.key == prediction.category), None) if sure else None
    return jsonify(category=category.key if category else "", label=localized_name(category) if category else "",
                   confidence=round(prediction.confidence, 2))
