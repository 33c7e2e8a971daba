"""The normalized records every intake adapter yields, whatever the source format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class Attachment:
    """A file that came with a feedback item; kept as data, never executed."""

    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class IncomingFeedback:
    """One item as an adapter understood it, ready for `intake.store()`."""

    channel: str  # phone | email | forum | review | survey
    source: str  # which mailbox, forum, shop or file it came from
    external_id: str  # unique within (channel, source): Message-ID, post id, row hash…
    received_at: datetime  # aware, UTC
    raw: bytes  # the input exactly as received
    subject: str = ""
    body: str = ""  # the full decoded text
    text: str = ""  # what classification reads (quotes/signatures stripped); "" means body
    customer: str = ""
    contact: str = ""
    order_ref: str = ""
    product_ref: str = ""
    rating: int | None = None
    csat: int | None = None  # survey satisfaction 1–5
    nps: int | None = None  # survey likelihood to recommend 0–10
    language: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    replies_to: list[str] = field(default_factory=list)  # Message-IDs / ticket numbers it follows up
    not_a_problem: str = ""  # why it stays out of the problem flow (auto-reply, bounce…), or ""


@dataclass(slots=True)
class Rejected:
    """Input an adapter could not turn into feedback: quarantined whole, with the reason."""

    channel: str
    source: str
    raw: bytes
    reason: str
    locator: str = ""  # where it was: file path, row number, UID
