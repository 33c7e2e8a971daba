"""The audit log: admin changes are recorded with who, when and old → new, whichever way they are made."""

from __future__ import annotations

import re

import sqlalchemy as sa

from feedback import taxonomy
from feedback.cli import main
from feedback.models import AuditEvent, User
from tests.factories import make_user


def _events(session, subject: str, **where) -> list[AuditEvent]:
    session.expire_all()
    stmt = sa.select(AuditEvent).where(AuditEvent.subject == subject).order_by(AuditEvent.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, name) == value)
    return list(session.execute(stmt).scalars())


def test_creating_a_user_and_changing_the_role_are_recorded_with_the_admin(client, session, login):
    admin = login("admin")
    form = {"email": "new@example.com", "name": "New Person", "role": "agent", "password": "long-password-1"}
    assert client.post("/admin/users/new", data=form).status_code == 302
    user = session.execute(sa.select(User).where(User.email == "new@example.com")).scalar_one()
    created, = _events(session, "user", action="create", subject_id=user.id)
    assert created.by_id == admin.id and "role=agent" in created.new and "password_hash=(changed)" in created.new
    edit = form | {"role": "head", "department": "logistics", "active": "1", "password": "another-password-2"}
    assert client.post(f"/admin/users/{user.id}", data=edit).status_code == 302
    changes = {e.field: (e.old, e.new, e.by_id) for e in _events(session, "user", action="update", subject_id=user.id)}
    assert changes["role"] == ("agent", "head", admin.id)
    assert changes["password_hash"][1] == "(changed)" and "scrypt" not in str(changes) and "pbkdf2" not in str(changes)
    assert "department_id" in changes and "name" not in changes  # only what changed


def test_a_department_rename_is_recorded(client, session, login):
    admin = login("admin")
    client.post("/admin/departments/logistics", data={"name_en": "Delivery", "name_zh": "物流", "active": "1"})
    renamed, = _events(session, "department", action="update", field="name_en")
    assert (renamed.name, renamed.old, renamed.new, renamed.by_id) == ("logistics", "Logistics", "Delivery", admin.id)


def test_taxonomy_load_and_a_kpi_target_change_are_recorded(runner, session, app, tmp_path):
    shipped = taxonomy.taxonomy_file(None)
    assert runner.invoke(main, ["taxonomy", "load", "--file", str(shipped)]).exit_code == 0
    created = _events(session, "category", action="create")
    assert len(created) == session.execute(sa.text("SELECT count(*) FROM category")).scalar_one()
    assert all(e.by_id is None for e in created)  # a command, not a person
    kpi = taxonomy.read(shipped)["kpi"][0]
    text = shipped.read_text(encoding="utf-8")
    changed = tmp_path / "taxonomy.toml"
    block = text.index(f'key = "{kpi["key"]}"')
    line = re.compile(r"^target = .*$", re.M).search(text, block)  # the first KPI's own target line
    changed.write_text(text[:line.start()] + "target = 12345.5" + text[line.end():], encoding="utf-8")
    assert taxonomy.read(changed)["kpi"][0]["target"] == 12345.5
    assert runner.invoke(main, ["taxonomy", "load", "--file", str(changed)]).exit_code == 0
    target, = _events(session, "kpi", action="update", field="target")
    assert (target.name, target.old, target.new) == (kpi["key"], str(kpi["target"]), "12345.5")


def test_sla_rules_are_recorded_when_set_changed_and_removed(runner, session, loaded_taxonomy):
    for args in (["high", "8"], ["high", "16"], ["high"]):
        assert runner.invoke(main, ["ticket", "sla", *args]).exit_code == 0
    events = [(e.action, e.field, e.old, e.new) for e in _events(session, "sla_rule")]
    assert events[0][0] == "create" and "business_hours=8" in events[0][3]
    assert events[1] == ("update", "business_hours", "8", "16")
    assert events[2][0] == "delete" and "business_hours=16" in events[2][2]


def test_api_tokens_created_and_revoked_are_recorded(client, session, login):
    admin = login("admin")
    client.post("/admin/tokens", data={"name": "crm", "scopes": "tickets:read"})
    created, = _events(session, "api_token", action="create")
    client.post(f"/admin/tokens/{created.subject_id}/revoke")
    revoked, = _events(session, "api_token", action="update", field="revoked_at")
    assert created.name == "crm" and revoked.new and revoked.by_id == admin.id
    assert not _events(session, "api_token", field="last_used_at")


def test_nothing_is_recorded_for_a_change_rolled_back(session, loaded_taxonomy):
    before = len(_events(session, "user"))
    session.add(User(email="ghost@example.com", name="Ghost", role="viewer"))
    session.flush()
    session.rollback()
    assert len(_events(session, "user")) == before


def test_the_audit_page_shows_changes_to_admins_only(client, session, login):
    make_user(session, role="agent", name="Audited Person")
    login("admin")
    page = client.get("/admin/audit?subject=user")
    assert page.status_code == 200 and "name=Audited Person" in page.text and "command or job" in page.text
    assert 'href="/admin/audit"' in client.get("/").text
    client.post("/logout")
    login("manager")
    assert client.get("/admin/audit").status_code == 403
