"""Weekly review at scale: Pareto, clearance and KPI computation for one ISO week on 1,000,000 feedback /
200,000 tickets (the instance of bench/tickets.py, built the same way and reusable with --instance).

Usage: python bench/review.py [--feedback 1000000] [--tickets 200000] [--database-url URL] [--instance DIR]
                              [--repeat 30]
Prints one JSON line: p50 and max in ms of each computation (service calls on one session, caches warm)
against the 100 ms target, with the machine's load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import emit, volume_instance, volume_options  # noqa: E402
from bench.tickets import prepare  # noqa: E402
from feedback import clearance, clock, kpi, pareto  # noqa: E402
from feedback.db import make_engine, session_scope  # noqa: E402

TARGET_MS = 100


def seed_review_rows(engine, week: str) -> None:
    """What a real week has besides tickets: carry-overs out of the week before, imported KPI values."""
    import sqlalchemy as sa

    from feedback.models import KPI, CarryOver, KPIValue, Ticket

    before = pareto.previous_week(week)
    with session_scope(engine) as session:
        if session.execute(sa.select(CarryOver.id).limit(1)).first():
            return
        start, end = clock.week_bounds(before)
        carried = session.execute(sa.select(Ticket.id, Ticket.department_id).where(
            Ticket.opened_at >= start, Ticket.opened_at < end, Ticket.status != "closed").limit(400)).all()
        if carried:  # (an empty list would insert one row of defaults)
            session.execute(sa.insert(CarryOver), [
                {"ticket_id": t, "iso_week": before, "department_id": d, "reason": "bench",
                 "new_due": clock.week_start(week), "at": end} for t, d in carried])
        monday = clock.week_start(week)
        rows = [{"kpi_id": k.id, "period_start": monday - timedelta(days=7 * n), "value": (k.target or 1) * 0.97,
                 "period_end": monday - timedelta(days=7 * n - 6), "source": "imported"}
                for k in session.execute(sa.select(KPI).where(KPI.source == "imported")).scalars() for n in range(104)]
        if rows:
            session.execute(sa.insert(KPIValue), rows)
        session.commit()


def timed(call, repeat: int) -> list[float]:
    call()  # warm caches and the planner
    spent = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def measure(engine, week: str, repeat: int) -> dict:
    figures = {}
    with session_scope(engine) as session:
        calls = {
            "pareto": lambda: pareto.weekly(session, week),
            "pareto_by_tickets": lambda: pareto.weekly(session, week, mode="tickets"),
            "clearance": lambda: clearance.summary(session, week),
            "kpi": lambda: kpi.week_statuses(session, week, margin=0.05),
        }
        for name, call in calls.items():
            spent = timed(call, repeat)
            figures[f"{name}_p50_ms"] = round(statistics.median(spent), 1)
            figures[f"{name}_max_ms"] = round(max(spent), 1)
    figures["ok"] = all(v <= TARGET_MS for k, v in figures.items() if k.endswith("_p50_ms"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    volume_options(parser)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with volume_instance(args) as (instance, env, url):
        built = prepare(env, url, args)
        os.environ["FEEDBACK_INSTANCE_PATH"] = str(instance)
        engine = make_engine(url)
        try:
            week = clock.iso_week(clock.business_date(clock.now()) - timedelta(days=7))  # the week a review looks at
            seed_review_rows(engine, week)
            figures = measure(engine, week, args.repeat)
        finally:
            engine.dispose()
    emit("review", {"database": "postgresql" if args.database_url else "sqlite", "week": week, "target_ms": TARGET_MS}
         | built | figures | {"load_avg": round(os.getloadavg()[0], 1)})


if __name__ == "__main__":
    main()
