"""Feedback list and detail, import runs and quarantine pages."""

from datetime import datetime, timezone

import sqlalchemy as sa

from feedback import intake
from feedback.intake import Attachment as IncomingAttachment
from feedback.intake import Rejected
from feedback.models import Feedback, Quarantine
from tests.factories import NOW, incoming


def store(session, items, source="test"):
    return intake.import_items(session, items, channel="email", source=source, now=lambda: NOW)


def test_list_shows_newest_first_with_counts(client, login, session):
    login("viewer")
    store(session, [incoming(subject="Parcel-Tuesday", received_at=datetime(2026, 11, 20, tzinfo=timezone.utc)),
                    incoming(subject="Parcel-Thursday", received_at=datetime(2026, 11, 22, tzinfo=timezone.utc))])
    page = client.get("/feedback").text
    assert page.index("Parcel-Thursday") < page.index("Parcel-Tuesday") and "1–2 of 2" in page


def test_list_filters_by_text_channel_and_day(client, login, session):
    login("agent")
    store(session, [
        incoming(subject="Parcel crushed", body="box was crushed", received_at=datetime(2026, 11, 20, 3, tzinfo=timezone.utc)),
        incoming(subject="Refund please", body="I want my money", received_at=datetime(2026, 11, 22, 3, tzinfo=timezone.utc)),
    ])
    assert "Refund please" not in client.get("/feedback?q=CRUSHED").text
    assert "Parcel crushed" in client.get("/feedback?q=CRUSHED").text
    day = client.get("/feedback?from=2026-11-22&to=2026-11-22").text
    assert "Refund please" in day and "Parcel crushed" not in day
    assert "No feedback matches these filters." in client.get("/feedback?channel=phone").text


def test_search_treats_wildcards_and_quotes_as_text(client, login, session):
    login("agent")
    store(session, [incoming(subject="100% broken"), incoming(subject="fine")])
    page = client.get("/feedback?q=100%25").text
    assert "100% broken" in page and ">fine<" not in page
    assert client.get("/feedback?q=' OR 1=1 --").status_code == 200


def test_empty_list_says_what_to_do(client, login):
    login("manager")
    assert "feedback import email" in client.get("/feedback").text


def test_detail_shows_text_attachments_and_headers(client, login, session):
    login("agent")
    raw = b"From: Mei <mei@x.example>\r\nSubject: crushed\r\nX-Shop: 42\r\n\r\nThe box <b>was</b> crushed."
    store(session, [incoming(raw=raw, subject="crushed", body="The box <b>was</b> crushed.",
                             attachments=[IncomingAttachment("photo.jpg", "image/jpeg", b"\xff\xd8\xff")])])
    item = session.exec(sa.select(Feedback)).scalar_one()
    page = client.get(f"/feedback/{item.id}").text
    assert "The box &lt;b&gt;was&lt;/b&gt; crushed." in page  # escaped, never live HTML
    assert "X-Shop" in page and "photo.jpg" in page


def test_raw_and_attachments_download_as_octet_stream(client, login, session):
    login("agent")
    raw = b"Subject: x\r\n\r\n<script>alert(1)</script>"
    store(session, [incoming(raw=raw, attachments=[IncomingAttachment("evil.html", "text/html", b"<script>x</script>")])])
    item = session.exec(sa.select(Feedback)).scalar_one()
    response = client.get(f"/feedback/{item.id}/raw")
    assert response.data == raw and response.mimetype == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff" and "attachment" in response.headers["Content-Disposition"]
    detail = client.get(f"/feedback/{item.id}").text
    href = detail.split('href="/attachments/')[1].split('"')[0]
    download = client.get(f"/attachments/{href}")
    assert download.mimetype == "application/octet-stream" and 'filename=evil.html' in download.headers["Content-Disposition"]


def test_import_runs_link_to_what_they_stored(client, login, session):
    login("manager")
    run = store(session, [incoming(subject="from run"), Rejected("email", "test", b"junk", "not a mail")])
    page = client.get("/imports").text
    assert f'href="/feedback?run={run.id}"' in page and f'/quarantine?run={run.id}' in page
    assert "from run" in client.get(f"/feedback?run={run.id}").text


def test_viewers_cannot_see_imports_or_quarantine(client, login):
    login("viewer")
    assert client.get("/imports").status_code == 403
    assert client.get("/quarantine").status_code == 403


def test_quarantine_shows_reason_and_raw_text(client, login, session):
    login("agent")
    store(session, [Rejected("email", "test", b"<script>alert(1)</script> junk", "no mail headers", locator="box/7")])
    item = session.exec(sa.select(Quarantine)).scalar_one()
    assert "no mail headers" in client.get("/quarantine").text
    page = client.get(f"/quarantine/{item.id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; junk" in page and "box/7" in page
    assert "Retry" not in page  # agents look, managers act


def test_manager_retries_a_mail_that_now_parses(client, login, session):
    login("manager")
    good_mail = b"From: a@b.example\r\nMessage-ID: <fixed@b.example>\r\nSubject: now fine\r\n\r\nhello"
    store(session, [Rejected("email", "inbox", good_mail, "parser bug fixed since")])
    item = session.exec(sa.select(Quarantine)).scalar_one()
    response = client.post(f"/quarantine/{item.id}/retry", follow_redirects=True)
    assert "Stored: 1 new" in response.text
    session.refresh(item)
    assert item.status == "retried"
    assert session.exec(sa.select(Feedback.subject)).scalar_one() == "now fine"


def test_retry_that_still_fails_keeps_the_item_with_the_new_reason(client, login, session):
    login("manager")
    store(session, [Rejected("email", "inbox", b"", "empty")])
    item = session.exec(sa.select(Quarantine)).scalar_one()
    response = client.post(f"/quarantine/{item.id}/retry", follow_redirects=True)
    assert "still cannot be stored" in response.text
    session.refresh(item)
    assert item.status == "held"


def test_discard_moves_it_out_of_the_queue(client, login, session):
    login("admin")
    store(session, [Rejected("email", "inbox", b"junk", "not a mail")])
    item = session.exec(sa.select(Quarantine)).scalar_one()
    client.post(f"/quarantine/{item.id}/discard")
    assert "Nothing in quarantine" in client.get("/quarantine").text
    assert "not a mail" in client.get("/quarantine?status=discarded").text
