"""The scheduler and its jobs. Each job is one session plus one service call, run once per key."""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from feedback import clock, db, logs
from feedback.models import JobRun

log = logging.getLogger(__name__)
HEARTBEAT = ("heartbeat", "scheduler")


def claim(session: Session, job: str, key: str, *, now: datetime, hold: bool = False) -> bool:
    """Take the unique (job, key) row; False when someone already did, so the job runs once per key.

    hold=True only flushes the claim: it commits with the job's own work, so a crash before that commit
    leaves the key free and the next run does the work (for short jobs: on SQLite a held claim keeps the
    write lock until the commit). Without hold the claim commits at once: a crash loses that run.
    """
    taken = session.execute(sa.select(JobRun.id).where(JobRun.job == job, JobRun.key == key)).first() is None
    if taken:
        session.add(JobRun(job=job, key=key, started_at=now))
        try:
            session.flush() if hold else session.commit()
        except IntegrityError:  # another scheduler took it between our look and our insert
            session.rollback()
            taken = False
    logs.note_claim(job, key, taken)
    return taken


def beat(session: Session, *, now: datetime) -> None:
    """Record that a scheduler is alive (read by health checks)."""
    job, key = HEARTBEAT
    updated = session.execute(
        sa.update(JobRun).where(JobRun.job == job, JobRun.key == key).values(finished_at=now)
    ).rowcount
    if not updated and not claim(session, job, key, now=now):
        return
    session.commit()


def last_beat(session: Session) -> datetime | None:
    job, key = HEARTBEAT
    row = session.execute(sa.select(JobRun.finished_at, JobRun.started_at).where(JobRun.job == job, JobRun.key == key)).first()
    return (row[0] or row[1]) if row else None


@contextmanager
def exclusive(engine: sa.Engine, name: str) -> Iterator[bool]:
    """True while this process alone holds the named lock (a PostgreSQL advisory lock, released on exit or
    when the process dies); SQLite deployments run one scheduler, so there it is always True."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = zlib.crc32(name.encode())
    with engine.connect() as conn:
        mine = conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one()
        conn.commit()
        try:
            yield mine
        finally:
            if mine:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()


def _in_app(app: Flask, service, **kwargs):
    """Wrap a service call as a job: app context, its own session, the current time."""

    def run():
        token, started, failed = logs.start_job(), time.perf_counter(), False
        with app.app_context(), db.session_scope() as session:
            try:
                service(session, now=clock.now(), **kwargs)
            except Exception:
                failed = True
                log.exception("job %s failed", service.__name__)
        logs.finish_job(token, service.__name__, started, failed=failed)  # one JSON line per run

    run.__name__ = service.__name__
    return run


def _mail_poll(app: Flask):
    """The IMAP poll as a job. Safe to overlap with a second scheduler: store() dedupes by Message-ID."""
    from feedback import intake
    from feedback.intake import imap

    mailboxes = imap.mailboxes_from_config(app.config["MAILBOXES"])
    limits = intake.mail_limits(app.config)

    def fetch_mail(session: Session, *, now: datetime) -> None:
        # Two schedulers polling at once would both fetch the UIDs above last_uid: one polls, the other skips.
        with exclusive(session.get_bind(), "fetch-mail") as mine:
            if mine:
                imap.fetch_all(session, mailboxes, now=clock.now, limits=limits)  # each run stamps its own times

    return fetch_mail


def _forum_poll(app: Flask):
    """The forum and feed poll as a job. Safe to overlap with a second scheduler: posts are stored by their id."""
    from feedback.intake import forum

    sources = forum.sources_from_config(app.config["FORUMS"], max_pages=app.config["FORUM_MAX_PAGES"])

    def fetch_forum(session: Session, *, now: datetime) -> None:
        forum.fetch_all(session, sources, now=clock.now, timeout=app.config["FORUM_TIMEOUT"])

    return fetch_forum


def _retrain(app: Flask):
    """The nightly retrain as a job: claimed once per business day, trains only after new corrections."""
    from feedback import classify

    def retrain(session: Session, *, now: datetime) -> None:
        if claim(session, "retrain", clock.business_date(now).isoformat(), now=now):
            classify.retrain_if_corrected(session, instance_path=app.instance_path, now=now)

    return retrain


def send_outbox(session: Session, *, now: datetime) -> None:
    """The "outbox" job: send pending mail; rows are claimed under a lease, so two schedulers never send one twice."""
    from feedback import notify

    notify.send_pending(session, now=now)


def _outbox_purge(app: Flask):
    from feedback import outbox

    def outbox_purge(session: Session, *, now: datetime) -> None:
        """The nightly "outbox-purge" job: old sent mail leaves the table (a delete, harmless twice)."""
        outbox.purge(session, app.config, now=now)
        session.commit()

    return outbox_purge


def overdue_digest(session: Session, *, now: datetime) -> None:
    """The "overdue-digest" job: hourly, so a late start catches up; it queues mail once per business day."""
    from feedback import notify

    notify.queue_digest(session, now=now)


def _bulletin_draft(app: Flask):
    """The "bulletin-draft" job, hourly and at start: each business day's draft is claimed once by its date."""
    from feedback import bulletin_schedule

    def bulletin_draft(session: Session, *, now: datetime) -> None:
        bulletin_schedule.scheduled(session, now=now, config=app.config)

    return bulletin_draft


def _weekly_review(app: Flask):
    """The "weekly-review" and "clearance-reminder" jobs, hourly: each claims its ISO week once when due."""
    from feedback import review

    def weekly_review(session: Session, *, now: datetime) -> None:
        review.scheduled_build(session, config=app.config, now=now)
        review.scheduled_reminder(session, config=app.config, now=now)

    return weekly_review


def build_scheduler(app: Flask, *, blocking: bool = False) -> BaseScheduler:
    """A scheduler in the business time zone with every job registered (not started)."""
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(timezone=clock.business_tz(), job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
    scheduler.add_job(_in_app(app, beat), "interval", minutes=app.config["HEARTBEAT_MINUTES"], id="heartbeat",
                      next_run_time=clock.now())
    scheduler.add_job(_in_app(app, _retrain(app)), "cron", hour=app.config["RETRAIN_HOUR"], id="retrain")
    scheduler.add_job(_in_app(app, _bulletin_draft(app)), "cron", minute=0, id="bulletin-draft", next_run_time=clock.now())
    scheduler.add_job(_in_app(app, send_outbox), "interval", minutes=1, id="outbox", next_run_time=clock.now())
    scheduler.add_job(_in_app(app, _outbox_purge(app)), "cron", hour=3, minute=30, id="outbox-purge")
    scheduler.add_job(_in_app(app, overdue_digest), "cron", minute=0, id="overdue-digest", next_run_time=clock.now())
    scheduler.add_job(_in_app(app, _weekly_review(app)), "cron", minute=0, id="weekly-review", next_run_time=clock.now())
    if app.config["MAILBOXES"]:
        scheduler.add_job(_in_app(app, _mail_poll(app)), "interval", minutes=app.config["MAIL_POLL_MINUTES"],
                          id="fetch-mail", next_run_time=clock.now())
    if app.config["FORUMS"]:
        scheduler.add_job(_in_app(app, _forum_poll(app)), "interval", minutes=app.config["FORUM_POLL_MINUTES"],
                          id="fetch-forum", next_run_time=clock.now())
    return scheduler
