"""The feedback list at scale: the count stops at a cap ("10,000+"), pages go on past it, sources come from the index."""

from datetime import timedelta

from feedback import feedbacks, intake
from tests.factories import NOW, incoming


def store(session, count, *, channel="email", source="support@shop.example"):
    items = [incoming(channel=channel, source=source, subject=f"item-{source}-{n}", received_at=NOW - timedelta(minutes=n))
             for n in range(count)]
    intake.import_items(session, items, channel=channel, source=source, now=lambda: NOW)


def test_beyond_the_cap_the_count_reads_plus_and_pages_go_on(app, client, login, session, monkeypatch):
    monkeypatch.setattr(feedbacks, "COUNT_CAP", 3)
    app.config["PAGE_SIZE"] = 2
    login("agent")
    store(session, 5)
    first = client.get("/feedback").text
    assert '<span class="count">3+</span>' in first and "1–2 of 3+" in first and 'rel="next"' in first
    assert first.index("item-support@shop.example-0") < first.index("item-support@shop.example-1")  # newest first
    last = client.get("/feedback?page=3").text
    assert "item-support@shop.example-4" in last and 'rel="next"' not in last and 'rel="prev"' in last


def test_below_the_cap_the_count_is_exact(app, client, login, session):
    app.config["PAGE_SIZE"] = 2
    login("agent")
    store(session, 3)
    page = client.get("/feedback").text
    assert '<span class="count">3</span>' in page and "1–2 of 3" in page and "Page 1 of 2" in page
    assert "of 3+" not in client.get("/feedback?page=2").text


def test_filters_count_only_what_matches(client, login, session):
    login("agent")
    store(session, 2)
    store(session, 1, channel="phone", source="call centre")
    page = client.get("/feedback?channel=phone").text
    assert '<span class="count">1</span>' in page and "item-call centre-0" in page and "item-support" not in page


def test_the_source_menu_lists_every_source_of_every_channel_once(client, login, session):
    login("agent")
    store(session, 2, source="b-shop")
    store(session, 1, source="a-shop")
    store(session, 1, channel="phone", source="b-shop")
    store(session, 1, channel="review", source="c-market")
    assert feedbacks.sources(session) == ["a-shop", "b-shop", "c-market"]
    page = client.get("/feedback").text
    assert page.count('<option value="b-shop"') == 1 and '<option value="c-market"' in page


def test_sorting_by_customer_goes_both_ways(client, login, session):
    login("agent")
    for name in ("Bo", "Al", "Cy"):
        intake.import_items(session, [incoming(customer=name, subject=f"from-{name}")], channel="email", source="s", now=lambda: NOW)
    up = client.get("/feedback?sort=customer").text
    down = client.get("/feedback?sort=-customer").text
    assert up.index("from-Al") < up.index("from-Bo") < up.index("from-Cy")
    assert down.index("from-Cy") < down.index("from-Bo") < down.index("from-Al")


def test_sorting_by_channel_keeps_the_newest_first_within_a_channel_when_descending(client, login, session):
    login("agent")
    store(session, 2, channel="email", source="mail")
    store(session, 1, channel="phone", source="calls")
    down = client.get("/feedback?sort=-channel").text
    assert down.index("item-calls-0") < down.index("item-mail-0") < down.index("item-mail-1")
    up = client.get("/feedback?sort=channel").text
    assert up.index("item-mail-1") < up.index("item-mail-0") < up.index("item-calls-0")
