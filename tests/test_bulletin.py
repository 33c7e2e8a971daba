"""The bulletin service: figures across the business-day boundary, draft, refresh, issue, corrections, safety."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from feedback import bulletin, bulletin_figures, bulletin_schedule, clock, tickets
from feedback.errors import Invalid
from feedback.models import Bulletin, BulletinRevision, Feedback, Ticket
from tests.factories import NOW, make_feedback, make_ticket, make_user
from tests.smtp import _smtp_controller, smtp_inbox  # noqa: F401

DAY = date(2026, 11, 23)  # a Monday; NOW is the Tuesday after at 10:00 Shanghai
UTC = timezone.utc


def shanghai(day: date, hour: int, minute: int) -> datetime:
    """A Shanghai wall-clock time stored as UTC, as intake stores it."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.business_tz()).astimezone(UTC)


def config(**overrides):
    return {"BULLETIN_LANGUAGE": "en", "BASE_URL": "", "BULLETIN_RECIPIENTS": []} | overrides


@pytest.fixture
def boundary(session, loaded_taxonomy):
    """Feedback at 00:01 and 23:59 of DAY and just outside it, plus the week before for the averages."""
    inside = [
        make_feedback(session, channel="email", category="logistics.late", received_at=shanghai(DAY, 0, 1)),
        make_feedback(session, channel="phone", category="logistics.late", received_at=shanghai(DAY, 23, 59)),
        make_feedback(session, channel="email", category="product.quality", received_at=shanghai(DAY, 12, 0)),
    ]
    outside = [
        make_feedback(session, channel="email", category="logistics.late", received_at=shanghai(DAY - timedelta(days=1), 23, 59)),
        make_feedback(session, channel="email", category="logistics.late", received_at=shanghai(DAY + timedelta(days=1), 0, 1)),
        make_feedback(session, channel="forum", category="product.quality", received_at=shanghai(DAY - timedelta(days=3), 9, 0)),
        make_feedback(session, channel="forum", category="product.quality", received_at=shanghai(DAY - timedelta(days=8), 9, 0)),
    ]
    return inside, outside


def test_figures_count_the_business_day_not_the_utc_day(session, boundary):
    inside, outside = boundary
    # The 23:59 item is on DAY in Shanghai but on the same UTC date; the 00:01 item is the UTC day before.
    assert inside[0].received_at.date() == DAY - timedelta(days=1)
    figures = bulletin_figures.compute(session, DAY, now=NOW)
    rows = {r.key: r for r in figures.rows}
    assert rows["logistics.late"].counts == {"email": 1, "phone": 1}
    assert rows["product.quality"].counts == {"email": 1}
    assert figures.total == 3 and figures.channel_totals["email"] == 2 and figures.channel_totals["phone"] == 1
    # Day before: the 23:59 item of DAY-1. 7-day window DAY-7..DAY-1: that one and the forum item of DAY-3.
    assert rows["logistics.late"].previous == 1 and rows["logistics.late"].average == pytest.approx(1 / 7)
    assert rows["product.quality"].previous == 0 and rows["product.quality"].average == pytest.approx(1 / 7)
    assert figures.previous_total == 1 and figures.average_total == pytest.approx(2 / 7)


def test_tickets_opened_closed_and_overdue_on_the_day(session, loaded_taxonomy):
    manager = make_user(session, role="manager")
    opened, late_night, next_day, closed = (make_ticket(session) for _ in range(4))
    opened.opened_at = shanghai(DAY, 0, 1)
    late_night.opened_at = shanghai(DAY, 23, 59)
    next_day.opened_at = shanghai(DAY + timedelta(days=1), 0, 1)
    closed.opened_at = shanghai(DAY - timedelta(days=5), 9, 0)
    opened.due_at = NOW - timedelta(days=2, hours=1)
    session.commit()
    tickets.close_ticket(session, closed.id, "Refunded the courier fee", by=manager, now=shanghai(DAY, 23, 58))
    figures = bulletin_figures.compute(session, DAY, now=NOW)
    assert [t.id for t in figures.new_problems] == [opened.id, late_night.id] and figures.new_count == 2
    assert [(t.id, t.resolution) for t in figures.closed] == [(closed.id, "Refunded the courier fee")]
    assert [(t.id, t.days_overdue) for t in figures.overdue] == [(opened.id, 2)] and figures.overdue_count == 1


def test_satisfaction_and_triage(session, loaded_taxonomy):
    for csat, nps in ((5, 10), (4, 9), (2, 3), (None, 7)):
        make_feedback(session, channel="survey", category="praise", received_at=shanghai(DAY, 10, 0), csat=csat, nps=nps)
    make_feedback(session, category=None, received_at=shanghai(DAY, 10, 0))
    figures = bulletin_figures.compute(session, DAY, now=NOW)
    assert figures.surveys == 4 and figures.csat_count == 3 and figures.csat_average == pytest.approx(11 / 3)
    assert figures.nps_count == 4 and figures.nps == pytest.approx(100 * (2 - 1) / 4)
    assert figures.triage == 1


