"""The public feedback form: no sign-in, CSRF on, a few submissions per address per hour."""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from feedback import clock, db, submissions, throttle
from feedback.errors import Invalid

bp = Blueprint("public", __name__)
SOURCE = "web form"
WINDOW_SECONDS = 3600


@bp.route("/contact", methods=["GET", "POST"])
def contact():
    form = request.form
    if request.method == "GET":
        return render_template("public/contact.html", form={}, nonce=uuid.uuid4().hex)
    session = db.session()
    limit = current_app.config["PUBLIC_FORM_RATE"]
    if not throttle.hit(session, f"public-form:{request.remote_addr}", limit=limit, window_seconds=WINDOW_SECONDS, now=clock.now()):
        error = _("Too many messages from your address; please try again in an hour.")
        return render_template("public/contact.html", form=form, nonce=form.get("nonce", ""), error=error), 429
    try:
        entry = submissions.parse_item({
            "channel": "survey", "customer": form.get("name", ""), "contact": form.get("contact", ""),
            "order_ref": form.get("order_ref", ""), "text": form.get("message", ""), "external_id": form.get("nonce", ""),
        })
        if not entry.text:
            raise Invalid(_("Please tell us what happened."))
        submissions.submit_one(session, entry, source=SOURCE, file_name="public form", now=clock.now())
    except Invalid as exc:
        return render_template("public/contact.html", form=form, nonce=form.get("nonce", ""), error=str(exc)), 400
    return render_template("public/thanks.html")
