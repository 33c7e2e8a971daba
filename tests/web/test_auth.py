import pytest

from feedback import create_app
from tests.factories import PASSWORD, make_user


def test_pages_need_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_sign_in_and_out(client, session, loaded_taxonomy):
    user = make_user(session, role="manager", name="Wang Fang")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD}, follow_redirects=True)
    assert "Wang Fang" in response.text and "Good day" in response.text
    response = client.post("/logout", follow_redirects=True)
    assert "You are signed out." in response.text
    assert client.get("/").status_code == 302


def test_wrong_password_says_so(client, session):
    user = make_user(session)
    response = client.post("/login", data={"email": user.email, "password": "nope-nope"})
    assert response.status_code == 200 and "Wrong email or password." in response.text


def test_next_only_follows_local_paths(client, session, loaded_taxonomy):
    user = make_user(session, role="admin")
    form = {"email": user.email, "password": PASSWORD}
    assert client.post("/login?next=/admin/users", data=form).headers["Location"] == "/admin/users"
    client.post("/logout")
    assert client.post("/login?next=https://evil.example/x", data=form).headers["Location"] == "/"


@pytest.mark.parametrize(("role", "path", "status"), [
    ("admin", "/admin/users", 200),
    ("manager", "/admin/users", 403),
    ("head", "/admin/users", 403),
    ("agent", "/admin/users", 403),
    ("viewer", "/admin/users", 403),
    ("manager", "/admin/departments", 200),
    ("agent", "/admin/departments", 403),
    ("head", "/admin/categories", 200),
    ("viewer", "/admin/categories", 403),
])
def test_admin_pages_by_role(client, login, role, path, status):
    login(role)
    assert client.get(path).status_code == status


def test_navigation_follows_the_role(client, login):
    login("agent")
    page = client.get("/").text
    assert 'href="/admin/users"' not in page
    client.post("/logout")
    login("admin")
    assert 'href="/admin/users"' in client.get("/").text


def test_a_post_without_csrf_token_is_refused(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("FEEDBACK_INSTANCE_PATH", str(tmp_path))
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "csrf-test", "TESTING": True})
    try:
        client = app.test_client()
        response = client.post("/login", data={"email": "a@example.com", "password": "x"})
        assert response.status_code == 400
        assert "CSRF" in response.text
        page = client.get("/login").text
        assert 'name="csrf_token"' in page
    finally:
        app.extensions["feedback.engine"].dispose()


def test_language_choice_is_saved_on_the_user(client, login, session):
    user = login("manager")
    response = client.post("/language", data={"language": "zh", "next": "/"}, follow_redirects=True)
    assert "您好" in response.text and "反馈日报" in response.text
    session.refresh(user)
    assert user.language == "zh"


def test_browser_language_is_the_default(client):
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en-US"}).text


def test_anonymous_language_switch_lasts_the_session(client):
    client.post("/language", data={"language": "zh", "next": "/login"})
    assert "登录" in client.get("/login", headers={"Accept-Language": "en"}).text
