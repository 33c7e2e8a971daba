"""Template helpers: business-time dates, relative ages, bilingual names, navigation by role."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from feedback import clock
from feedback.models import Role

ALL = tuple(Role)
# (endpoint, label, roles that see it). Areas add their entry here as they are built.
NAVIGATION = [
    ("home.index", _l("Home"), ALL),
    ("bulletins.today", _l("Bulletin"), ALL),
    ("inbox.index", _l("Feedback"), ALL),
    ("triage.index", _l("Triage"), (Role.admin, Role.manager, Role.agent)),
    ("tickets.index", _l("Tickets"), ALL),
    ("review.index", _l("Weekly review"), (Role.admin, Role.manager, Role.head, Role.viewer)),
    ("review.kpis", _l("KPIs"), (Role.admin, Role.manager, Role.head, Role.viewer)),
    ("playbooks.index", _l("Playbooks"), ALL),
    ("phone.log_call", _l("Log a call"), (Role.admin, Role.manager, Role.agent)),
    ("products.index", _l("Key products"), (Role.admin, Role.manager, Role.head, Role.agent)),
    ("imports.runs", _l("Imports"), (Role.admin, Role.manager, Role.agent)),
    ("imports.held", _l("Quarantine"), (Role.admin, Role.manager, Role.agent)),
    ("admin.users", _l("Users"), (Role.admin,)),
    ("tokens.index", _l("API tokens"), (Role.admin,)),
    ("admin.departments", _l("Departments"), (Role.admin, Role.manager)),
    ("admin.categories", _l("Categories"), (Role.admin, Role.manager, Role.head)),
    ("admin.audit_log", _l("Audit log"), (Role.admin,)),
]


ROLE_LABELS = {
    Role.admin: _l("admin"), Role.manager: _l("manager"), Role.head: _l("department head"),
    Role.agent: _l("agent"), Role.viewer: _l("viewer"),
}


CHANNEL_LABELS = {
    "phone": _l("phone"), "email": _l("email"), "forum": _l("forum"), "review": _l("review"), "survey": _l("survey"),
}


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def localtime(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return clock.local(moment).strftime(fmt) if moment else ""


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """'3 d ago', 'in 5 h', 'just now': how far a moment is from now."""
    if moment is None:
        return ""
    seconds = ((now or clock.now()) - moment).total_seconds()
    span = abs(seconds)
    for size, unit in ((86400, _l("%(n)d d")), (3600, _l("%(n)d h")), (60, _l("%(n)d min"))):
        if span >= size:
            amount = str(unit) % {"n": span // size}
            return str(_l("%(span)s ago", span=amount) if seconds > 0 else _l("in %(span)s", span=amount))
    return str(_l("just now"))


def chinese() -> bool:
    """Whether the page is shown in Chinese."""
    return str(get_locale() or "en").startswith("zh")


def localized_name(item) -> str:
    """name_zh in Chinese, name_en otherwise (falling back to whichever exists)."""
    if item is None:
        return ""
    return (item.name_zh if chinese() else item.name_en) or item.name_en or item.name_zh


def navigation() -> list[tuple[str, str, bool]]:
    if not current_user.is_authenticated:
        return []
    return [
        (url_for(endpoint), str(label), request.endpoint == endpoint)
        for endpoint, label, roles in NAVIGATION
        if current_user.role in roles
    ]


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (filters stay in the URL)."""
    args = request.args.to_dict() | {k: v for k, v in changes.items()}
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register(app: Flask) -> None:
    app.jinja_env.filters.update(localtime=localtime, age=age, name=localized_name, role=role_label, channel=channel_label)
    app.jinja_env.globals.update(navigation=navigation, url_with=url_with, locale=lambda: str(get_locale()))
    app.jinja_env.globals.update(today=lambda: clock.business_date(clock.now()), date=date)
