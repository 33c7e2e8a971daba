"""A live server in a thread and Debian's Chromium driven by Playwright (no downloaded browser)."""

from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from feedback import create_app, db, migrations, taxonomy

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium is required for browser tests and is missing at {CHROMIUM}; `make test` installs it.", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_app(tmp_path, monkeypatch):
    """The real app (CSRF on) on a fresh SQLite instance, with the taxonomy loaded."""
    monkeypatch.setenv("FEEDBACK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SECRET_KEY": "browser-test", "SCHEDULER": False})
    engine = app.extensions["feedback.engine"]
    migrations.upgrade(engine)
    with db.session_scope(engine) as session:
        taxonomy.load(session, taxonomy.taxonomy_file(None))
    yield app
    engine.dispose()


@pytest.fixture
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
