"""Crash safety of the scheduled jobs: `kill -9` the bulletin draft and the review build in the middle of
their work, run them again — the work is done once, and the crash did not take the day's or week's key.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import sqlalchemy as sa

from feedback import bulletin_schedule, review
from feedback.models import Bulletin, JobRun, WeeklyReview
from tests.factories import NOW

# The job in a process of its own, made slow in the middle of its work (after its claim) so it can be killed there.
SLOW_JOB = """
import sys, time
from datetime import datetime
from feedback import bulletin_figures, bulletin_schedule, create_app, db, review
app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "x"})
now = datetime.fromisoformat(sys.argv[3])

def stuck(*args, **kwargs):
    print("working", flush=True)
    time.sleep(120)

with app.app_context(), db.session_scope() as session:
    if sys.argv[2] == "bulletin":
        bulletin_figures.compute = stuck
        bulletin_schedule.draft_due(session, now=now, config=app.config)
    else:
        review.build = stuck
        review.scheduled_build(session, config=app.config, now=now)
"""


def _kill_mid_work(database_url: str, job: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", SLOW_JOB, database_url, job, NOW.isoformat()],
                             env=dict(os.environ, PYTHONPATH=os.getcwd()), stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "working"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def _claims(session, job: str) -> list[str]:
    return sorted(session.execute(sa.select(JobRun.key).where(JobRun.job == job)).scalars())


def test_a_bulletin_draft_killed_mid_work_is_drafted_by_the_next_run(app, session, database_url):
    _kill_mid_work(database_url, "bulletin")
    assert _claims(session, "bulletin-draft") == []  # the claim died with the work
    drafted = bulletin_schedule.draft_due(session, now=NOW, config=app.config)
    assert drafted and bulletin_schedule.draft_due(session, now=NOW, config=app.config) == []
    days = sorted(session.execute(sa.select(Bulletin.business_date)).scalars())
    assert days == sorted(drafted)
    assert _claims(session, "bulletin-draft") == sorted(d.isoformat() for d in drafted)


def test_a_review_build_killed_mid_work_is_built_by_the_next_run(app, session, database_url):
    _kill_mid_work(database_url, "review")
    assert _claims(session, "weekly-review") == []
    built = review.scheduled_build(session, config=app.config, now=NOW)
    assert built is not None and review.scheduled_build(session, config=app.config, now=NOW) is None
    weeks = session.execute(sa.select(WeeklyReview.iso_week)).scalars().all()
    assert weeks == [review.week_under_review(NOW)]
    assert _claims(session, "weekly-review") == weeks
