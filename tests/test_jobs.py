"""Job claims: one run per key; a held claim commits with the work, so a crash before that frees the key."""

import sqlalchemy as sa

from feedback import db, jobs
from feedback.models import JobRun
from tests.factories import NOW


def _claims(app, job):
    with db.session_scope(app.extensions["feedback.engine"]) as other:
        return other.execute(sa.select(JobRun.key).where(JobRun.job == job)).scalars().all()


def test_a_key_is_claimed_once(app, session):
    assert jobs.claim(session, "demo-job", "2026-11-24", now=NOW)
    assert not jobs.claim(session, "demo-job", "2026-11-24", now=NOW)
    assert jobs.claim(session, "demo-job", "2026-11-25", now=NOW)
    assert sorted(_claims(app, "demo-job")) == ["2026-11-24", "2026-11-25"]


def test_a_held_claim_is_lost_with_work_that_never_committed(app, session):
    assert jobs.claim(session, "held-job", "2026-W47", now=NOW, hold=True)
    session.rollback()  # the process died before the job's commit
    assert _claims(app, "held-job") == []
    assert jobs.claim(session, "held-job", "2026-W47", now=NOW, hold=True)  # the next run does the work
    session.commit()
    assert _claims(app, "held-job") == ["2026-W47"]
    assert not jobs.claim(session, "held-job", "2026-W47", now=NOW, hold=True)
