"""Admin page for API tokens: create one acting as a chosen user (its value is shown once), see when each was used, revoke."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from feedback import clock, db, tokens
from feedback.errors import Invalid
from feedback.models import Role
from feedback.web.auth import requires

bp = Blueprint("tokens", __name__, url_prefix="/admin/tokens")


def _page(plain: str | None = None) -> str:
    session = db.session()
    found = tokens.list_tokens(session)
    return render_template("tokens/index.html", tokens=found, scopes=tokens.SCOPES, plain=plain,
                           people=tokens.acting_choices(session), acting=tokens.users_of(session, found))


@bp.get("")
@requires(Role.admin)
def index():
    return _page()


@bp.post("")
@requires(Role.admin)
def create():
    session = db.session()
    try:
        # Without the field (older forms, scripts) the token acts as the admin creating it.
        user = tokens.acting_user(session, request.form.get("user_id", str(current_user.id)))
        token, plain = tokens.create_token(session, name=request.form.get("name", ""), scopes=request.form.getlist("scopes"),
                                           user=user, now=clock.now())
    except Invalid as exc:
        flash(str(exc), "error")
        return redirect(url_for("tokens.index"))
    flash(_("Token %(name)s created. Copy it now: it is not shown again.", name=token.name), "success")
    # Rendered, not redirected: the plain value must never travel in a URL or the session.
    return _page(plain)


@bp.post("/<int:token_id>/revoke")
@requires(Role.admin)
def revoke(token_id: int):
    token = tokens.revoke_token(db.session(), token_id, now=clock.now())
    flash(_("Token %(name)s revoked.", name=token.name), "info")
    return redirect(url_for("tokens.index"))
