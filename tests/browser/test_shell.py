import pytest
from playwright.sync_api import expect

from feedback import db
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()  # signed in before the next step


def test_sign_in_switch_to_chinese_and_see_the_translated_home(page, live_app):
    with db.session_scope(live_app.extensions["feedback.engine"]) as session:
        make_user(session, role="manager", name="Wang Fang", email="wang@example.com")
    sign_in(page, "wang@example.com")
    expect(page.get_by_role("heading", name="Good day, Wang Fang")).to_be_visible()
    page.get_by_role("button", name="中文").click()
    page.wait_for_url("**/")
    expect(page.get_by_role("heading", name="Wang Fang，您好")).to_be_visible()
    expect(page.get_by_text("反馈日报")).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    # The choice is remembered on the user: a fresh sign-in lands in Chinese.
    page.get_by_role("button", name="退出登录").click()
    page.get_by_label("邮箱").fill("wang@example.com")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="Wang Fang，您好")).to_be_visible()


def test_admin_adds_a_user_through_the_form(page, live_app):
    with db.session_scope(live_app.extensions["feedback.engine"]) as session:
        make_user(session, role="admin", email="root@example.com")
    sign_in(page, "root@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Name").fill("Zhang Wei")
    page.get_by_label("Email").fill("zhang@example.com")
    page.get_by_label("Role", exact=True).select_option("head")
    page.get_by_label("Department", exact=True).select_option("logistics")
    page.get_by_label("Password").fill("long-enough-1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("User Zhang Wei created.")).to_be_visible()
    expect(page.get_by_role("cell", name="zhang@example.com")).to_be_visible()
