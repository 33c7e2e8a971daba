"""Ticket pages: the lists (filters in the URL, bulk actions, CSV export) and one ticket with its actions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from feedback import clock, db, merging, playbooks, reference, ticket_lists, tickets
from feedback.errors import Invalid
from feedback.web.auth import signed_in_user
from feedback.models import Channel, Priority, Role, TicketStatus
from feedback.web.filters import localized_name
from feedback.web.playbooks import ticket_panel

bp = Blueprint("tickets", __name__)

STATUS_LABELS = {"open": _l("open"), "in_progress": _l("in progress"), "resolved": _l("resolved"), "closed": _l("closed")}
PRIORITY_LABELS = {"low": _l("low"), "normal": _l("normal"), "high": _l("high"), "urgent": _l("urgent")}
VIEW_LABELS = {"open": _l("Open"), "mine": _l("Mine"), "department": _l("My department"), "overdue": _l("Overdue"), "all": _l("All")}


@bp.app_template_filter("ticket_number")
def ticket_number(ticket_id: int) -> str:
    return tickets.number(ticket_id)


def _labels() -> dict[str, dict[str, str]]:
    """Status and priority labels translated once per request: a lookup per row adds up on a 50-row list."""
    if "ticket_labels" not in g:
        g.ticket_labels = {
            "status": {k: str(v) for k, v in STATUS_LABELS.items()},
            "priority": {k: str(v) for k, v in PRIORITY_LABELS.items()},
            "units": [(size, str(unit)) for size, unit in UNITS],
            "overdue": str(OVERDUE),
        }
    return g.ticket_labels


@bp.app_template_filter("status_label")
def status_label(status: str) -> str:
    return _labels()["status"].get(status, status)


@bp.app_template_filter("priority_label")
def priority_label(priority: str) -> str:
    return _labels()["priority"].get(priority, priority)


EVENT_LABELS = {
    "owner": _l("owner"), "resolution": _l("resolution"), "feedback": _l("feedback"), "category": _l("category"),
    "department": _l("department"), "due_at": _l("due"), "merge": _l("merged"), "split": _l("split"),
    "reply": _l("reply to the customer"),
}


UNITS = ((86400, _l("%(n)d d")), (3600, _l("%(n)d h")), (60, _l("%(n)d min")))
OVERDUE = _l("%(span)s overdue")


@bp.app_template_filter("overdue_by")
def overdue_by(due: datetime | None) -> str:
    """How long past due: "3 d overdue", "5 h overdue" (translations looked up once per request)."""
    if due is None:
        return ""
    labels = _labels()
    seconds = max(60.0, (clock.now() - due).total_seconds())
    size, unit = next((size, unit) for size, unit in labels["units"] if seconds >= size)
    return labels["overdue"] % {"span": unit % {"n": seconds // size}}


@bp.app_template_filter("event_value")
def event_value(value: str, field: str) -> str:
    """Dates in the history are stored as ISO text in UTC; show them in the business time zone."""
    if field == "due_at" and value:
        try:
            return clock.local(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return value



@bp.get("/tickets")
@login_required
def index():
    session = db.session()
    filters = ticket_lists.TicketFilter.from_args(request.args)
    page = ticket_lists.list_tickets(
        session, filters, user=signed_in_user(), now=clock.now(), page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
    )
    categories, departments = reference.categories(session), reference.departments(session)
    return render_template(
        "tickets/list.html", page=page, filters=filters, views=VIEW_LABELS,
        statuses=list(TicketStatus), priorities=list(Priority), channels=list(Channel),
        categories=categories, category_names={c.id: localized_name(c) for c in categories},
        departments=departments, department_names={d.id: localized_name(d) for d in departments},
        can_bulk=current_user.role in (Role.manager, Role.head), owners=_owner_choices(session, None), now=clock.now(),
        labels=_labels(),
    )


def _owner_choices(session, department_id: int | None) -> list:
    """People a ticket can be given to: the department's heads and agents (all of them for a manager)."""
    if department_id is None:
        department_id = current_user.department_id if current_user.role == Role.head else None
    return reference.owners(session, department_id)


