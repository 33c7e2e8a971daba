"""When the bulletin is drafted and issued without anyone: the hourly "bulletin-draft" job's rules.

Each day is claimed once by key (held with its work, so a crash frees it): two schedulers by mistake
draft and issue every day once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from sqlmodel import Session

from feedback import clock
from feedback.bulletin import draft, find, issue
from feedback.jobs import claim
from feedback.models import Bulletin

log = logging.getLogger(__name__)


def draft_due(session: Session, *, now: datetime, config: Mapping) -> list[date]:
    """The scheduled draft: every recent day whose draft hour has passed, claimed once per day by key."""
    today, hour = clock.business_date(now), int(config.get("BULLETIN_HOUR", 7))
    first = 1 if clock.local(now).hour >= hour else 2  # before the hour, yesterday's draft is not due yet
    done = []
    for back in range(int(config.get("BULLETIN_CATCHUP_DAYS", 3)) + first - 1, first - 1, -1):
        day = today - timedelta(days=back)
        if find(session, day) is None and claim(session, "bulletin-draft", day.isoformat(), now=now, hold=True):
            draft(session, day, now=now, config=config)
            log.info("bulletin drafted for %s", day.isoformat())
            done.append(day)
    return done


def scheduled(session: Session, *, now: datetime, config: Mapping) -> None:
    """The hourly "bulletin-draft" job: draft what is due (catching up missed days), then auto-issue if set."""
    draft_due(session, now=now, config=config)
    deadline = config.get("BULLETIN_AUTO_ISSUE_HOUR")
    if deadline not in (None, "") and clock.local(now).hour >= int(deadline):
        auto_issue_due(session, now=now, config=config)


def auto_issue_due(session: Session, *, now: datetime, config: Mapping) -> Bulletin | None:
    """Issue yesterday's draft as it stands (once per day by key): the deadline passed without the manager."""
    day = clock.yesterday(now)
    found = find(session, day)
    if found is None or found.status != "draft" or not claim(session, "bulletin-issue", day.isoformat(), now=now, hold=True):
        return None
    return issue(session, day, by=None, now=now, config=config)
