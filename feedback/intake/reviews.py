"""Marketplace review exports (CSV or JSON): text, rating 1–5, product, order, author, date.

A low rating is a problem even without text; a rating of 3 or more with no text has nothing to act
on and stays out of the problem flow. Key-product alerts are set by the store path (products.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from feedback.intake.incoming import IncomingFeedback, Rejected
from feedback.intake.rows import read_items, score
from feedback.intake.tabular import Mapping, Record

CHANNEL = "review"
# Usual column names of shop exports (English and Chinese); a saved mapping names others.
COLUMNS = {
    "id": ("review_id", "review id", "id", "评价id", "评价编号"),
    "text": ("text", "review", "review_text", "review text", "content", "comment", "body", "评价内容", "评价", "评论", "内容"),
    "subject": ("title", "summary", "headline", "标题"),
    "rating": ("rating", "stars", "star", "score", "star_rating", "评分", "星级", "打分"),
    "product": ("product", "product_id", "product id", "sku", "asin", "item_id", "商品编号", "商品id", "商品"),
    "order": ("order", "order_id", "order id", "order_ref", "order number", "订单号", "订单编号"),
    "customer": ("author", "reviewer", "customer", "user", "username", "name", "nickname", "买家", "用户", "昵称"),
    "contact": ("email", "contact", "phone", "邮箱", "电话"),
    "date": ("date", "review_date", "created_at", "created", "time", "timestamp", "评价时间", "时间", "日期"),
}


def read_reviews(path: str | Path, *, source: str, mapping: Mapping, now: datetime) -> Iterator[IncomingFeedback | Rejected]:
    """Every review of an export, as items for the store path (bad rows as Rejected with their row)."""
    return read_items(path, channel=CHANNEL, source=source, mapping=mapping, defaults=COLUMNS, convert=convert, now=now)


def convert(record: Record, item: IncomingFeedback) -> IncomingFeedback | str:
    item.rating = score(record.fields, "rating", 1, 5)
    has_text = bool(item.body or item.subject)
    if not has_text and item.rating is None:
        return "no text and no rating"
    if not has_text and item.rating >= 3:
        item.not_a_problem = f"rating {item.rating} without text"
    return item
