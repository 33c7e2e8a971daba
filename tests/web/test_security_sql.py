"""SQL metacharacters in every search and filter: normal answers, literal matching, never a 500."""

from __future__ import annotations

import pytest

from feedback import products, tickets, tokens
from tests.factories import NOW, make_feedback, make_user

META = ["'", "%", "_", "\\", '"; DROP TABLE feedback; --', "' OR '1'='1", "%' --", "\x00", "物流%_"]
# Every query parameter a list page reads today; each page ignores the ones it does not know.
PARAMS = ["q", "sort", "page", "status", "channel", "category", "department", "owner", "priority", "view", "role",
          "source", "from", "to", "due_from", "due_to", "month", "day", "run", "ticket", "by", "week", "version"]


@pytest.fixture
def data(session, loaded_taxonomy):
    """Two of each searchable thing: one with metacharacters in it, one plain."""
    make_feedback(session, body="Coupon 50%_off did not apply", customer="Percent Person")
    plain = make_feedback(session, body="Parcel late again", customer="Plain Person")
    make_user(session, role="viewer", name="Under_score")
    make_user(session, role="viewer", name="Underxscore")
    products.add_product(session, ref="SKU%1", name="Cup", now=NOW)
    products.add_product(session, ref="SKU21", name="Mug", now=NOW)
    return {"plain_ticket": tickets.number(plain.ticket_id)}


def _list_pages(app) -> list[str]:
    """Every page without path variables that answers GET (API and static aside)."""
    return sorted({
        rule.rule for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(("/api/", "/static"))
        and rule.endpoint not in ("auth.login", "health.healthz")  # healthz: 503 without a scheduler
    })


def test_every_filter_answers_normally(app, client, login, data):
    """Each page with every parameter set to each value at once, then each parameter alone (the mix of all)."""
    login("admin")
    pages = _list_pages(app)
    assert len(pages) >= 10
    tries = [{name: value for name in PARAMS} for value in META] + [{name: "".join(META)} for name in PARAMS]
    for path in pages:
        for query in tries:
            response = client.get(path, query_string=query)
            assert response.status_code in (200, 302, 400, 404), f"{path}?{query}: {response.status_code}"


@pytest.mark.parametrize(("path", "hit", "miss"), [
    ("/feedback?q=%25_", "Percent Person", "Plain Person"),
    ("/feedback?q=50%25", "Percent Person", "Plain Person"),
    ("/admin/users?q=r_s", "Under_score", "Underxscore"),
    ("/products?q=sku%25", "SKU%1", "SKU21"),
])
def test_wildcards_in_searches_match_literally(client, login, data, path, hit, miss):
    login("admin")
    response = client.get(path)
    assert response.status_code == 200 and hit in response.text and miss not in response.text


def test_ticket_search_and_api_take_metacharacters(client, session, login, data):
    login("manager")
    for value in META:
        response = client.get("/tickets", query_string={"view": "all", "q": value})
        assert response.status_code == (400 if "\x00" in value else 200), value  # NUL: refused up front
    assert data["plain_ticket"] in client.get("/tickets", query_string={"view": "all", "q": "late' --"}).text
    manager = make_user(session, role="manager")
    _, plain = tokens.create_token(session, name="bi", scopes=["tickets:read"], user=manager, now=NOW)
    for value in META:
        response = client.get("/api/v1/tickets", query_string={"q": value}, headers={"Authorization": f"Bearer {plain}"})
        wanted = (400, "error") if "\x00" in value else (200, "items")
        assert (response.status_code, wanted[1] in response.json) == (wanted[0], True), value
