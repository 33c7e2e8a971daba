"""Bulletin pages: who may do what, the editor's actions, preview, links to the rows behind each number."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from html import unescape

import sqlalchemy as sa

from feedback import bulletin, clock
from feedback.models import Bulletin, BulletinRevision
from tests.factories import make_feedback, make_ticket, make_user
from tests.smtp import _smtp_controller, smtp_inbox  # noqa: F401

DAY = date(2026, 11, 23)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=clock.business_tz()).astimezone(timezone.utc)


def test_everyone_reads_but_only_managers_edit(client, login, session, app):
    bulletin.draft(session, DAY, now=at(DAY + timedelta(days=1), 8), config=app.config)
    login("viewer")
    page = client.get(f"/bulletins/{DAY}").text
    assert "Daily feedback bulletin" in page and "bulletin-text" not in page
    assert client.post(f"/bulletins/{DAY}/issue", data={"markdown": "x"}).status_code == 403
    assert client.post("/bulletins/preview", data={"markdown": "**x**"}).status_code == 403
    assert bulletin.find(session, DAY).status == "draft"


def test_bulletin_is_in_the_navigation_and_today_means_yesterday(client, login):
    login("head")
    home = client.get("/").text
    assert 'href="/bulletins"' in home
    response = client.get("/bulletins")
    assert response.headers["Location"].endswith(f"/bulletins/{clock.yesterday(clock.now()).isoformat()}")


def test_a_manager_drafts_edits_refreshes_and_issues(client, login, session, app, smtp_inbox):  # noqa: F811
    head = make_user(session, role="head", department="logistics")
    manager = login("manager")
    make_feedback(session, received_at=at(DAY, 10))
    assert client.post(f"/bulletins/{DAY}/draft").status_code == 302
    text = bulletin.find(session, DAY).markdown.replace("<!-- commentary -->\n", "<!-- commentary -->\nA calm Monday.\n")
    client.post(f"/bulletins/{DAY}/refresh", data={"markdown": text})
    session.expire_all()
    assert "A calm Monday." in bulletin.find(session, DAY).markdown
    page = client.post(f"/bulletins/{DAY}/issue", data={"markdown": bulletin.find(session, DAY).markdown},
                       follow_redirects=True).text
    assert "Bulletin issued and mailed to 1 recipients." in unescape(page)
    session.expire_all()
    issued = bulletin.find(session, DAY)
    assert issued.status == "issued" and issued.issued_by_id == manager.id
    [mail] = smtp_inbox.to(head.email)
    assert "A calm Monday." in mail.get_body(("plain",)).get_content()


def test_issued_text_is_corrected_only_by_a_revision(client, login, session, app):
    login("manager")
    bulletin.draft(session, DAY, now=at(DAY + timedelta(days=1), 8), config=app.config)
    bulletin.issue(session, DAY, by=None, now=at(DAY + timedelta(days=1), 9), config=app.config, send=False)
    original = bulletin.find(session, DAY).markdown
    client.post(f"/bulletins/{DAY}/save", data={"markdown": "overwritten"})
    session.expire_all()
    assert bulletin.find(session, DAY).markdown == original
    client.post(f"/bulletins/{DAY}/revise", data={"markdown": original + "\nFixed a count.\n", "note": "count"})
    numbers = session.execute(sa.select(BulletinRevision.number).order_by(BulletinRevision.number)).scalars().all()
    assert numbers == [1, 2]
    page = client.get(f"/bulletins/{DAY}").text
    assert "Fixed a count." in page and "History" in page


def test_preview_renders_through_the_sanitiser(client, login):
    login("manager")
    response = client.post("/bulletins/preview", data={"markdown": "**bold** <script>alert(1)</script> [x](javascript:alert(1))"})
    html = response.get_json()["html"]
    assert "<strong>bold</strong>" in html and "<script" not in html and "javascript:" not in html


def test_every_number_links_to_the_rows_behind_it(client, login, session, app):
    login("manager")
    make_feedback(session, channel="phone", category="logistics.late", received_at=at(DAY, 10))
    ticket = make_ticket(session, received_at=at(DAY, 11))
    ticket.opened_at = at(DAY, 11)
    session.commit()
    bulletin.draft(session, DAY, now=at(DAY + timedelta(days=1), 8), config=app.config)
    page = client.get(f"/bulletins/{DAY}").text
    links = {unescape(href) for href in re.findall(r'href="([^"]+)"', page)}
    cell = "/feedback?category=logistics.late&channel=phone&from=2026-11-23&to=2026-11-23"
    assert cell in links
    assert "Late delivery" in client.get(cell).text
    opened = "/tickets?view=all&opened=2026-11-23"
    assert opened in links
    assert ticket.number in client.get(opened).text
    assert ticket.number not in client.get("/tickets?view=all&opened=2026-11-22").text


def test_archive_by_month_search_and_print(client, login, session, app):
    login("viewer")
    for day in (DAY, date(2026, 10, 5)):
        bulletin.draft(session, day, now=at(DAY + timedelta(days=1), 8), config=app.config)
    november = client.get("/bulletins/archive?month=2026-11").text
    assert "2026-11-23" in november and "2026-10-05" not in november
    found = client.get("/bulletins/archive?q=Monday").text  # 2026-10-05 is a Monday too
    assert "2026-11-23" in found and "2026-10-05" in found
    printed = client.get(f"/bulletins/{DAY}/print").text
    assert "<svg" in printed and "mainnav" not in printed
    assert session.execute(sa.select(sa.func.count()).select_from(Bulletin)).scalar_one() == 2


def test_a_day_without_a_bulletin_says_what_happens_next(client, login):
    login("head")
    page = client.get(f"/bulletins/{DAY}").text
    assert "No bulletin for 2026-11-23 yet" in page and "Draft it now" not in page
    assert client.post(f"/bulletins/{DAY}/draft").status_code == 403
    assert client.get("/bulletins/not-a-day").status_code == 404
    assert client.get(f"/bulletins/{DAY}/print").status_code == 404
