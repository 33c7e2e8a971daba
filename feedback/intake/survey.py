"""Survey exports (CSV or JSON): satisfaction (CSAT 1–5) and/or NPS (0–10) plus free-text answers.

Scores are stored on the feedback for the customer-satisfaction KPI; the free text is classified
like any feedback. A row with scores and no text stays out of the problem flow unless the
customer was dissatisfied (CSAT 1–2).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from feedback.intake.incoming import IncomingFeedback, Rejected
from feedback.intake.rows import read_items, score
from feedback.intake.tabular import Mapping, Record

CHANNEL = "survey"
COLUMNS = {
    "id": ("response_id", "response id", "respondent_id", "id", "答卷编号", "序号"),
    "text": ("comment", "comments", "feedback", "answer", "free_text", "free text", "open answer", "remarks",
             "意见", "建议", "意见建议", "其他意见"),
    "csat": ("csat", "satisfaction", "satisfaction score", "overall satisfaction", "满意度"),
    "nps": ("nps", "recommend", "likelihood to recommend", "推荐意愿", "推荐度"),
    "product": ("product", "sku", "商品"),
    "order": ("order", "order_id", "order id", "订单号"),
    "customer": ("name", "respondent", "customer", "姓名", "用户"),
    "contact": ("email", "contact", "phone", "邮箱", "电话"),
    "date": ("submitted_at", "submitted", "date", "end date", "completed", "timestamp", "提交时间", "答题时间", "时间"),
}


def read_survey(path: str | Path, *, source: str, mapping: Mapping, now: datetime) -> Iterator[IncomingFeedback | Rejected]:
    """Every response of a survey export, as items for the store path (bad rows as Rejected with their row)."""
    return read_items(path, channel=CHANNEL, source=source, mapping=mapping, defaults=COLUMNS, convert=convert, now=now)


def convert(record: Record, item: IncomingFeedback) -> IncomingFeedback | str:
    item.csat = score(record.fields, "csat", 1, 5)
    item.nps = score(record.fields, "nps", 0, 10)
    if not item.body and item.csat is None and item.nps is None:
        return "no answer text and no score"
    if not item.body and not (item.csat is not None and item.csat <= 2):
        item.not_a_problem = "scores without text"
    return item
