"""Phone calls: call-centre log exports (CSV or JSON), and calls an agent logs on the phone page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from feedback.intake.incoming import IncomingFeedback, Rejected
from feedback.intake.rows import read_items
from feedback.intake.tabular import Mapping, Record

CHANNEL = "phone"
PAGE_SOURCE = "phone log"  # calls logged by agents on the phone page
COLUMNS = {
    "id": ("call_id", "call id", "id", "ticket", "通话编号", "记录编号"),
    "text": ("notes", "note", "summary", "what they said", "transcript", "comment", "description", "内容", "通话内容", "备注", "问题描述"),
    "subject": ("subject", "topic", "reason", "主题", "来电原因"),
    "customer": ("customer", "caller", "customer name", "name", "客户", "客户姓名", "来电人"),
    "contact": ("phone", "phone number", "caller id", "number", "telephone", "电话", "来电号码", "手机号"),
    "order": ("order", "order_id", "order id", "order ref", "订单号"),
    "product": ("product", "sku", "product id", "商品"),
    "date": ("call_time", "call time", "start_time", "started", "date", "time", "来电时间", "通话时间", "时间"),
}


def read_calls(path: str | Path, *, source: str, mapping: Mapping, now: datetime) -> Iterator[IncomingFeedback | Rejected]:
    """Every call of a call-centre log, as items for the store path (bad rows as Rejected with their row)."""
    return read_items(path, channel=CHANNEL, source=source, mapping=mapping, defaults=COLUMNS, convert=convert, now=now)


def convert(_record: Record, item: IncomingFeedback) -> IncomingFeedback | str:
    if not (item.body or item.subject):
        return "no text: what did the customer say?"
    return item