def test_draft_is_markdown_with_links_and_a_chart(session, boundary):
    drafted = bulletin.draft(session, DAY, now=NOW, config=config())
    assert drafted.status == "draft" and drafted.business_date == DAY
    assert "[2](/feedback?channel=email&from=2026-11-23&to=2026-11-23)" in drafted.markdown
    assert "/feedback?category=logistics.late&channel=phone&from=2026-11-23&to=2026-11-23" in drafted.markdown
    assert drafted.chart.startswith("<svg") and "Late delivery" in drafted.chart
    again = bulletin.draft(session, DAY, now=NOW + timedelta(hours=1), config=config())
    assert again.id == drafted.id
    assert session.execute(sa.select(sa.func.count()).select_from(Bulletin)).scalar_one() == 1


def test_draft_in_chinese(session, boundary):
    drafted = bulletin.draft(session, DAY, now=NOW, config=config(BULLETIN_LANGUAGE="zh"))
    assert drafted.markdown.startswith("# 反馈日报 — 2026-11-23（星期一）")
    assert "邮件" in drafted.chart


def test_refresh_keeps_the_commentary(session, boundary):
    drafted = bulletin.draft(session, DAY, now=NOW, config=config())
    text = drafted.markdown.replace("<!-- commentary -->\n", "<!-- commentary -->\nCouriers were *slow* on Monday.\n")
    bulletin.save(session, DAY, text, now=NOW)
    make_feedback(session, channel="review", category="logistics.late", received_at=shanghai(DAY, 22, 0))
    refreshed = bulletin.refresh(session, DAY, now=NOW, config=config())
    assert "Couriers were *slow* on Monday." in refreshed.markdown
    assert "**[4](/feedback?from=2026-11-23&to=2026-11-23) items**" in refreshed.markdown
    assert bulletin.commentary_of(refreshed.markdown) == "Couriers were *slow* on Monday."


def test_customer_text_never_becomes_live_html(session, loaded_taxonomy):
    payload = 'Help <script>alert("x")</script> [click](javascript:alert(1)) | end'
    ticket = make_ticket(session, subject=payload, body=payload)
    ticket.title = payload
    ticket.opened_at = shanghai(DAY, 9, 0)
    session.commit()
    drafted = bulletin.draft(session, DAY, now=NOW, config=config())
    html = str(bulletin.view(session, DAY).html)
    assert 'href="javascript' not in html and "<script" not in html
    assert "&lt;script&gt;" in html
    assert "<script" not in drafted.markdown
    for outgoing in bulletin.mails(drafted.model_copy(update={"recipients": ["a@example.com"]}), config=config()):
        assert "<script" not in outgoing.html and 'href="javascript' not in outgoing.html


def test_issue_freezes_the_text_and_a_correction_is_a_new_revision(session, boundary):
    manager = make_user(session, role="manager")
    bulletin.draft(session, DAY, now=NOW, config=config())
    issued = bulletin.issue(session, DAY, by=manager, now=NOW, config=config(), send=False)
    assert issued.status == "issued" and issued.issued_by_id == manager.id and issued.issued_at == NOW
    with pytest.raises(Invalid):
        bulletin.save(session, DAY, "changed", now=NOW)
    with pytest.raises(Invalid):
        bulletin.refresh(session, DAY, now=NOW, config=config())
    first = issued.markdown
    revision = bulletin.revise(session, DAY, first + "\nCorrection: one call was counted twice.\n", note="double count",
                               by=manager, now=NOW + timedelta(hours=1), config=config(), send=False)
    assert revision.number == 2
    texts = session.execute(sa.select(BulletinRevision.number, BulletinRevision.markdown).order_by(BulletinRevision.number)).all()
    assert texts[0] == (1, first) and texts[1][1].endswith("counted twice.\n")
    view = bulletin.view(session, DAY)
    assert [r.number for r, _ in view.revisions] == [1, 2] and view.issued_by == manager.name


def test_issue_mails_every_recipient_with_both_parts(app, session, boundary, smtp_inbox):  # noqa: F811
    head = make_user(session, role="head", department="logistics")
    manager = make_user(session, role="manager")
    bulletin.draft(session, DAY, now=NOW, config=app.config)
    app.config["BULLETIN_RECIPIENTS"] = ["Board@Example.com", head.email]
    issued = bulletin.issue(session, DAY, by=manager, now=NOW, config=app.config)
    assert issued.recipients == sorted(["board@example.com", head.email])
    assert len(smtp_inbox.mails) == 2
    for address in issued.recipients:
        [message] = smtp_inbox.to(address)
        assert message["Subject"] == "Daily feedback bulletin 2026-11-23"
        plain = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "# Daily feedback bulletin" in plain and "<!-- commentary -->" not in plain
        assert "<h1>Daily feedback bulletin" in html and "<svg" in html


