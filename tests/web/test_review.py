"""Weekly review pages: the review, Pareto with filters and drill-down, clearance, KPIs and projects."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from feedback import clock, kpi, review
from feedback.models import CarryOver, KPIValue, Project, SignOff, WeeklyReview
from tests import factories

WEEK = "2026-W47"
MONDAY_10 = clock.day_bounds(date(2026, 11, 16))[0] + timedelta(hours=10)


def test_review_page_shows_pareto_chart_clearance_and_kpis(client, session, login):
    factories.make_ticket(session, received_at=MONDAY_10)
    factories.make_ticket(session, category="product.quality", received_at=MONDAY_10)
    login("manager")
    response = client.post("/reviews", data={"week": WEEK})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/reviews/{WEEK}")
    page = client.get(f"/reviews/{WEEK}").get_data(as_text=True)
    assert "chart-pareto" in page and "<svg" in page
    assert "Late delivery" in page
    assert "On-time delivery rate" in page and "Clearance rate" in page
    assert f"/projects/new?week={WEEK}&amp;category=" in page  # vital few offer a project
    assert "/reviews" in client.get("/reviews").get_data(as_text=True)


def test_pareto_page_filters_and_drill_down(client, session, login):
    factories.make_ticket(session, received_at=MONDAY_10, channel="phone")
    factories.make_ticket(session, category="product.quality", received_at=MONDAY_10)
    login("head", department="product")
    page = client.get(f"/pareto?week={WEEK}&channel=phone").get_data(as_text=True)
    assert "chart-pareto" in page and f"/pareto/items?week={WEEK}&amp;category=logistics.late&amp;channel=phone" in page
    assert "product.quality" not in page
    assert client.get(f"/pareto?week={WEEK}&by=tickets&department=product").status_code == 200
    items = client.get(f"/pareto/items?week={WEEK}&category=logistics.late").get_data(as_text=True)
    assert "FB-" in items
    assert client.get("/pareto?week=nope").status_code == 400


def test_head_carries_over_and_signs_off_only_their_department(client, session, login):
    ticket = factories.make_ticket(session, received_at=MONDAY_10)
    other = factories.make_ticket(session, category="product.quality", received_at=MONDAY_10)
    login("head", department="logistics")
    page = client.get(f"/clearance?week={WEEK}").get_data(as_text=True)
    assert ticket.number in page and other.number not in page  # their own department by default
    due = (clock.business_date(clock.now()) + timedelta(days=7)).isoformat()
    refused = client.post("/clearance/carry", data={"week": WEEK, "ticket": other.number, "reason": "x", "new_due": due})
    assert refused.status_code == 403
    early = client.post("/clearance/sign-off", data={"week": WEEK, "department": "logistics"})
    assert early.status_code == 400
    done = client.post("/clearance/carry", data={"week": WEEK, "ticket": ticket.number, "reason": "courier report", "new_due": due,
                                                 "department": "logistics"})
    assert done.status_code == 302
    assert session.execute(sa.select(CarryOver.reason)).scalar_one() == "courier report"
    assert client.post("/clearance/sign-off", data={"week": WEEK, "department": "logistics"}).status_code == 302
    assert session.execute(sa.select(sa.func.count()).select_from(SignOff)).scalar() == 1
    assert client.post("/clearance/sign-off", data={"week": WEEK, "department": "product"}).status_code == 403


def test_kpi_page_and_value_entry(client, session, login):
    login("head", department="logistics")
    page = client.get(f"/kpis?week={WEEK}").get_data(as_text=True)
    assert "chart-kpi" in page and "On-time delivery rate" in page
    assert "Computed KPIs per day" in page and "11-16" in page  # the week's days, Monday first
    start, end = kpi.week_range(WEEK)
    saved = client.post("/kpis/values", data={"kpi": "logistics.on_time_rate", "period_start": start.isoformat(),
                                              "period_end": end.isoformat(), "value": "91.5", "week": WEEK})
    assert saved.status_code == 302
    assert session.execute(sa.select(KPIValue.value)).scalar_one() == 91.5
    refused = client.post("/kpis/values", data={"kpi": "product.out_of_stock_rate", "period_start": start.isoformat(), "value": "1"})
    assert refused.status_code == 403
    assert "at risk" in client.get(f"/kpis?week={WEEK}").get_data(as_text=True)  # 91.5 vs 95 within 5 %


def test_manager_opens_a_project_and_closes_the_review(client, session, login):
    ticket = factories.make_ticket(session, received_at=MONDAY_10)
    manager = login("manager")
    review.build(session, WEEK, now=clock.now())
    form = client.get(f"/projects/new?week={WEEK}&category=logistics.late").get_data(as_text=True)
    assert ticket.number in form
    created = client.post("/projects/new", data={"week": WEEK, "category": "logistics.late", "title": "Faster couriers",
                                                 "owner_id": str(manager.id), "kpi": "logistics.on_time_rate",
                                                 "goal_value": "97", "due_date": "2027-02-01", "tickets": ticket.number})
    assert created.status_code == 302
    project = session.execute(sa.select(Project)).scalar_one()
    assert (project.title, project.goal_value, project.due_date) == ("Faster couriers", 97.0, date(2027, 2, 1))
    assert "Faster couriers" in client.get("/projects").get_data(as_text=True)
    client.post(f"/reviews/{WEEK}/notes", data={"notes": "Couriers again"})
    app_config = client.application.config
    app_config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)  # no server: the review still closes, the page says so
    closed = client.post(f"/reviews/{WEEK}/close", data={"notes": "Couriers again"}, follow_redirects=True)
    assert closed.status_code == 200 and "could not be sent" in closed.get_data(as_text=True)
    session.expire_all()
    found = session.execute(sa.select(WeeklyReview)).scalar_one()
    assert found.status == "closed" and found.notes == "Couriers again" and found.snapshot["projects"][0]["title"] == "Faster couriers"


def test_a_head_cannot_close_the_review(client, session, login):
    review.build(session, WEEK, now=clock.now())
    login("head", department="logistics")
    assert client.post(f"/reviews/{WEEK}/close").status_code == 403
    assert client.post("/reviews", data={"week": WEEK}).status_code == 403


def test_kpi_values_through_the_api(client, session, loaded_taxonomy):
    from feedback import tokens

    head = factories.make_user(session, role="head", department="logistics")
    _token, plain = tokens.create_token(session, name="wms", scopes=["tickets:write"], user=head, now=factories.NOW)
    headers = {"Authorization": f"Bearer {plain}"}
    body = {"values": [{"kpi": "logistics.on_time_rate", "period_start": "2026-11-16", "period_end": "2026-11-22", "value": 96.1},
                       {"kpi": "logistics.delivery_success_rate", "period_start": "2026-11-16", "period_end": "2026-11-22", "value": 97}]}
    response = client.post("/api/v1/kpi-values", json=body, headers=headers)
    assert response.status_code == 200 and response.get_json() == {"stored": 2}
    assert sorted(session.execute(sa.select(KPIValue.value)).scalars()) == [96.1, 97.0]
    foreign = {"values": [{"kpi": "product.out_of_stock_rate", "period_start": "2026-11-16", "value": 1}]}
    refused = client.post("/api/v1/kpi-values", json=foreign, headers=headers)
    assert refused.status_code == 400 and "row 1" in refused.get_json()["error"]
    assert client.post("/api/v1/kpi-values", json=body).status_code == 401
    assert "/kpi-values" in client.get("/api/v1/openapi.json").get_json()["paths"]
