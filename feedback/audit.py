"""The audit log: every change to users, roles, departments, categories, KPI targets, SLA rules and API tokens.

Recorded by one ORM hook on every session, in the same transaction as the change, so a page, a
command, the API and a job are all covered and nothing is recorded for a change rolled back. Each
changed field is one AuditEvent (who, when, old → new), like a ticket's history.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from feedback import clock
from feedback.models import KPI, ApiToken, AuditEvent, Category, Department, SlaRule, User
from feedback.pagination import Page, paginate

# table → (subject word, the column people know it by, the columns whose changes are recorded)
AUDITED = {
    User: ("user", "email", ("email", "name", "role", "department_id", "active", "password_hash")),
    Department: ("department", "key", ("name_en", "name_zh", "active", "assign_rule")),
    Category: ("category", "key", ("name_en", "name_zh", "department_id", "severity", "sla_hours", "keywords_en",
                                   "keywords_zh", "kpi_keys", "active")),
    KPI: ("kpi", "key", ("name_en", "name_zh", "department_id", "unit", "direction", "target", "source")),
    SlaRule: ("sla_rule", "", ("category_id", "priority", "business_hours")),
    ApiToken: ("api_token", "name", ("scopes", "user_id", "revoked_at")),
}
SUBJECTS = tuple(subject for subject, _name, _fields in AUDITED.values())
SECRET = {"password_hash"}  # that it changed is recorded, never the value
CHANGED = "(changed)"


def install() -> None:
    """Hook the audit into every session (once per process)."""
    if not event.contains(OrmSession, "after_flush", _after_flush):
        event.listen(OrmSession, "after_flush", _after_flush)


def _after_flush(session: OrmSession, _context) -> None:
    rows = []
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if type(obj) in AUDITED:
                rows += _events(obj, action)
    if rows:
        actor, now = _actor(), clock.now()
        for row in rows:
            row.update(at=now, by_id=actor)
        session.connection().execute(sa.insert(AuditEvent), rows)


def _events(obj, action: str) -> list[dict]:
    subject, name_column, fields = AUDITED[type(obj)]
    state = sa.inspect(obj)
    base = {"action": action, "subject": subject, "subject_id": obj.id, "name": _name(obj, name_column),
            "field": "", "old": "", "new": ""}
    if action == "create":
        return [base | {"new": ", ".join(f"{f}={_text(f, getattr(obj, f))}" for f in fields
                                         if getattr(obj, f) not in (None, "", []))}]
    if action == "delete":
        return [base | {"old": ", ".join(f"{f}={_text(f, getattr(obj, f))}" for f in fields)}]
    events = []
    for field in fields:
        history = state.attrs[field].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            events.append(base | {"field": field, "old": _text(field, old), "new": _text(field, new)})
    return events


def _name(obj, column: str) -> str:
    if isinstance(obj, SlaRule):
        return f"{obj.priority} / category {obj.category_id or 'default'}"
    return str(getattr(obj, column) or "")[:254]


def _text(field: str, value) -> str:
    if field in SECRET:
        return CHANGED if value else ""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _actor() -> int | None:
    """The signed-in person of this request; None for commands, jobs and API tokens."""
    if not has_request_context():
        return None
    user = g.get("_login_user")  # Flask-Login's user, loaded by the role guard before the view ran
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


def list_events(session: Session, *, subject: str = "", page: int = 1, per_page: int = 50) -> Page:
    """Audit events newest first, with the person who acted: a page of (AuditEvent, User | None)."""
    stmt = (sa.select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.by_id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    if subject:
        stmt = stmt.where(AuditEvent.subject == subject)
    return paginate(session, stmt, page=page, per_page=per_page, scalars=False)