@bp.get("/tickets/export.csv")
@login_required
def export():
    """Every ticket of the list as CSV, streamed row by row (any size, constant memory)."""
    filters = ticket_lists.TicketFilter.from_args(request.args)
    user, now, engine = signed_in_user(), clock.now(), db.engine()

    def generate():
        # A session of its own: the request's session is closed before the first row streams.
        with db.session_scope(engine) as session:
            yield from _csv(ticket_lists.export_rows(session, filters, user=user, now=now))

    name = f"tickets-{clock.business_date(now).isoformat()}.csv"
    response = Response(generate(), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


def _csv(rows: Iterable[tuple]) -> Iterator[str]:
    """CSV text in chunks; a BOM so spreadsheet programs read UTF-8, formulas defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cell(value):
    """Customer text starting with = + - @ would run as a formula in a spreadsheet: quote it."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@bp.post("/tickets/bulk")
@login_required
def bulk():
    """Close or reassign the checked tickets (heads and managers; the service checks each ticket)."""
    session, form = db.session(), request.form
    chosen = form.getlist("ticket")
    try:
        if form.get("action") == "close":
            done = tickets.bulk_close(session, chosen, form.get("resolution", ""), by=signed_in_user(), now=clock.now())
            flash(_("%(n)d tickets closed.", n=done), "success")
        elif form.get("action") == "reassign":
            done = tickets.bulk_reassign(session, chosen, _owner_id(form), by=signed_in_user(), now=clock.now())
            flash(_("%(n)d tickets reassigned.", n=done), "success")
        else:
            raise Invalid(_("Choose an action."))
    except Invalid as exc:
        session.rollback()
        flash(str(exc), "error")
    return redirect(form.get("next") or url_for("tickets.index"))


def _owner_id(form) -> int | None:
    owner = form.get("owner", "")
    if owner in ("", "none"):
        return None
    if not owner.isdigit():
        raise Invalid(_("Choose an owner."))
    return int(owner)


@bp.get("/tickets/<int:ticket_id>")
@login_required
def detail(ticket_id: int):
    session = db.session()
    found = ticket_lists.ticket_detail(session, ticket_id)
    return render_template(
        "tickets/detail.html", d=found, t=found.ticket, actions=tickets.available(signed_in_user(), found.ticket),
        owners=reference.owners(session, found.ticket.department_id), priorities=list(Priority),
        event_labels=EVENT_LABELS, now=clock.now(), playbook_panel=ticket_panel(session, found, signed_in_user()),
    )


# Each action: the form fields it reads and the service it calls. The service decides who may.
ACTIONS = {
    "start": lambda s, n, f, u, now: tickets.start(s, n, by=u, now=now),
    "resolve": lambda s, n, f, u, now: tickets.resolve(s, n, f.get("resolution", ""), by=u, now=now),
    "close": lambda s, n, f, u, now: playbooks.propose_on_close(
        s, tickets.close_ticket(s, n, f.get("resolution", ""), by=u, now=now), f.get("playbook_proposal"), by=u, now=now),
    "reopen": lambda s, n, f, u, now: tickets.reopen(s, n, f.get("reason", ""), by=u, now=now),
    "comment": lambda s, n, f, u, now: tickets.comment(s, n, f.get("text", ""), by=u, now=now),
    "reassign": lambda s, n, f, u, now: tickets.reassign(s, n, _owner_id(f), by=u, now=now),
    "priority": lambda s, n, f, u, now: tickets.set_priority(s, n, f.get("priority", ""), by=u, now=now),
    "merge": lambda s, n, f, u, now: merging.merge(s, n, f.get("into", ""), by=u, now=now),
    "split": lambda s, n, f, u, now: merging.split(s, n, [int(i) for i in f.getlist("feedback") if i.isdigit()], by=u, now=now),
}
DONE = {
    "start": _l("Work started."), "resolve": _l("Marked resolved."), "close": _l("Ticket closed."),
    "reopen": _l("Ticket reopened."), "comment": _l("Comment added."), "reassign": _l("Owner changed."),
    "priority": _l("Priority changed."), "merge": _l("Tickets merged."), "split": _l("Feedback split off into a new ticket."),
}


@bp.post("/tickets/<int:ticket_id>/<action>")
@login_required
def act(ticket_id: int, action: str):
    """One workflow action from the ticket page; refusals (403) come from the service."""
    if action not in ACTIONS:
        return render_template("errors/404.html", status=404, message=_("No such action.")), 404
    session = db.session()
    try:
        result = ACTIONS[action](session, ticket_id, request.form, signed_in_user(), clock.now())
    except Invalid as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("tickets.detail", ticket_id=ticket_id))
    flash(str(DONE[action]), "success")
    target = result.id if action in ("merge", "split") else ticket_id
    return redirect(url_for("tickets.detail", ticket_id=target))
