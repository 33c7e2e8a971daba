import sqlalchemy as sa

from feedback.models import Department, User
from tests.factories import make_user


def test_admin_creates_a_head(client, login, session):
    login("admin")
    form = {"name": "Li Na", "email": "li.na@example.com", "role": "head", "department": "product", "password": "long-enough-1", "language": "zh"}
    response = client.post("/admin/users/new", data=form, follow_redirects=True)
    assert "User Li Na created." in response.text
    user = session.exec(sa.select(User).where(User.email == "li.na@example.com")).scalar_one()
    assert user.role == "head" and user.language == "zh"


def test_bad_user_form_keeps_what_was_typed(client, login):
    login("admin")
    form = {"name": "No Dept", "email": "nodept@example.com", "role": "head", "password": "long-enough-1"}
    response = client.post("/admin/users/new", data=form)
    assert response.status_code == 200
    assert "a head needs a department" in response.text
    assert 'value="nodept@example.com"' in response.text


def test_admin_edits_and_deactivates_a_user(client, login, session):
    login("admin")
    agent = make_user(session, role="agent", name="Old Name")
    form = {"name": "New Name", "email": agent.email, "role": "viewer", "department": ""}
    response = client.post(f"/admin/users/{agent.id}", data=form, follow_redirects=True)
    assert "Saved." in response.text
    session.refresh(agent)
    assert (agent.name, agent.role, agent.active) == ("New Name", "viewer", False)


def test_user_list_searches_and_pages(client, login, session, app):
    app.config["PAGE_SIZE"] = 3
    login("admin")
    for i in range(5):
        make_user(session, name=f"Zed {i}")
    page = client.get("/admin/users?q=zed&sort=name").text
    assert "1–3 of 5" in page and "Zed 0" in page and "Zed 3" not in page
    assert "Zed 3" in client.get("/admin/users?q=zed&sort=name&page=2").text
    assert "No user matches these filters." in client.get("/admin/users?q=nobody-like-this").text


def test_unknown_user_is_404(client, login):
    login("admin")
    assert client.get("/admin/users/99999").status_code == 404


def test_departments_page_edits_names(client, login, session):
    login("admin")
    response = client.post("/admin/departments/logistics", data={"name_en": "Delivery", "name_zh": "配送部", "active": "1"}, follow_redirects=True)
    assert "Saved." in response.text and 'value="Delivery"' in response.text
    assert session.exec(sa.select(Department.name_zh).where(Department.key == "logistics")).scalar_one() == "配送部"


def test_managers_see_departments_read_only(client, login):
    login("manager")
    page = client.get("/admin/departments").text
    assert "logistics" in page and "<input" not in page.split("<table")[1]
    assert client.post("/admin/departments/logistics", data={"name_en": "x", "name_zh": "y"}).status_code == 403


def test_categories_page_lists_the_taxonomy_in_chinese(client, login):
    login("head", language="zh")
    page = client.get("/admin/categories").text
    assert "logistics.late" in page and "问题分类" in page
