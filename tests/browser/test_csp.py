"""Chromium enforces the Content-Security-Policy: no page the tracker serves breaks it."""

from __future__ import annotations

import pytest

from feedback import db
from tests.browser.test_shell import sign_in
from tests.factories import make_feedback, make_user

pytestmark = pytest.mark.browser

# Recorded before any page script runs, so a violation during load is caught too.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _watch(page) -> list[str]:
    console = []
    page.add_init_script(LISTEN)
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    return console


def _violations(page) -> list[str]:
    return page.evaluate("window.__violations || []")


def test_main_pages_load_without_csp_violations(page, live_app):
    with db.session_scope(live_app.extensions["feedback.engine"]) as session:
        make_user(session, role="admin", email="root@example.com")
        item = make_feedback(session, category="logistics.late", body="Parcel late, again.")
        details = [f"/tickets/{item.ticket_id}", f"/feedback/{item.id}"]
    console = _watch(page)
    page.goto("/contact")
    found = {"/contact": _violations(page)}
    sign_in(page, "root@example.com")
    menu = [a.get_attribute("href") for a in page.locator("nav.mainnav a").all()]
    assert len(menu) >= 5
    for path in dict.fromkeys(menu + details + ["/tickets?view=all", "/phone"]):
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("load")
        found[path] = _violations(page)
    assert not any(found.values()), found
    assert console == []


def test_the_policy_is_enforced(page, live_app):
    """The check above can fail: an injected inline script is blocked and reported."""
    console = _watch(page)
    page.goto("/login")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; document.body.append(s); }")
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.ran") is None
    assert "script-src" in _violations(page)[0]
    assert any("Content Security Policy" in text for text in console)
