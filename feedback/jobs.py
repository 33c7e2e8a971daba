"""The scheduler and its jobs. Each job is one session plus one service call, run once per key."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from feedback import clock, db
from feedback.models import JobRun

log = logging.getLogger(__name__)
HEARTBEAT = ("heartbeat", "scheduler")


def claim(session: Session, job: str, key: str, *, now: datetime) -> bool:
    """Take the unique (job, key) row; False when someone already did, so the job runs once per key."""
    session.add(JobRun(job=job, key=key, started_at=now))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


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


def _in_app(app: Flask, service, **kwargs):
    """Wrap a service call as a job: app context, its own session, the current time."""

    def run():
        with app.app_context(), db.session_scope() as session:
            try:
                service(session, now=clock.now(), **kwargs)
            except Exception:
                log.exception("job %s failed", service.__name__)

    run.__name__ = service.__name__
    return run


def _mail_poll(app: Flask):
    """The IMAP poll as a job. Safe to overlap with a second scheduler: store() dedupes by Message-ID."""
    from feedback import intake
    from feedback.intake import imap

    mailboxes = imap.mailboxes_from_config(app.config["MAILBOXES"])
    limits = intake.mail_limits(app.config)

    def fetch_mail(session: Session, *, now: datetime) -> None:
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


def build_scheduler(app: Flask, *, blocking: bool = False) -> BaseScheduler:
    """A scheduler in the business time zone with every job registered (not started)."""
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(timezone=clock.business_tz(), job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
    scheduler.add_job(_in_app(app, beat), "interval", minutes=1, id="heartbeat", next_run_time=clock.now())
    scheduler.add_job(_in_app(app, _retrain(app)), "cron", hour=app.config["RETRAIN_HOUR"], id="retrain")
    if app.config["MAILBOXES"]:
        scheduler.add_job(_in_app(app, _mail_poll(app)), "interval", minutes=app.config["MAIL_POLL_MINUTES"],
                          id="fetch-mail", next_run_time=clock.now())
    if app.config["FORUMS"]:
        scheduler.add_job(_in_app(app, _forum_poll(app)), "interval", minutes=app.config["FORUM_POLL_MINUTES"],
                          id="fetch-forum", next_run_time=clock.now())
    return scheduler
