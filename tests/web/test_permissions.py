"""Every route × every role (and signed out) against one explicit table of who may.

ADDING A ROUTE: add one line to EXPECTED (endpoint: requests, each `R(method, path, who, form)`);
`test_every_route_is_in_the_table` fails until you do. Paths use the placeholders of `world`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from feedback import intake, playbooks, products, projects, tokens
from feedback.intake import Attachment, Rejected
from feedback.models import ApiToken, Attachment as AttachmentRow, Quarantine
from tests.factories import NOW, make_feedback, make_user

ROLES = ("admin", "manager", "head", "agent", "viewer")
NOBODY: frozenset = frozenset()
PUBLIC = frozenset(ROLES) | {None}  # None is a visitor who is not signed in
SIGNED_IN = frozenset(ROLES)
ADMIN = frozenset({"admin"})
ADMIN_MANAGER = frozenset({"admin", "manager"})
STAFF = frozenset({"admin", "manager", "agent"})  # triage, phone desk, imports
READERS = frozenset({"admin", "manager", "head", "agent"})
WRITERS = SIGNED_IN - {"viewer"}
MANAGES = frozenset({"manager", "head"})  # a manager, or the head of the ticket's department
WORKS = frozenset({"manager", "head"})  # the owner (the head here) too
TOKEN_ONLY = NOBODY  # the API ignores cookies: without a token every role gets 401


@dataclass(frozen=True)
class R:
    method: str
    path: str
    who: frozenset
    form: dict = field(default_factory=dict)


TICKET = "/tickets/{ticket}"
EXPECTED: dict[str, tuple[R, ...]] = {
    "static": (R("GET", "/static/app.css", PUBLIC),),
    "auth.login": (R("GET", "/login", PUBLIC), R("POST", "/login", PUBLIC, {"email": "x@example.com", "password": "nope-nope"})),
    "auth.language": (R("POST", "/language", PUBLIC, {"language": "en"}),),
    "public.contact": (R("GET", "/contact", PUBLIC),),
    "health.healthz": (R("GET", "/healthz", PUBLIC),),
    "home.index": (R("GET", "/", SIGNED_IN),),
    "inbox.index": (R("GET", "/feedback?q=late", SIGNED_IN),),
    "inbox.detail": (R("GET", "/feedback/{feedback}", SIGNED_IN),),
    "inbox.raw": (R("GET", "/feedback/{feedback}/raw", SIGNED_IN),),
    "inbox.attachment": (R("GET", "/attachments/{attachment}", SIGNED_IN),),
    "imports.runs": (R("GET", "/imports", STAFF),),
    "imports.held": (R("GET", "/quarantine", STAFF),),
    "imports.item": (R("GET", "/quarantine/{quarantine}", STAFF),),
    "triage.index": (R("GET", "/triage", STAFF),),
    "triage.model": (R("GET", "/triage/model", STAFF),),
    "triage.apply": (R("POST", "/triage", STAFF, {"ids": "{feedback}", "category": "logistics.late"}),),
    "phone.log_call": (R("GET", "/phone", STAFF),),
    "phone.suggest": (R("GET", "/phone/suggest?text=late", STAFF),),
    "products.index": (R("GET", "/products", READERS),),
    "products.bad_reviews": (R("GET", "/products/bad-reviews", READERS),),
    "products.add": (R("POST", "/products", ADMIN_MANAGER, {"ref": "SKU-9", "name": "Kettle"}),),
    "products.mark": (R("POST", "/products/{product}/key", ADMIN_MANAGER, {"key_product": "1"}),),
    "tickets.index": (R("GET", "/tickets?view=all", SIGNED_IN),),
    "tickets.export": (R("GET", "/tickets/export.csv", SIGNED_IN),),
    "tickets.detail": (R("GET", TICKET, SIGNED_IN),),
    "tickets.act": (R("POST", TICKET + "/comment", WRITERS, {"text": "called back"}), R("POST", TICKET + "/start", WORKS),
                    R("POST", TICKET + "/priority", MANAGES, {"priority": "high"}),
                    R("POST", TICKET + "/close", MANAGES, {"resolution": "refunded"})),
    "tickets.bulk": (R("POST", "/tickets/bulk", MANAGES, {"action": "close", "ticket": "{ticket}", "resolution": "done"}),),
    "admin.users": (R("GET", "/admin/users", ADMIN),),
    "admin.user_new": (R("GET", "/admin/users/new", ADMIN),),
    "admin.user_edit": (R("GET", "/admin/users/{user}", ADMIN),),
    "admin.departments": (R("GET", "/admin/departments", ADMIN_MANAGER),),
    "admin.department_edit": (R("POST", "/admin/departments/logistics", ADMIN, {"name_en": "Logistics", "name_zh": "物流", "active": "1"}),),
    "admin.audit_log": (R("GET", "/admin/audit", ADMIN),),
    "admin.categories": (R("GET", "/admin/categories", READERS - {"agent"}),),
    "tokens.index": (R("GET", "/admin/tokens", ADMIN),),
    "tokens.create": (R("POST", "/admin/tokens", ADMIN, {"name": "shop", "scopes": "feedback:write"}),),
    "tokens.revoke": (R("POST", "/admin/tokens/{token}/revoke", ADMIN),),
    "imports.retry": (R("POST", "/quarantine/{quarantine}/retry", ADMIN_MANAGER),),
    "imports.discard": (R("POST", "/quarantine/{quarantine}/discard", ADMIN_MANAGER),),
    # Daily bulletin: everyone reads; the manager (and admins) draft, edit and issue.
    "bulletins.today": (R("GET", "/bulletins", SIGNED_IN),),
    "bulletins.show": (R("GET", "/bulletins/2026-11-23", SIGNED_IN),),
    "bulletins.archive": (R("GET", "/bulletins/archive?month=2026-11", SIGNED_IN),),
    "bulletins.draft": (R("POST", "/bulletins/2026-11-23/draft", ADMIN_MANAGER),),
    "bulletins.printable": (R("GET", "/bulletins/2026-11-23/print", SIGNED_IN),),
    "bulletins.preview": (R("POST", "/bulletins/preview", ADMIN_MANAGER, {"markdown": "**x**"}),),
    "bulletins.act": (R("POST", "/bulletins/2026-11-23/save", ADMIN_MANAGER, {"markdown": "# x"}),),
    # Playbooks: everyone reads; managers, admins and the category's head edit.
    "playbooks.index": (R("GET", "/playbooks", SIGNED_IN),),
    "playbooks.view": (R("GET", "/playbooks/logistics.late", SIGNED_IN),),
    "playbooks.edit": (R("GET", "/playbooks/logistics.late/edit", {"admin", "manager", "head"}),),
    "playbooks.save_reply": (R("POST", "/playbooks/logistics.late/replies/en", {"admin", "manager", "head"},
                               {"subject": "Re: your parcel", "body": "Sorry for the delay."}),),
    "playbooks.proposals": (R("GET", "/playbooks/proposals", {"admin", "manager", "head"}),),
    "playbooks.decide": (R("POST", "/playbooks/proposals/{proposal}/reject", {"admin", "manager", "head"}, {"reason": "no"}),),
    "playbooks.similar_panel": (R("GET", TICKET + "/similar", SIGNED_IN),),
    "playbooks.reply": (R("POST", TICKET + "/reply", WRITERS, {"subject": "Re", "body": "We are on it."}),),
    # Weekly review, Pareto, clearance, KPIs, projects: everyone reads; the manager runs the review.
    "review.index": (R("GET", "/reviews", SIGNED_IN),),
    "review.detail": (R("GET", "/reviews/2026-W47", SIGNED_IN),),
    "review.build": (R("POST", "/reviews", ADMIN_MANAGER, {"week": "2026-W47"}),),
    "review.notes": (R("POST", "/reviews/2026-W47/notes", ADMIN_MANAGER, {"notes": "ok"}),),
    "review.close": (R("POST", "/reviews/2026-W47/close", ADMIN_MANAGER),),
    "review.pareto_page": (R("GET", "/pareto?week=2026-W47", SIGNED_IN),),
    "review.pareto_items": (R("GET", "/pareto/items?week=2026-W47&category=logistics.late", SIGNED_IN),),
    "review.clearance_page": (R("GET", "/clearance?week=2026-W48", SIGNED_IN),),
    "review.carry": (R("POST", "/clearance/carry", MANAGES, {"week": "2026-W48", "ticket": "{ticket}", "reason": "waiting",
                                                             "new_due": "2026-12-04", "department": "logistics"}),),
    "review.sign_off": (R("POST", "/clearance/sign-off", MANAGES, {"week": "2026-W48", "department": "logistics"}),),
    "review.kpis": (R("GET", "/kpis?week=2026-W47", SIGNED_IN),),
    "review.kpi_value": (R("POST", "/kpis/values", {"admin", "manager", "head"},
                           {"kpi": "logistics.on_time_rate", "period_start": "2026-11-23", "value": "0.9"}),),
    "review.project_list": (R("GET", "/projects", SIGNED_IN),),
    "review.project_form": (R("GET", "/projects/new?week=2026-W47", SIGNED_IN),),
    "review.project_create": (R("POST", "/projects/new", {"admin", "manager", "head"},
                                {"week": "2026-W47", "title": "Faster couriers", "category": "logistics.late"}),),
    "review.project_status": (R("POST", "/projects/{project}/status", {"admin", "manager", "head"}, {"status": "done"}),),
    "api.import_kpi_values": (R("POST", "/api/v1/kpi-values", TOKEN_ONLY),),
    "api.openapi": (R("GET", "/api/v1/openapi.json", PUBLIC),),
    "api.list_tickets": (R("GET", "/api/v1/tickets", TOKEN_ONLY),),
    "api.get_ticket": (R("GET", "/api/v1/tickets/{ticket}", TOKEN_ONLY),),
    "api.patch_ticket": (R("PATCH", "/api/v1/tickets/{ticket}", TOKEN_ONLY),),
    "api.close_ticket": (R("POST", "/api/v1/tickets/{ticket}/close", TOKEN_ONLY),),
    "api_feedback.post_feedback": (R("POST", "/api/v1/feedback", TOKEN_ONLY),),
    "auth.logout": (R("POST", "/logout", SIGNED_IN),),  # last: it signs the client out
}


def test_every_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(EXPECTED))
    assert not missing, "add these endpoints to EXPECTED in tests/web/test_permissions.py: " + ", ".join(missing)
    assert not sorted(set(EXPECTED) - endpoints), "EXPECTED names endpoints that no longer exist"


@pytest.fixture
def world(session, loaded_taxonomy) -> dict:
    """One of each thing a route can name: a logistics ticket with an attachment, a quarantined input…"""
    item = make_feedback(session, category="logistics.late", order_ref="SO-1",
                         attachments=[Attachment("photo.png", "image/png", b"\x89PNG fake")])
    intake.import_items(session, [Rejected("email", "inbox", b"not a mail", "unreadable")], channel="email",
                        source="inbox", now=lambda: NOW)
    admin = make_user(session, role="admin")
    token, _ = tokens.create_token(session, name="shop", scopes=["feedback:write"], user=admin, now=NOW)
    agent = make_user(session, role="agent")
    proposal = playbooks.propose(session, item.ticket_id, "Call the courier before the customer calls.", by=agent, now=NOW)
    project = projects.open_project(session, "2026-W48", projects.ProjectIn("Faster couriers", "logistics.late", agent.id),
                                    by=admin, now=NOW)
    return {
        "ticket": item.ticket_id, "feedback": item.id, "attachment": session.scalar(sa.select(AttachmentRow.id)),
        "quarantine": session.scalar(sa.select(Quarantine.id)), "user": make_user(session, role="viewer").id,
        "token": token.id, "product": products.add_product(session, ref="SKU-1", now=NOW).id,
        "proposal": proposal.id, "project": project.id,
    }


def _outcome(response) -> str:
    """ok, or how the request was refused."""
    if response.status_code == 401:
        return "401"
    if response.status_code == 403:
        return "403"
    if response.status_code in (301, 302, 303) and "/login?next=" in response.headers["Location"]:
        return "login"
    if response.status_code >= 500 and response.status_code != 503:  # 503: /healthz without a scheduler
        return "error"
    return "ok"


def _expected(role: str | None, request: R) -> str:
    if role in request.who:
        return "ok"
    if request.path.startswith("/api/"):
        return "401"
    return "login" if role is None else "403"


@pytest.mark.parametrize("role", [*ROLES, None])
def test_each_role_reaches_exactly_its_routes(client, login, world, role):
    """A head here heads logistics, the ticket's department, and owns the ticket (the default rule)."""
    signed_in = login(role) if role else None
    wrong = []
    for endpoint, requests in EXPECTED.items():
        for request in requests:
            path = request.path.format(**world)
            form = {k: v.format(**world) for k, v in request.form.items()}
            response = client.open(path, method=request.method, data=form or None)
            got, want = _outcome(response), _expected(role, request)
            if got != want:
                wrong.append(f"{endpoint} {request.method} {path}: {got}, expected {want} ({response.status_code})")
    assert not wrong, f"as {role or 'signed out'} ({signed_in and signed_in.email}):\n" + "\n".join(wrong)


