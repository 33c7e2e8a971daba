"""Security headers, session cookies and their expiry, the sign-in attempt limit, CSP-clean templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from feedback import create_app
from feedback.web import security
from tests.factories import PASSWORD, make_user

TEMPLATES = Path(__file__).resolve().parents[2] / "feedback" / "templates"
# What a Content-Security-Policy without 'unsafe-inline' blocks: inline handlers, style attributes,
# <style> blocks, inline <script> bodies and javascript: URLs.
INLINE = {
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I | re.S),
    "style element": re.compile(r"<style[\s>]", re.I),
    "inline script": re.compile(r"<script(?![^>]*\ssrc\s*=)[^>]*>", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def _sign_in(client, user, **extra):
    return client.post("/login", data={"email": user.email, "password": PASSWORD, **extra})


def _cookie_headers(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize("path", ["/login", "/static/app.css", "/api/v1/openapi.json", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_cookies_are_secure_httponly_and_lax_outside_tests(app, session, database_url):
    production = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False})
    user = make_user(session, role="agent")
    client = production.test_client()
    cookies = _cookie_headers(_sign_in(client, user, remember="1"))
    for name in ("session", "remember_token"):
        flags = cookies[name].lower()
        assert "; secure" in flags and "; httponly" in flags and "samesite=lax" in flags, cookies[name]
    assert "expires=" in cookies["session"].lower()  # a sign-in does not live as long as the browser
    production.extensions["feedback.engine"].dispose()


def test_cookies_are_not_secure_in_tests(client, session):
    cookies = _cookie_headers(_sign_in(client, make_user(session)))
    assert "; secure" not in cookies["session"].lower() and "httponly" in cookies["session"].lower()


def test_a_sign_in_expires_after_the_session_lifetime(app, client, session, loaded_taxonomy):
    _sign_in(client, make_user(session, role="manager"))
    assert client.get("/").status_code == 200
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    with client.session_transaction() as cookie:
        cookie[security.SIGNED_IN_AT] -= lifetime + 1
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_remember_me_renews_an_expired_sign_in(app, client, session, loaded_taxonomy):
    _sign_in(client, make_user(session, role="manager"), remember="1")
    with client.session_transaction() as cookie:
        cookie[security.SIGNED_IN_AT] -= int(app.permanent_session_lifetime.total_seconds()) + 1
    assert client.get("/").status_code == 200
    with client.session_transaction() as cookie:
        assert cookie[security.SIGNED_IN_AT] > 0 and "_user_id" in cookie


def test_failed_sign_ins_are_limited_per_account_and_address(app, client, session, loaded_taxonomy):
    user = make_user(session, role="agent")
    other = make_user(session, role="agent")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert client.post("/login", data={"email": user.email, "password": "wrong-guess"}).status_code == 200
    refused = _sign_in(client, user)  # even the right password, until the window passes
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.text
    assert _sign_in(client, other).status_code == 302  # another account from the same address
    client.post("/logout")
    elsewhere = app.test_client()
    response = elsewhere.post("/login", data={"email": user.email, "password": PASSWORD},
                              environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 302  # the same account from another address


def test_successful_sign_ins_do_not_count(app, client, session, loaded_taxonomy):
    user = make_user(session, role="agent")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 2):
        assert _sign_in(client, user).status_code == 302
        client.post("/logout")


def _pages() -> list[Path]:
    """Every template a browser renders under our CSP; email/ holds mail bodies, which mail clients style inline."""
    return sorted(t for t in TEMPLATES.rglob("*.html") if t.relative_to(TEMPLATES).parts[0] != "email")


def test_no_template_has_inline_script_or_style():
    found = []
    for template in _pages():
        text = template.read_text(encoding="utf-8")
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(TEMPLATES)}:{line}: {what}")
    assert len(_pages()) > 10
    assert not found, "the Content-Security-Policy blocks these:\n" + "\n".join(found)
