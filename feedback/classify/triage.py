"""Triage: the items classification was not sure of, and a person's category choice for them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from feedback import tickets
from feedback.classify.rules import OTHER
from feedback.errors import Invalid, NotFound
from feedback.models import Category, ClassifiedBy, Feedback, FeedbackEvent, User
from feedback.pagination import Page, paginate


def queue_filter(session: Session, threshold: float):
    """Items no person has set that sit in `other` or below the confidence threshold (problems only)."""
    other = sa.select(Category.id).where(Category.key == OTHER).scalar_subquery()
    return sa.and_(
        Feedback.not_a_problem == "",
        sa.or_(Feedback.classified_by.is_(None), Feedback.classified_by != ClassifiedBy.person),
        sa.or_(Feedback.category_id.is_(None), Feedback.category_id == other, Feedback.confidence < threshold),
    )


def queue(session: Session, *, threshold: float, page: int = 1, per_page: int = 50) -> Page:
    """One page of the triage queue, oldest first (raw bytes stay unloaded)."""
    stmt = (
        select(Feedback).options(defer(Feedback.raw))
        .where(queue_filter(session, threshold))
        .order_by(Feedback.received_at, Feedback.id)
    )
    return paginate(session, stmt, page=page, per_page=per_page)


def queue_size(session: Session, *, threshold: float) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(Feedback).where(queue_filter(session, threshold))).scalar_one()


def set_category(session: Session, feedback_ids: Sequence[int], category_key: str, *, by: User, now: datetime) -> list[int]:
    """A person's category for items: final (confidence 1.0), one FeedbackEvent each; returns the ids changed."""
    category = session.execute(select(Category).where(Category.key == category_key)).scalar_one_or_none()
    if category is None or not category.active:
        raise Invalid(f"unknown category {category_key!r}")
    ids = sorted({int(i) for i in feedback_ids})
    if not ids:
        raise Invalid("choose at least one feedback item")
    items = list(session.execute(select(Feedback).options(defer(Feedback.raw)).where(Feedback.id.in_(ids))).scalars())
    if len(items) != len(ids):
        raise NotFound(f"no feedback {sorted(set(ids) - {f.id for f in items})}")
    keys = dict(session.execute(sa.select(Category.id, Category.key)).all())
    changed = []
    for item in items:
        old = keys.get(item.category_id, "")
        if old != category_key:
            changed.append(item.id)
        # A confirmation of the machine's choice is recorded too: it is a person-labelled example.
        session.add(FeedbackEvent(feedback_id=item.id, at=now, by_id=by.id, field="category", old=old, new=category_key))
        item.category_id, item.confidence, item.classified_by = category.id, 1.0, ClassifiedBy.person
    session.flush()
    tickets.reroute_for_feedback(session, changed, by=by, now=now)
    session.commit()
    return changed
