"""Drafting one day's bulletin on the 1,000,000 feedback / 200,000 tickets instance: target ≤ 100 ms.

The instance is the ticket benchmark's (bench/tickets.py builds it, bench/tickets_data.py holds the
data); pass --instance to keep it and reuse it next time, --database-url for PostgreSQL. The day
drafted is the busiest recent full business day. Each run deletes the day's bulletin first (not
timed), then times `bulletin.draft`: every figure, the Markdown and the chart, and the insert.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench.common import emit, volume_instance, volume_options  # noqa: E402
from bench.tickets import prepare  # noqa: E402
from feedback import bulletin, clock, create_app, db  # noqa: E402
from feedback.models import BulletinRevision, Feedback  # noqa: E402

TARGET_MS = 100


def main() -> None:
    parser = argparse.ArgumentParser()
    volume_options(parser)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with volume_instance(args) as (instance, env, url):
        built = prepare(env, url, args)
        os.environ.update(env)
        spent, day, counts = measure(url, args.runs)
    emit("bulletin", {
        "figure": "draft_one_day", "database": "postgresql" if args.database_url else "sqlite", "day": day,
        "runs": len(spent), "first_ms": round(spent[0], 2), "p50_ms": round(statistics.median(spent), 2),
        "max_ms": round(max(spent), 2), "target_ms": TARGET_MS, "ok": statistics.median(spent) <= TARGET_MS,
        "load_avg": round(os.getloadavg()[0], 1),  # the machine is shared: other work shows here
    } | counts | {"build_s": built.get("build_s", 0)})


def measure(url: str, runs: int) -> tuple[list[float], str, dict]:
    app = create_app({"DATABASE_URL": url, "SCHEDULER": False})
    with app.app_context(), db.session_scope() as session:
        day = busiest_day(session)
        spent = []
        for _ in range(runs):
            forget(session, day)
            started = time.perf_counter()
            drafted = bulletin.draft(session, day, now=clock.now(), config=app.config)
            spent.append((time.perf_counter() - started) * 1000)
        counts = {"feedback": session.execute(sa.select(sa.func.count()).select_from(Feedback)).scalar_one(),
                  "day_feedback": session.execute(sa.select(sa.func.count()).select_from(Feedback)
                                                  .where(Feedback.business_date == day)).scalar_one(),
                  "markdown_chars": len(drafted.markdown)}
        forget(session, day)
    return spent, day.isoformat(), counts


def busiest_day(session):
    """The recent full day with the most feedback (the build spreads items over the past year)."""
    latest = session.execute(sa.select(sa.func.max(Feedback.business_date))).scalar_one()
    stmt = (sa.select(Feedback.business_date).where(Feedback.business_date < latest)
            .group_by(Feedback.business_date).order_by(sa.func.count().desc()).limit(1))
    return session.execute(stmt).scalar_one()


def forget(session, day) -> None:
    found = bulletin.find(session, day)
    if found is not None:
        session.execute(sa.delete(BulletinRevision).where(BulletinRevision.bulletin_id == found.id))
        session.delete(found)
        session.commit()


if __name__ == "__main__":
    main()
