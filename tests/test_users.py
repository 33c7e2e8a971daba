import pytest

from feedback import users
from feedback.errors import Forbidden, Invalid
from feedback.schemas import UserIn, validated
from tests.factories import NOW, PASSWORD, make_user


def test_create_and_authenticate(session, loaded_taxonomy):
    user = make_user(session, role="head", department="product", email="Li.Na@Example.com")
    assert user.email == "li.na@example.com"
    assert users.authenticate(session, "LI.NA@example.com", PASSWORD).id == user.id
    assert users.authenticate(session, "li.na@example.com", "wrong-password") is None
    assert user.password_hash != PASSWORD


def test_inactive_users_cannot_sign_in(session, loaded_taxonomy):
    admin = make_user(session, role="admin")
    agent = make_user(session, role="agent")
    data = UserIn(email=agent.email, name=agent.name, role="agent")
    users.update_user(session, agent.id, data, active=False, by=admin)
    assert users.authenticate(session, agent.email, PASSWORD) is None


def test_emails_are_unique(session, loaded_taxonomy):
    make_user(session, email="same@example.com")
    with pytest.raises(Invalid, match="already taken"):
        make_user(session, email="same@example.com")


def test_a_head_needs_a_real_department(session, loaded_taxonomy):
    with pytest.raises(Invalid, match="needs a department"):
        make_user(session, role="head")
    with pytest.raises(Invalid, match="no department"):
        make_user(session, role="head", department="nowhere")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", "not-an-email", "email"),
    ("role", "boss", "role"),
    ("name", "  ", "name"),
    ("language", "fr", "language"),
])
def test_bad_input_is_invalid(field, value, message):
    data = {"email": "a@example.com", "name": "A", "role": "agent", "password": PASSWORD} | {field: value}
    with pytest.raises(Invalid, match=message):
        validated(UserIn, **data)


def test_short_passwords_are_refused(session):
    with pytest.raises(Invalid, match="at least 8"):
        users.create_user(session, UserIn(email="s@example.com", name="S", role="agent", password="short"), now=NOW)


def test_admins_cannot_lock_themselves_out(session, loaded_taxonomy):
    admin = make_user(session, role="admin")
    data = UserIn(email=admin.email, name=admin.name, role="admin")
    with pytest.raises(Forbidden):
        users.update_user(session, admin.id, data, active=False, by=admin)
    with pytest.raises(Forbidden):
        users.update_user(session, admin.id, data.model_copy(update={"role": "viewer"}), active=True, by=admin)


def test_list_users_searches_sorts_and_pages(session, loaded_taxonomy):
    for name in ("Carol", "alice", "Bob"):
        make_user(session, name=name)
    page = users.list_users(session, sort="name", per_page=2)
    assert page.total == 3
    assert [u.name for u in page.items] == ["alice", "Bob"]  # case-insensitive, same on both databases
    assert users.list_users(session, q="ALI").total == 1
    descending = users.list_users(session, sort="-email", per_page=10)
    emails = [u.email for u in descending.items]
    assert emails == sorted(emails, reverse=True)
    assert users.list_users(session, per_page=2, page=2).items and users.list_users(session, per_page=2, page=2).pages == 2
