"""Input that could not be stored: list it, show it, try it again, or discard it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import defer
from sqlmodel import Session, select

from feedback import intake
from feedback.errors import Invalid, NotFound
from feedback.intake.pipeline import problem_with
from feedback.models import ImportRun, Quarantine
from feedback.pagination import Page, paginate


def list_items(session: Session, *, status: str = "held", run: int | None = None, page: int = 1, per_page: int = 50) -> Page:
    stmt = select(Quarantine).options(defer(Quarantine.raw))
    if status:
        stmt = stmt.where(Quarantine.status == status)
    if run:
        stmt = stmt.where(Quarantine.import_run_id == run)
    return paginate(session, stmt.order_by(Quarantine.id.desc()), page=page, per_page=per_page)


def get_item(session: Session, item_id: int) -> Quarantine:
    item = session.get(Quarantine, item_id)
    if item is None:
        raise NotFound(f"no quarantined item {item_id}")
    return item


def retry(session: Session, item_id: int, *, now: Callable[[], datetime]) -> ImportRun:
    """Parse the kept input again (after a fix in the parser); store it if it now passes."""
    item = get_item(session, item_id)
    if item.status != "held":
        raise Invalid(f"item {item_id} is already {item.status}")
    parse = intake.reparser(item.channel)
    if parse is None:
        raise Invalid(f"{item.channel} input cannot be re-read on its own; fix the file and import it again")
    parsed = parse(item.raw, source=item.source, locator=item.locator)
    problem = parsed.reason if isinstance(parsed, intake.Rejected) else problem_with(parsed)
    if problem:
        item.reason = problem
        session.commit()
        raise Invalid(f"still cannot be stored: {problem}")
    run = intake.import_items(session, [parsed], channel=item.channel, source=item.source,
                              file_name=f"quarantine #{item.id}", now=now)
    item.status = "retried"
    session.commit()
    return run


def discard(session: Session, item_id: int) -> Quarantine:
    """Mark an item as looked at and not wanted; the bytes stay for the record."""
    item = get_item(session, item_id)
    item.status = "discarded"
    session.commit()
    return item


def list_runs(session: Session, *, channel: str = "", page: int = 1, per_page: int = 50) -> Page:
    stmt = select(ImportRun)
    if channel:
        stmt = stmt.where(ImportRun.channel == channel)
    return paginate(session, stmt.order_by(ImportRun.id.desc()), page=page, per_page=per_page)
