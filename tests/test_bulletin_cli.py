"""`feedback bulletin draft|issue|show`: the same service from the command line."""

from __future__ import annotations

from datetime import datetime, timezone

from feedback import bulletin, clock
from feedback.cli import main
from tests.factories import make_feedback, make_user
from tests.smtp import _smtp_controller, smtp_inbox  # noqa: F401


def run(runner, *args):
    return runner.invoke(main, list(args), catch_exceptions=False)


def test_draft_show_and_issue(runner, session, loaded_taxonomy, smtp_inbox):  # noqa: F811
    received = datetime(2026, 11, 23, 10, tzinfo=clock.business_tz()).astimezone(timezone.utc)
    make_feedback(session, subject="Courier <b>lost</b> it", received_at=received)
    head = make_user(session, role="head", department="logistics")
    manager = make_user(session, role="manager")
    assert "bulletin 2026-11-23: draft" in run(runner, "bulletin", "draft", "--day", "2026-11-23").output
    markdown = run(runner, "bulletin", "show", "--day", "2026-11-23").output
    assert markdown.startswith("# Daily feedback bulletin — Monday 2026-11-23")
    html = run(runner, "bulletin", "show", "--day", "2026-11-23", "--format", "html").output
    assert html.startswith("<svg") and "<h1>Daily feedback bulletin" in html
    refused = runner.invoke(main, ["bulletin", "issue", "--day", "2026-11-23", "--as", head.email])
    assert refused.exit_code == 1 and "only a manager" in refused.output
    out = run(runner, "bulletin", "issue", "--day", "2026-11-23", "--as", manager.email).output
    assert "issued to 1 recipients" in out and len(smtp_inbox.to(head.email)) == 1
    session.expire_all()
    assert bulletin.find(session, datetime(2026, 11, 23).date()).issued_by_id == manager.id


def test_show_without_a_bulletin_says_how_to_draft(runner, loaded_taxonomy):
    result = runner.invoke(main, ["bulletin", "show", "--day", "2026-01-05"])
    assert result.exit_code == 1 and "feedback bulletin draft" in result.output
