"""The JSON API under /api/v1: token authentication, the ticket endpoints and the OpenAPI description.

Every endpoint calls the same services as the pages; a token acts as its user, so the same rules
apply (only a department's head or a manager closes a ticket). Errors come back as JSON from
web/errors.py. Other areas add their paths and schemas to SPEC (see `extend`).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, request, url_for

from feedback import clock, db, ticket_lists, tickets, tokens
from feedback.errors import Invalid
from feedback.web.auth import bearer_token
from feedback.models import Category, Department, Ticket, TicketStatus, User
from feedback.web import api_feedback
from feedback.web.openapi import SPEC, extend

# POST /feedback lives in api_feedback for now; its paths join this one document (served below).
extend(api_feedback.OPENAPI["paths"], api_feedback.OPENAPI["components"]["schemas"])

bp = Blueprint("api", __name__, url_prefix="/api/v1")
READ, WRITE = "tickets:read", "tickets:write"
MAX_LIMIT = 200
STATUS_ACTIONS = {TicketStatus.in_progress: "start", TicketStatus.resolved: "resolve",
                  TicketStatus.closed: "close", TicketStatus.open: "reopen"}


def token_user(scope: str) -> User:
    """The active user a valid token with `scope` acts as (401/403 otherwise)."""
    session = db.session()
    token = tokens.verify_token(session, bearer_token(), scope=scope, now=clock.now())
    user = session.get(User, token.user_id) if token.user_id else None
    if user is None or not user.active:
        raise tokens.Unauthorized("the token's user is missing or inactive")
    return user


@bp.get("/openapi.json")
def openapi():
    return jsonify(SPEC)


@bp.get("/tickets")
def list_tickets():
    """Tickets matching the list filters, newest first, by keyset cursor."""
    user = token_user(READ)
    session = db.session()
    filters = ticket_lists.TicketFilter.from_args(request.args)
    limit = min(max(request.args.get("limit", 50, type=int), 1), MAX_LIMIT)
    cursor = request.args.get("cursor", "")
    if cursor and not cursor.isdigit():
        raise Invalid("cursor: use next_cursor of the previous page")
    rows = ticket_lists.after(session, filters, user=user, now=clock.now(), cursor=int(cursor or 0), limit=limit + 1)
    names = _names(session, rows)
    more = len(rows) > limit
    return jsonify(items=[_ticket(t, names) for t in rows[:limit]],
                   next_cursor=str(rows[limit - 1].id) if more else None)


@bp.get("/tickets/<ref>")
def get_ticket(ref: str):
    token_user(READ)
    session = db.session()
    d = ticket_lists.ticket_detail(session, ref)
    names = _names(session, [d.ticket])
    feedback = [
        {"id": f.id, "channel": f.channel, "received_at": _iso(f.received_at), "customer": f.customer,
         "contact": f.contact, "order_ref": f.order_ref, "rating": f.rating, "subject": f.subject, "text": f.body or f.text}
        for f in d.feedback
    ]
    history = [
        {"at": _iso(e.at), "by": d.people[e.by_id].name if e.by_id in d.people else None, "field": e.field,
         "old": e.old, "new": e.new, "note": e.note}
        for e in d.events
    ]
    return jsonify(_ticket(d.ticket, names) | {"feedback": feedback, "history": history})


@bp.patch("/tickets/<ref>")
def patch_ticket(ref: str):
    """Change owner, priority, status and/or add a comment; each through its service, all checked first."""
    user = token_user(WRITE)
    session = db.session()
    body = _json()
    ticket = tickets.get_ticket(session, ref)
    steps = _steps(body)
    for action in {a for a, _ in steps}:
        tickets.require(user, ticket, action)
    now = clock.now()
    for _action, apply in steps:
        apply(session, ticket.id, user, now)
    return get_ticket(ref)


def _steps(body: dict) -> list:
    """The service calls a PATCH body asks for, in a fixed order."""
    unknown = set(body) - {"owner_id", "priority", "status", "resolution", "reason", "comment"}
    if unknown:
        raise Invalid(f"unknown fields: {', '.join(sorted(unknown))}")
    steps = []
    if "owner_id" in body:
        owner = body["owner_id"]
        if owner is not None and (isinstance(owner, bool) or not isinstance(owner, int) or not 0 < owner < 2**31):
            raise Invalid("owner_id: a user id or null")
        steps.append(("reassign", lambda s, n, u, now: tickets.reassign(s, n, owner, by=u, now=now)))
    if "priority" in body:
        steps.append(("prioritize", lambda s, n, u, now: tickets.set_priority(s, n, str(body["priority"]), by=u, now=now)))
    if "status" in body:
        steps.append(_status_step(body))
    if "comment" in body:
        steps.append(("comment", lambda s, n, u, now: tickets.comment(s, n, str(body["comment"]), by=u, now=now)))
    if not steps:
        raise Invalid("nothing to change: send owner_id, priority, status or comment")
    return steps


def _status_step(body: dict):
    status = body["status"]
    action = STATUS_ACTIONS.get(status) if isinstance(status, str) else None  # a JSON object is no status
    if action is None:
        raise Invalid(f"status: one of {', '.join(STATUS_ACTIONS)}")
    resolution, reason = str(body.get("resolution") or ""), str(body.get("reason") or "")
    calls = {
        "start": lambda s, n, u, now: tickets.start(s, n, by=u, now=now),
        "resolve": lambda s, n, u, now: tickets.resolve(s, n, resolution, by=u, now=now),
        "close": lambda s, n, u, now: tickets.close_ticket(s, n, resolution, by=u, now=now),
        "reopen": lambda s, n, u, now: tickets.reopen(s, n, reason, by=u, now=now),
    }
    return action, calls[action]


@bp.post("/tickets/<ref>/close")
def close_ticket(ref: str):
    """Close with a resolution: only the head of the ticket's department or a manager."""
    user = token_user(WRITE)
    body = _json()
    tickets.close_ticket(db.session(), ref, str(body.get("resolution") or ""), by=user, now=clock.now())
    return get_ticket(ref)


