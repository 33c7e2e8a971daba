"""Similar past resolutions: closed tickets of the same category, the obvious match first."""

from datetime import timedelta

from feedback import merging, similar, tickets
from tests.factories import NOW, make_ticket, make_user


def closed(session, by, text: str, resolution: str, *, category: str = "logistics.late", days: float = 1):
    ticket = make_ticket(session, category=category, subject="", body=text)
    return tickets.close_ticket(session, ticket.id, resolution, by=by, now=NOW + timedelta(days=days))


def test_the_obvious_match_comes_first_with_its_resolution_and_time_to_close(session, loaded_taxonomy):
    manager = make_user(session, role="manager")
    typhoon = closed(session, manager, "My parcel is stuck at the Shenzhen depot since the typhoon.",
                     "Re-shipped from the Guangzhou warehouse by express.", days=2.5)
    closed(session, manager, "The parcel is late, the courier never came.", "Carrier chased; delivered next day.")
    closed(session, manager, "Late parcel: tracking has not moved for a week.", "Lost parcel claim, refunded.")
    closed(session, manager, "The parcel arrived late and the box was wet.", "Coupon for the delay.")
    # The same words in another category, and a ticket of this category still open: neither is offered.
    other = closed(session, manager, "Stuck at the Shenzhen depot after the typhoon, delivery failed.", "Redelivered.",
                   category="logistics.failed")
    still_open = make_ticket(session, subject="", body="Parcel stuck in Shenzhen depot, typhoon again.")
    merged = make_ticket(session, subject="", body="Shenzhen depot typhoon: where is my parcel?")
    merging.merge(session, merged.id, still_open.id, by=manager, now=NOW)

    ticket = make_ticket(session, subject="", body="Where is my parcel? Tracking says Shenzhen depot, typhoon delay.")
    hits = similar.similar_resolutions(session, ticket)

    assert hits[0].ticket_id == typhoon.id
    assert hits[0].resolution == "Re-shipped from the Guangzhou warehouse by express."
    assert hits[0].time_to_close == timedelta(days=2.5)
    assert similar.duration(hits[0].time_to_close) == (2, 12)
    assert hits[0].score > hits[1].score
    assert {other.id, still_open.id, merged.id, ticket.id}.isdisjoint(h.ticket_id for h in hits)
    assert len(hits) == 4


def test_chinese_text_is_matched_by_character_pairs(session, loaded_taxonomy):
    manager = make_user(session, role="manager")
    closed(session, manager, "快递员态度很差，还乱扔包裹。", "已向承运商投诉。", category="logistics.courier")
    match = closed(session, manager, "快递员没有送货上门，要求我自己去驿站取件。", "承运商已处罚快递员并送货上门。",
                   category="logistics.courier")
    ticket = make_ticket(session, category="logistics.courier", subject="", body="快递员不送货上门，让我去驿站取件")
    hits = similar.similar_resolutions(session, ticket)
    assert [h.ticket_id for h in hits][0] == match.id


def test_no_closed_tickets_means_no_suggestions(session, loaded_taxonomy):
    ticket = make_ticket(session, subject="", body="Parcel late again.")
    make_ticket(session, subject="", body="Parcel late as well.")
    assert similar.similar_resolutions(session, ticket) == []
