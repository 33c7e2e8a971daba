"""Pareto of experience problems: figures against hand-computed ones, ISO week edges, and real CFPB complaints."""

from __future__ import annotations

import csv
import itertools
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from feedback import clock, pareto
from feedback.models import Category, Department, Feedback
from tests import factories

WEEK = "2026-W47"  # Monday 2026-11-16
MONDAY = date(2026, 11, 16)
_ids = itertools.count(1)


def add_feedback(session, counts: dict[str, int], *, day: date = MONDAY, channel: str = "email") -> None:
    """Bulk-insert classified feedback: {category key: how many} on one business day."""
    ids = dict(session.execute(sa.select(Category.key, Category.id)).all())
    received = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=4)
    rows = [
        {"channel": channel, "source": "test", "external_id": f"t{next(_ids)}", "received_at": received,
         "business_date": day, "raw": b"x", "category_id": ids[key], "not_a_problem": "", "text": "x"}
        for key, n in counts.items() for _ in range(n)
    ]
    if rows:
        session.execute(sa.insert(Feedback), rows)
        session.commit()


def figures(result: pareto.Pareto) -> list[tuple]:
    return [(r.key, r.value, round(r.share, 4), round(r.cumulative, 4), r.vital) for r in result.rows]


def test_shares_and_the_cut_landing_exactly_on_a_boundary(session, loaded_taxonomy):
    add_feedback(session, {"logistics.late": 5, "product.quality": 3, "service.response": 2})
    result = pareto.weekly(session, WEEK, cut=0.8)
    # 5/10, then 8/10 reaches 80 % exactly: the vital few end there and service.response stays out.
    assert figures(result) == [
        ("logistics.late", 5, 0.5, 0.5, True),
        ("product.quality", 3, 0.3, 0.8, True),
        ("service.response", 2, 0.2, 1.0, False),
    ]
    assert [r.key for r in result.vital_few] == ["logistics.late", "product.quality"]
    assert result.total == 10


def test_a_cut_just_above_the_boundary_takes_the_next_category(session, loaded_taxonomy):
    add_feedback(session, {"logistics.late": 5, "product.quality": 3, "service.response": 2})
    assert [r.key for r in pareto.weekly(session, WEEK, cut=0.81).vital_few] == [
        "logistics.late", "product.quality", "service.response"]


def test_ties_rank_alphabetically_with_equal_shares(session, loaded_taxonomy):
    add_feedback(session, {"service.response": 3, "logistics.late": 3, "product.quality": 3, "site.usability": 1})
    result = pareto.weekly(session, WEEK, cut=0.8)
    assert figures(result) == [
        ("logistics.late", 3, 0.3, 0.3, True),
        ("product.quality", 3, 0.3, 0.6, True),
        ("service.response", 3, 0.3, 0.9, True),
        ("site.usability", 1, 0.1, 1.0, False),
    ]


def test_an_empty_week_has_no_rows(session, loaded_taxonomy):
    add_feedback(session, {"logistics.late": 4}, day=MONDAY - timedelta(days=1))  # the Sunday before
    result = pareto.weekly(session, WEEK)
    assert result.rows == [] and result.total == 0 and result.vital_few == []


def test_a_single_category_is_the_whole_vital_few(session, loaded_taxonomy):
    add_feedback(session, {"product.quality": 7}, day=MONDAY + timedelta(days=6))  # Sunday: still this week
    result = pareto.weekly(session, WEEK)
    assert figures(result) == [("product.quality", 7, 1.0, 1.0, True)]


def test_praise_and_other_are_not_problems(session, loaded_taxonomy):
    add_feedback(session, {"praise": 50, "other": 20, "logistics.late": 1})
    assert [(r.key, r.value) for r in pareto.weekly(session, WEEK).rows] == [("logistics.late", 1)]


def test_severity_weighting_multiplies_by_the_category_severity(session, loaded_taxonomy):
    severity = dict(session.execute(sa.select(Category.key, Category.severity)).all())
    add_feedback(session, {"logistics.late": 4, "site.usability": 3})
    result = pareto.weekly(session, WEEK, mode="severity")
    expected = sorted([("logistics.late", 4 * severity["logistics.late"]), ("site.usability", 3 * severity["site.usability"])],
                      key=lambda kv: (-kv[1], kv[0]))
    assert [(r.key, r.value) for r in result.rows] == expected


def test_previous_week_change_and_eight_week_sparkline(session, loaded_taxonomy):
    for weeks_back, n in enumerate([6, 2, 0, 1]):  # this week 6, last week 2, none, then 1
        add_feedback(session, {"logistics.late": n}, day=MONDAY - timedelta(days=7 * weeks_back) + timedelta(days=2))
    add_feedback(session, {"logistics.late": 9}, day=MONDAY - timedelta(days=7 * 8))  # nine weeks back: outside
    row = pareto.weekly(session, WEEK).rows[0]
    assert (row.value, row.previous, row.change) == (6, 2, 4)
    assert row.spark == [0, 0, 0, 0, 1, 0, 2, 6]


def test_filters_by_channel_and_department(session, loaded_taxonomy):
    add_feedback(session, {"logistics.late": 3, "product.quality": 2}, channel="phone")
    add_feedback(session, {"logistics.late": 5}, channel="email")
    assert [(r.key, r.value) for r in pareto.weekly(session, WEEK, channel="phone").rows] == [
        ("logistics.late", 3), ("product.quality", 2)]
    assert [(r.key, r.value) for r in pareto.weekly(session, WEEK, department="product").rows] == [("product.quality", 2)]