def test_a_head_acts_only_in_their_own_department(client, login, world):
    login("head", department="product")
    ticket = world["ticket"]  # a logistics ticket
    assert client.get(f"/tickets/{ticket}").status_code == 200  # every signed-in user may read it
    for action, form in [("start", {}), ("priority", {"priority": "high"}), ("close", {"resolution": "x"}),
                         ("reassign", {"owner": "none"})]:
        assert client.post(f"/tickets/{ticket}/{action}", data=form).status_code == 403, action
    bulk = {"action": "close", "ticket": str(ticket), "resolution": "x"}
    assert client.post("/tickets/bulk", data=bulk).status_code == 403


def _bearer(plain: str) -> dict:
    return {"Authorization": f"Bearer {plain}"}


def test_api_tokens_are_stored_hashed(session, world):
    admin = make_user(session, role="admin")
    token, plain = tokens.create_token(session, name="crm", scopes=["tickets:read"], user=admin, now=NOW)
    row = session.execute(sa.select(ApiToken.__table__).where(ApiToken.id == token.id)).one()
    assert plain not in [str(value) for value in row]
    assert row.token_hash == hashlib.sha256(plain.encode()).hexdigest() and plain.startswith(row.prefix)


def test_api_tokens_are_scoped_and_act_as_their_user(client, session, world):
    manager = make_user(session, role="manager")
    _, read_only = tokens.create_token(session, name="bi", scopes=["tickets:read"], user=manager, now=NOW)
    ticket = f"/api/v1/tickets/{world['ticket']}"
    assert client.get("/api/v1/tickets", headers=_bearer(read_only)).status_code == 200
    assert client.get(ticket, headers=_bearer(read_only)).status_code == 200
    assert client.patch(ticket, json={"priority": "high"}, headers=_bearer(read_only)).status_code == 403
    assert client.post(ticket + "/close", json={"resolution": "x"}, headers=_bearer(read_only)).status_code == 403
    assert client.post("/api/v1/feedback", json={"channel": "survey", "text": "hi"}, headers=_bearer(read_only)).status_code == 403
    viewer = make_user(session, role="viewer")
    _, writer = tokens.create_token(session, name="v", scopes=["tickets:write"], user=viewer, now=NOW)
    assert client.post(ticket + "/close", json={"resolution": "x"}, headers=_bearer(writer)).status_code == 403


def test_a_revoked_token_is_refused(client, session, world):
    manager = make_user(session, role="manager")
    token, plain = tokens.create_token(session, name="bi", scopes=["tickets:read"], user=manager, now=NOW)
    assert client.get("/api/v1/tickets", headers=_bearer(plain)).status_code == 200
    tokens.revoke_token(session, token.id, now=NOW)
    assert client.get("/api/v1/tickets", headers=_bearer(plain)).status_code == 401
    assert client.get("/api/v1/tickets", headers=_bearer(plain[:-1] + "x")).status_code == 401

