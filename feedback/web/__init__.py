"""Web wiring: CSRF, sign-in, translations, blueprints, error pages and template helpers."""

from __future__ import annotations

from flask import Flask, g, request, session
from flask_babel import Babel, get_translations
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


def _translations():
    """This request's translations, looked up once per locale instead of on every `_()` of a template.

    Flask-Babel finds them anew on each call (a dozen context lookups, ~15 µs); a list page makes fifty.
    The cache is keyed by Flask-Babel's own locale object, so `force_locale` (mail in the owner's
    language) still switches it.
    """
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    cached = getattr(state, "feedback_translations", None)
    if locale is not None and cached is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    state = g.get("_flask_babel")  # get_translations() has chosen the locale by now
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.feedback_translations = (state.babel_locale, translations)
    return translations


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
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: _translations().ugettext(text),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        pgettext=lambda context, text: _translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )

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
