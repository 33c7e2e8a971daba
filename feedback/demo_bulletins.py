"""Demo bulletins: the demo weeks' bulletins issued by the demo manager, and today's draft waiting to be issued."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from feedback import bulletin, clock
from feedback.models import Role, User

COMMENTARY = (
    "Late deliveries lead again; the logistics head is following up with the courier.",
    "A quieter day. Please close the overdue tickets of your department before Friday's review.",
    "Several reviews of a key product mention damaged boxes: see the bad reviews below.",
)


def load(session: Session, *, now: datetime, config: Mapping, days: int = 14) -> int:
    """Issue a bulletin for each demo day before yesterday (no mail is sent) and draft yesterday's; returns how many."""
    manager = session.execute(sa.select(User).where(User.role == Role.manager).order_by(User.id).limit(1)).scalar_one_or_none()
    yesterday = clock.yesterday(now)
    made = 0
    for back in range(days, 0, -1):
        day = yesterday - timedelta(days=back)
        issued_at = clock.day_bounds(day + timedelta(days=1))[0] + timedelta(hours=9)
        drafted = bulletin.draft(session, day, now=issued_at, config=config)
        if drafted.status == "draft":
            note = COMMENTARY[back % len(COMMENTARY)]
            text = drafted.markdown.replace("<!-- commentary -->\n", f"<!-- commentary -->\n{note}\n", 1)
            bulletin.issue(session, day, text=text, by=manager, now=issued_at, config=config, send=False)
        made += 1
    bulletin.draft(session, yesterday, now=now, config=config)
    return made + 1
