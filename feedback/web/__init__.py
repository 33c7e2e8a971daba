"""Web wiring: CSRF, sign-in, translations, blueprints, error pages and template helpers."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from feedback import db
from feedback.models import User

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


def select_locale() -> str:
    """The user's saved language, else the one picked this session, else the browser's."""
    if current_user and current_user.is_authenticated and current_user.language:
        return current_user.language
    if session.get("language") in ("en", "zh"):
        return session["language"]
    return request.accept_languages.best_match(["en", "zh"]) or "en"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session().get(User, int(user_id))
    return user if user is not None and user.active else None


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself
    babel.init_app(app, locale_selector=select_locale)

    from feedback.web import admin, auth, errors, filters, home, imports, inbox, triage

    for module in (auth, home, inbox, imports, admin, triage):
        app.register_blueprint(module.bp)
    from feedback.web import api, tickets

    for module in (tickets, api):  # api before api_feedback: its /openapi.json holds every area's paths
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)  # token-authenticated, no cookies: CSRF cannot apply
    from feedback.web import api_feedback, phone, products, public, tokens

    for module in (phone, public, products, tokens, api_feedback):
        app.register_blueprint(module.bp)
    csrf.exempt(api_feedback.bp)  # token-authenticated, no cookies: CSRF cannot apply
    from feedback.web import health

    app.register_blueprint(health.bp)
    from feedback.web import bulletins

    app.register_blueprint(bulletins.bp)
    from feedback.web import playbooks

    app.register_blueprint(playbooks.bp)
    from feedback.web import review

    app.register_blueprint(review.bp)
    errors.register(app)
    from feedback.web import security

    security.init_app(app)  # headers, cookies, session expiry
    filters.register(app)