def test_by_tickets_counts_tickets_opened_in_the_week(session, loaded_taxonomy):
    monday_10am = clock.day_bounds(MONDAY)[0] + timedelta(hours=10)
    factories.make_ticket(session, category="product.quality", received_at=monday_10am)
    factories.make_ticket(session, category="product.quality", received_at=monday_10am + timedelta(days=1))
    factories.make_ticket(session, category="logistics.late", received_at=monday_10am - timedelta(days=1))  # last week
    result = pareto.weekly(session, WEEK, mode="tickets")
    assert [(r.key, r.value) for r in result.rows] == [("product.quality", 2)]
    assert pareto.weekly(session, "2026-W46", mode="tickets").rows[0].key == "logistics.late"


def test_iso_week_edges_in_the_business_time_zone(session, loaded_taxonomy):
    # Asia/Shanghai is UTC+8: Sunday 23:30 there is 15:30 UTC, Monday 00:30 there is 16:30 UTC — same UTC day.
    sunday_late = datetime(2026, 11, 22, 15, 30, tzinfo=timezone.utc)
    monday_early = datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc)
    factories.make_ticket(session, category="logistics.late", received_at=sunday_late)
    factories.make_ticket(session, category="product.quality", received_at=monday_early)
    for mode in ("feedback", "tickets"):
        assert [r.key for r in pareto.weekly(session, "2026-W47", mode=mode).rows] == ["logistics.late"], mode
        assert [r.key for r in pareto.weekly(session, "2026-W48", mode=mode).rows] == ["product.quality"], mode


def test_drill_down_lists_the_items_behind_a_bar(session, loaded_taxonomy):
    add_feedback(session, {"logistics.late": 3, "product.quality": 1})
    add_feedback(session, {"logistics.late": 2}, day=MONDAY - timedelta(days=1))
    found = pareto.items(session, WEEK, "logistics.late")
    assert len(found) == 3 and {f.business_date for f in found} == {MONDAY}


def test_a_bad_week_or_mode_is_refused(session, loaded_taxonomy):
    from feedback.errors import Invalid

    with pytest.raises(Invalid):
        pareto.week_label("2026-47", now=factories.NOW)
    with pytest.raises(Invalid):
        pareto.weekly(session, WEEK, mode="loudness")
    assert pareto.week_label("", now=factories.NOW) == "2026-W47"  # NOW is in W48: the week under review


# --- real complaints -------------------------------------------------------------------------------

def _cfpb_rows(shared_data) -> list[dict]:
    path = shared_data / "text" / "cfpb-consumer-complaints-sample" / "all_complaints_metadata.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:  # the file mixes 27-04-2023 and 2023-08-25
        text = row["date_received"]
        row["day"] = date.fromisoformat(text) if text[4] == "-" else datetime.strptime(text, "%d-%m-%Y").date()
    return rows


def _load_cfpb(session, rows: list[dict]) -> None:
    """Each distinct issue becomes a category of a department of its own; each complaint a feedback item."""
    department = Department(key="cfpb", name_en="CFPB", name_zh="CFPB")
    session.add(department)
    session.flush()
    issues = sorted({r["issue"] for r in rows})
    categories = {issue: Category(key=f"cfpb.{n}", name_en=issue[:100], name_zh=issue[:100], department_id=department.id, severity=2)
                  for n, issue in enumerate(issues)}
    session.add_all(categories.values())
    session.flush()
    session.execute(sa.insert(Feedback), [
        {"channel": "phone" if r["submitted_via"] == "Phone" else "email", "source": "cfpb", "external_id": r["complaint_id"],
         "received_at": datetime.combine(r["day"], datetime.min.time(), tzinfo=timezone.utc), "business_date": r["day"],
         "raw": b"", "category_id": categories[r["issue"]].id, "not_a_problem": "", "text": r["issue"]}
        for r in rows
    ])
    session.commit()


def _top3_share(counts: Counter) -> float:
    top = sorted(counts.values(), reverse=True)[:3]
    return sum(top) / sum(counts.values())


def test_cfpb_top_three_share_matches_the_csv(session, shared_data):
    rows = _cfpb_rows(shared_data)
    assert len(rows) == 6066
    _load_cfpb(session, rows)
    by_week: dict[str, Counter] = {}
    for row in rows:
        by_week.setdefault(clock.iso_week(row["day"]), Counter())[row["issue"]] += 1
    busiest = max(by_week, key=lambda w: sum(by_week[w].values()))
    result = pareto.weekly(session, busiest)
    assert result.total == sum(by_week[busiest].values())
    assert sum(r.share for r in result.rows[:3]) == pytest.approx(_top3_share(by_week[busiest]), abs=1e-9)
    assert result.rows[2].cumulative == pytest.approx(_top3_share(by_week[busiest]), abs=1e-9)
    for week, counts in by_week.items():  # every week of the file, not only the busiest
        assert pareto.weekly(session, week).rows[min(3, len(counts)) - 1].cumulative == pytest.approx(_top3_share(counts))
    phone = Counter(r["issue"] for r in rows if r["submitted_via"] == "Phone" and clock.iso_week(r["day"]) == busiest)
    if phone:
        assert pareto.weekly(session, busiest, channel="phone").total == sum(phone.values())
