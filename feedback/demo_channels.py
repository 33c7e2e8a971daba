"""Demo feedback on the phone, forum, review and survey channels, spread over two weeks, through the real adapters.

Review, survey and call-centre exports are written as CSV files and imported like any export;
calls logged on the phone page and a public-form message go through the submissions service;
forum posts through the Discourse adapter. The texts are the team's own (demo_texts.py).
"""

from __future__ import annotations

import csv
import random
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from feedback import clock, demo_texts, intake, products, submissions
from feedback.intake import exports, forum
from feedback.intake.phone import PAGE_SOURCE
from feedback.intake.tabular import Mapping

KEY_PRODUCTS = {"KETTLE-2": "Electric kettle 1.7 L", "COOKER-5": "Rice cooker 5 L"}
SHOP, SURVEY, CALL_CENTRE, FORUM = "demo-shop", "post-delivery survey", "call centre", "community"


def load(session: Session, *, now: datetime, days: int = 14, seed: int = 11) -> dict[str, int]:
    """Store the demo items of the four channels; returns how many were stored per channel."""
    rng = random.Random(seed)

    def when() -> datetime:
        return now - timedelta(days=rng.randrange(days), hours=rng.randrange(24), minutes=rng.randrange(60))

    for ref, name in KEY_PRODUCTS.items():
        products.add_product(session, ref=ref, name=name, key_product=True, now=now)
    stored = {}
    with tempfile.TemporaryDirectory() as folder:
        stored["review"] = _export(session, Path(folder) / "reviews.csv", "reviews", SHOP, now, [
            ["review_id", "product_id", "rating", "title", "review_text", "review_date"],
            *([f"D{n}", ref, rating, title, text, _local(when())] for n, (_l, ref, rating, title, text) in enumerate(demo_texts.REVIEWS))])
        stored["survey"] = _export(session, Path(folder) / "survey.csv", "survey", SURVEY, now, [
            ["response_id", "submitted_at", "satisfaction", "nps", "comment"],
            *([f"S{n}", _local(when()), csat, nps, text] for n, (_l, csat, nps, text) in enumerate(demo_texts.SURVEYS))])
        calls = demo_texts.CALLS[: len(demo_texts.CALLS) // 2]
        stored["phone"] = _export(session, Path(folder) / "calls.csv", "phone", CALL_CENTRE, now, [
            ["call_id", "caller", "phone", "order", "call_time", "notes"],
            *([f"C{n}", name, phone, order, _local(when()), text] for n, (_l, name, phone, order, text) in enumerate(calls))])
    stored["phone"] += _logged_calls(session, demo_texts.CALLS[len(calls):], when, now)
    stored["forum"] = _forum_posts(session, when, now)
    stored["survey"] += _public_message(session, when(), now)
    return stored


def _local(moment: datetime) -> str:
    return clock.local(moment).strftime("%Y-%m-%d %H:%M")


def _export(session: Session, path: Path, kind: str, source: str, now: datetime, rows: list[list]) -> int:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    items = exports.read_export(kind, path, source=source, mapping=Mapping(), now=now)
    return intake.import_items(session, items, channel=exports.KINDS[kind][0], source=source,
                               file_name=f"demo {path.name}", now=lambda: now).new_count


def _logged_calls(session: Session, calls: list, when, now: datetime) -> int:
    """Calls as agents log them on the phone page."""
    created = 0
    for n, (_language, name, phone, order, text) in enumerate(calls):
        entry = submissions.parse_item({"channel": "phone", "customer": name, "contact": phone, "order_ref": order,
                                        "text": text, "received_at": when().isoformat(), "external_id": f"demo-call-{n}"})
        created += submissions.submit_one(session, entry, source=PAGE_SOURCE, file_name="demo", now=now).created
    return created


def _forum_posts(session: Session, when, now: datetime) -> int:
    """Posts as the community forum's JSON API returns them."""
    posts = [
        {"id": 9000 + n, "username": author, "name": "", "topic_title": title, "cooked": f"<p>{text}</p>",
         "created_at": when().isoformat(), "post_type": 1, "post_number": 1}
        for n, (_language, author, title, text) in enumerate(demo_texts.FORUM_POSTS)
    ]
    items = [forum.post_item(post, FORUM, now) for post in posts]
    return intake.import_items(session, items, channel="forum", source=FORUM, file_name="demo", now=lambda: now).new_count


def _public_message(session: Session, moment: datetime, now: datetime) -> int:
    entry = submissions.parse_item({"channel": "survey", "customer": "Ivy Chen", "contact": "ivy@mail.example",
                                    "text": "The size chart says M fits 170 cm but it is far too small.",
                                    "received_at": moment.isoformat(), "external_id": "demo-web-form"})
    return int(submissions.submit_one(session, entry, source="web form", file_name="demo", now=now).created)
