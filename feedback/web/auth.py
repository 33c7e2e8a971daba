"""Sign-in, sign-out, language choice and the role guard used by every blueprint."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from feedback import clock, db, users
from feedback.web import security

bp = Blueprint("auth", __name__)


def signed_in_user():
    """The signed-in User itself (not Flask-Login's proxy), as the services want it."""
    return current_user._get_current_object()


def requires(*roles: str):
    """Let only signed-in users with one of these roles through; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def guarded(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorator


def bearer_token() -> str:
    """The token of an `Authorization: Bearer …` header, or ''."""
    kind, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if kind.lower() == "bearer" else ""


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    if request.method == "POST":
        email, limits = request.form.get("email", ""), _login_limits()
        key = security.login_key(email, request.remote_addr)
        if security.login_locked(db.session(), key, **limits, now=clock.now()):
            flash(_("Too many failed sign-ins for this account from your address; please try again later."), "error")
            return render_template("auth/login.html", email=email), 429
        user = users.authenticate(db.session(), email, request.form.get("password", ""))
        if user:
            login_user(user, remember=bool(request.form.get("remember")))
            return redirect(_safe_next(request.args.get("next")))
        security.login_failed(db.session(), key, **limits, now=clock.now())
        flash(_("Wrong email or password."), "error")
    return render_template("auth/login.html", email=request.form.get("email", ""))


def _login_limits() -> dict:
    config = current_app.config
    return {"limit": config["LOGIN_MAX_FAILURES"], "window_seconds": config["LOGIN_FAILURE_WINDOW"]}


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site."""
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language():
    """Switch between English and Chinese; remembered on the user when signed in."""
    choice = request.form.get("language", "en")
    if choice not in ("en", "zh"):
        abort(400)
    session["language"] = choice
    if current_user.is_authenticated:
        users.set_language(db.session(), current_user, choice)
    return redirect(_safe_next(request.form.get("next")))
