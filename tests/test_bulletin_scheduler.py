"""Two scheduler processes started together against one database draft each day's bulletin once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import sqlalchemy as sa

from feedback import clock
from feedback.models import Bulletin, JobRun

# A real scheduler (build_scheduler, started) in a process of its own, running until the drafts are there.
SCHEDULER = """
import logging, sys, time
logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(name)s %(message)s")
import sqlalchemy as sa
from feedback import create_app, db, jobs
from feedback.models import Bulletin
app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "x", "BULLETIN_CATCHUP_DAYS": 3, "BULLETIN_HOUR": 0})
start_at = float(sys.argv[2])
time.sleep(max(0.0, start_at - time.time()))
scheduler = jobs.build_scheduler(app)
scheduler.start()
deadline = time.time() + 40
while time.time() < deadline:
    with db.session_scope(app.extensions["feedback.engine"]) as session:
        if session.execute(sa.select(sa.func.count()).select_from(Bulletin)).scalar_one() >= 3:
            break
    time.sleep(0.2)
time.sleep(1)
scheduler.shutdown(wait=True)
"""


def test_two_schedulers_make_one_bulletin_per_day(app, session, database_url):
    start_at = time.time() + 4  # both import and build their app first, then start on the same instant
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    processes = [subprocess.Popen([sys.executable, "-c", SCHEDULER, database_url, str(start_at)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=90)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    today = clock.business_date(clock.now())
    expected = {(today - timedelta(days=n)).isoformat() for n in (1, 2, 3)}
    days = session.execute(sa.select(Bulletin.business_date)).scalars().all()
    assert sorted(d.isoformat() for d in days) == sorted(expected)
    claims = session.execute(sa.select(JobRun.key).where(JobRun.job == "bulletin-draft")).scalars().all()
    assert sorted(claims) == sorted(expected)
    drafted = [line.rsplit(" ", 1)[1] for out in outputs for line in out.splitlines() if "bulletin drafted for" in line]
    assert sorted(drafted) == sorted(expected), outputs  # each day drafted by exactly one of the two
    assert "job bulletin_draft failed" not in "".join(outputs)
