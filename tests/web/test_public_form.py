"""The public feedback form: no sign-in, CSRF required, a rate limit per address shared through the database."""

import re

import sqlalchemy as sa

from feedback import create_app, throttle
from feedback.models import Feedback, Throttle
from tests.factories import NOW


def test_anyone_can_send_feedback_without_signing_in(client, session):
    page = client.get("/contact")
    assert page.status_code == 200 and "Tell us what happened" in page.text
    nonce = re.search(r'name="nonce" value="([0-9a-f]+)"', page.text).group(1)
    form = {"nonce": nonce, "name": "Guo Jing", "contact": "guo@mail.example", "order_ref": "SO-5", "message": "Charged twice"}
    response = client.post("/contact", data=form)
    assert response.status_code == 200 and "Thank you" in response.text
    client.post("/contact", data=form)  # a double click stores it once
    stored = session.exec(sa.select(Feedback)).scalar_one()
    assert (stored.channel, stored.source, stored.customer, stored.body) == ("survey", "web form", "Guo Jing", "Charged twice")


def test_an_empty_message_is_refused(client, session):
    response = client.post("/contact", data={"name": "x", "message": "  "})
    assert response.status_code == 400 and "Please tell us what happened." in response.text
    assert session.execute(sa.select(sa.func.count()).select_from(Feedback)).scalar_one() == 0


def test_an_address_is_limited_per_hour(app, client, session):
    app.config["PUBLIC_FORM_RATE"] = 2
    for n in range(2):
        assert client.post("/contact", data={"message": f"message {n}"}).status_code == 200
    refused = client.post("/contact", data={"message": "third"})
    assert refused.status_code == 429 and "Too many messages" in refused.text
    other = client.post("/contact", data={"message": "from elsewhere"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200
    assert session.execute(sa.select(sa.func.count()).select_from(Feedback)).scalar_one() == 3


def test_throttle_counts_per_window_and_forgets_old_windows(session):
    hits = [throttle.hit(session, "k", limit=3, window_seconds=60, now=NOW) for _ in range(4)]
    assert hits == [True, True, True, False]
    later = NOW.replace(minute=NOW.minute + 1)
    assert throttle.hit(session, "k", limit=3, window_seconds=60, now=later)
    throttle.hit(session, "other", limit=3, window_seconds=60, now=NOW.replace(day=NOW.day + 2))
    assert set(session.exec(sa.select(Throttle.key)).scalars()) == {"other"}


def test_the_form_needs_its_csrf_token(app, database_url, tmp_path, monkeypatch):
    # `app` is here for its teardown, which empties the tables this second app writes to.
    monkeypatch.setenv("FEEDBACK_INSTANCE_PATH", str(tmp_path / "instance"))
    protected = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "csrf-test", "TESTING": True})
    try:
        client = protected.test_client()
        assert client.post("/contact", data={"message": "no token"}).status_code == 400
        page = client.get("/contact").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert client.post("/contact", data={"message": "with token", "csrf_token": token}).status_code == 200
    finally:
        protected.extensions["feedback.engine"].dispose()