def test_the_scheduled_draft_catches_up_once_per_day(session, loaded_taxonomy):
    settings = config(BULLETIN_HOUR=7, BULLETIN_CATCHUP_DAYS=3)
    early = shanghai(date(2026, 11, 24), 6, 0)
    assert bulletin_schedule.draft_due(session, now=early, config=settings) == [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)]
    later = shanghai(date(2026, 11, 24), 7, 5)
    assert bulletin_schedule.draft_due(session, now=later, config=settings) == [DAY]
    assert bulletin_schedule.draft_due(session, now=later, config=settings) == []
    days = session.execute(sa.select(Bulletin.business_date).order_by(Bulletin.business_date)).scalars().all()
    assert days == [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22), DAY]


def test_auto_issue_at_the_deadline(session, boundary):
    settings = config()
    bulletin.draft(session, DAY, now=NOW, config=settings)
    issued = bulletin_schedule.auto_issue_due(session, now=NOW, config=settings)
    assert issued is not None and issued.status == "issued" and issued.issued_by_id is None
    assert bulletin_schedule.auto_issue_due(session, now=NOW, config=settings) is None


def test_archive_by_month_and_search(session, loaded_taxonomy):
    for day in (date(2026, 10, 30), DAY, DAY - timedelta(days=1)):
        bulletin.draft(session, day, now=NOW, config=config())
    text = bulletin.find(session, DAY).markdown.replace("<!-- commentary -->\n", "<!-- commentary -->\nKettle recall\n")
    bulletin.save(session, DAY, text, now=NOW)
    november = bulletin.archive(session, month=date(2026, 11, 1), now=NOW)
    assert [b.business_date for b in november.bulletins] == [DAY, DAY - timedelta(days=1)]
    found = bulletin.archive(session, month=None, q="kettle RECALL", now=NOW)
    assert [b.business_date for b in found.bulletins] == [DAY]


def test_feedback_outside_every_category_is_listed_as_unclassified(session, loaded_taxonomy):
    make_feedback(session, category=None, received_at=shanghai(DAY, 10, 0))
    drafted = bulletin.draft(session, DAY, now=NOW, config=config())
    assert "[Unclassified](/feedback?category=none&from=2026-11-23&to=2026-11-23)" in drafted.markdown
    assert session.execute(sa.select(sa.func.count()).select_from(Feedback)).scalar_one() == 1
    assert session.execute(sa.select(sa.func.count()).select_from(Ticket)).scalar_one() == 0


def test_demo_issues_the_past_days_and_leaves_yesterday_a_draft(session, loaded_taxonomy):
    from feedback import demo_bulletins

    manager = make_user(session, role="manager")
    make_feedback(session, received_at=shanghai(DAY - timedelta(days=1), 10, 0))
    assert demo_bulletins.load(session, now=NOW, config=config(), days=3) == 4
    rows = session.execute(sa.select(Bulletin.business_date, Bulletin.status, Bulletin.issued_by_id)
                           .order_by(Bulletin.business_date)).all()
    assert [(d, s) for d, s, _ in rows] == [(DAY - timedelta(days=3), "issued"), (DAY - timedelta(days=2), "issued"),
                                            (DAY - timedelta(days=1), "issued"), (DAY, "draft")]
    assert {by for _, s, by in rows if s == "issued"} == {manager.id}
    assert bulletin.commentary_of(bulletin.find(session, DAY - timedelta(days=3)).markdown) in demo_bulletins.COMMENTARY
    assert bulletin.commentary_of(bulletin.find(session, DAY).markdown) == ""


def test_two_managers_issuing_at_once_make_one_issue(app, session, boundary):
    from feedback import db

    bulletin.draft(session, DAY, now=NOW, config=config())
    with db.session_scope(app.extensions["feedback.engine"]) as other:
        stale = bulletin.find(other, DAY)  # the second manager's page still shows the draft
        bulletin.issue(session, DAY, by=None, now=NOW, config=config(), send=False)
        assert stale.status == "draft"
        with pytest.raises(Invalid):
            bulletin.issue(other, DAY, by=None, now=NOW + timedelta(seconds=1), config=config(), send=False)
    assert session.execute(sa.select(sa.func.count()).select_from(BulletinRevision)).scalar_one() == 1


def test_the_hourly_job_drafts_then_issues_at_the_configured_deadline(session, loaded_taxonomy):
    settings = config(BULLETIN_HOUR=7, BULLETIN_CATCHUP_DAYS=1, BULLETIN_AUTO_ISSUE_HOUR="10")
    bulletin_schedule.scheduled(session, now=shanghai(date(2026, 11, 24), 7, 0), config=settings)
    assert bulletin.find(session, DAY).status == "draft"
    bulletin_schedule.scheduled(session, now=shanghai(date(2026, 11, 24), 9, 59), config=settings)
    assert bulletin.find(session, DAY).status == "draft"
    bulletin_schedule.scheduled(session, now=shanghai(date(2026, 11, 24), 10, 0), config=settings)
    assert bulletin.find(session, DAY).status == "issued"
    assert session.execute(sa.select(sa.func.count()).select_from(Bulletin)).scalar_one() == 1