@bp.post("/kpi-values")
def import_kpi_values():
    """Imported KPI values (out-of-stock rate, on-time delivery…): all or none, as `feedback kpi import`."""
    from feedback import kpi

    user, values = token_user(WRITE), _json().get("values")
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise Invalid("values: a list of {kpi, period_start, period_end, value}")
    result = kpi.import_rows(db.session(), values, by=user, now=clock.now())
    if result.errors:
        raise Invalid("; ".join(result.errors))
    return jsonify(stored=result.stored)


def _json() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object (Content-Type: application/json)")
    if _has_nul(body):  # PostgreSQL text cannot hold U+0000: refuse it here rather than fail in the database
        raise Invalid("text must not contain NUL (U+0000) characters")
    return body


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_nul(v) for v in value)


def _names(session, rows: list[Ticket]) -> dict:
    """Keys of categories and departments, names of owners: what ticket JSON shows beside ids."""
    owners = {t.owner_id for t in rows if t.owner_id}
    people = {u.id: u for u in session.execute(sa.select(User).where(User.id.in_(owners))).scalars()} if owners else {}
    return {
        "category": dict(session.execute(sa.select(Category.id, Category.key)).all()),
        "department": dict(session.execute(sa.select(Department.id, Department.key)).all()),
        "owner": people,
    }


def _ticket(t: Ticket, names: dict) -> dict:
    owner = names["owner"].get(t.owner_id)
    now = clock.now()
    return {
        "number": tickets.number(t.id), "id": t.id, "title": t.title, "status": t.status, "priority": t.priority,
        "category": names["category"].get(t.category_id), "department": names["department"].get(t.department_id),
        "owner": {"id": owner.id, "name": owner.name, "email": owner.email} if owner else None,
        "due_at": _iso(t.due_at), "overdue": bool(t.due_at and t.due_at < now and t.status in ("open", "in_progress")),
        "opened_at": _iso(t.opened_at), "resolved_at": _iso(t.resolved_at), "closed_at": _iso(t.closed_at),
        "updated_at": _iso(t.updated_at), "resolution": t.resolution, "feedback_count": t.feedback_count,
        "contact": t.contact, "order_ref": t.order_ref, "key_product": t.key_product,
        "url": url_for("tickets.detail", ticket_id=t.id, _external=True),
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None
