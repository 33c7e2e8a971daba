"""Response headers, session cookies and their expiry, and the sign-in attempt limit."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, abort, current_app, request, session
from flask_login import user_logged_in, user_loaded_from_cookie
from sqlmodel import Session

from feedback import audit, clock, throttle
from feedback.models import Throttle

# No inline script or style anywhere: templates load static files only (tests scan every template).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
SIGNED_IN_AT = "signed_in_at"


def init_app(app: Flask) -> None:
    """Secure cookies outside debug and tests; every response gets the headers; sessions expire."""
    if app.debug or app.testing:
        # Local runs and the test client speak plain HTTP, where a Secure cookie would never come back.
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = False
    for key in ("SECURE", "HTTPONLY", "SAMESITE"):
        app.config.setdefault(f"REMEMBER_COOKIE_{key}", app.config[f"SESSION_COOKIE_{key}"])
    audit.install()  # the audit log hooks every session, so pages, commands and jobs all record changes
    app.before_request(_refuse_nul)
    app.before_request(_expire_session)
    app.after_request(_add_headers)
    user_logged_in.connect(_note_sign_in, app)
    user_loaded_from_cookie.connect(_note_sign_in, app)


def _refuse_nul() -> None:
    """No text a person types holds NUL, and PostgreSQL refuses it in a query: answer 400, not 500."""
    for values in (request.args, request.form):
        if any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)):
            abort(400, "NUL characters are not allowed in input")


def _add_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _note_sign_in(_app, **_extra) -> None:
    session.permanent = True  # the cookie gets an expiry instead of living as long as the browser
    session[SIGNED_IN_AT] = int(clock.now().timestamp())


def _expire_session() -> None:
    """A sign-in lasts PERMANENT_SESSION_LIFETIME, however busy; a remember-me cookie may renew it."""
    if "_user_id" not in session:
        return
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if clock.now().timestamp() - session.get(SIGNED_IN_AT, 0) > lifetime:
        session.clear()


# --- sign-in attempts -----------------------------------------------------------------------------


def login_key(email: str, address: str | None) -> str:
    return f"login:{email.strip().lower()}:{address or '-'}"


def login_locked(db: Session, key: str, *, limit: int, window_seconds: int, now: datetime) -> bool:
    """True when `key` already failed `limit` times in the current window (only one window is that recent)."""
    hits = db.execute(sa.select(Throttle.hits).where(
        Throttle.key == key[:200], Throttle.window_start > now - timedelta(seconds=window_seconds),
    )).scalar()
    return (hits or 0) >= limit


def login_failed(db: Session, key: str, *, limit: int, window_seconds: int, now: datetime) -> None:
    """Count one failed sign-in in the shared counters."""
    throttle.hit(db, key, limit=limit, window_seconds=window_seconds, now=now)
