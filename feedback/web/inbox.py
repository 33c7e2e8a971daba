"""Feedback pages: the list everyone searches, one item with its text, headers, files and raw source."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import login_required

from feedback import db, feedbacks, reference
from feedback.models import Channel

bp = Blueprint("inbox", __name__)


@bp.get("/feedback")
@login_required
def index():
    session = db.session()
    filters = feedbacks.FeedbackFilter.from_args(request.args)
    page = feedbacks.list_feedback(
        session, filters, page=request.args.get("page", 1, type=int), per_page=current_app.config["PAGE_SIZE"]
    )
    categories = reference.categories(session)
    return render_template(
        "inbox/list.html", page=page, filters=filters, channels=list(Channel),
        categories=categories, category_by_id={c.id: c for c in categories}, sources=feedbacks.sources(session),
    )


@bp.get("/feedback/<int:feedback_id>")
@login_required
def detail(feedback_id: int):
    return render_template("inbox/detail.html", d=feedbacks.get_feedback(db.session(), feedback_id))


@bp.get("/feedback/<int:feedback_id>/raw")
@login_required
def raw(feedback_id: int):
    """The input exactly as received, as a download: never rendered by the browser."""
    item = feedbacks.get_feedback(db.session(), feedback_id).feedback
    extension = "eml" if item.channel == "email" else "txt"
    return _download(item.raw, f"feedback-{item.id}.{extension}")


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    found = feedbacks.get_attachment(db.session(), attachment_id)
    return _download(found.data, found.filename)


def _download(data: bytes, filename: str) -> Response:
    """Bytes as an attachment; octet-stream and nosniff so hostile files are never run or shown inline."""
    response = Response(data, mimetype="application/octet-stream")
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
