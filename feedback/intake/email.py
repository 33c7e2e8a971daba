"""The email adapter: one raw RFC 5322 message in, one `IncomingFeedback` or `Rejected` out.

Pure parsing, no database. Parsing uses the stdlib compat32 parser with our own header and
charset decoding: policy.default is ten times slower and raises on inputs compat32 takes.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser

from feedback.intake.incoming import IncomingFeedback, Rejected
from feedback.intake.mailheaders import decode_header, first_address, header_bytes, parse_date
from feedback.intake.mailparts import Content, Limits, OpaqueMessage, RawHeaderPolicy, collect
from feedback.intake.mailsource import iter_mail_path
from feedback.intake.mailtext import reply_text

__all__ = ["EmailLimits", "iter_mail_path", "parse_message"]

CHANNEL = "email"
_MAX_ID = 255
_MAX_SUBJECT = 500
_MAX_REPLIES_TO = 100
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_PARSER = BytesParser(_class=OpaqueMessage, policy=RawHeaderPolicy())
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:|From ")
_LEADING_BLANK = re.compile(rb"(?:[ \t]*\r?\n)*")
# Where the headers start when a truncated Received line or other debris precedes them.
_KNOWN_HEADER = re.compile(
    rb"^(?:Received|Return-Path|Delivered-To|From|To|Subject|Date|Message-ID|MIME-Version|"
    rb"Content-Type|X-[A-Za-z0-9-]+)[ \t]*:", re.IGNORECASE | re.MULTILINE)
# RFC 822's obsolete "Subject   : …" (space before the colon), which the stdlib parser does not read.
_HEADER_END = re.compile(rb"\n\r?\n")
_OBSOLETE_NAME = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.MULTILINE)
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_PRINTABLE_ID = re.compile(r"[!-~]{3,}")
_TICKET = re.compile(r"\bFB-(\d{6})\b", re.IGNORECASE)
_ORDER = re.compile(
    r"(?:\border|订单)(?:\s*(?:number|no|num|id|ref)\b)?(?:号码|编号|号)?[\s#:：.]*"
    r"(?=[A-Z-]*\d)([A-Z0-9][A-Z0-9-]{5,23})(?![A-Z0-9-])", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[\s_-]*(?:reply|response|antwort)|"
    r"out of (?:the )?office|自动回复|自動回覆|自動回復|automatische antwort|r[ée]ponse automatique|"
    r"respuesta autom[áa]tica|abwesenheitsnotiz)", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:undeliverable(?: mail)?\s*:|undeliverable mail\b|undelivered mail returned|"
    r"delivery status notification|returned mail\s*:|mail delivery (?:failed|failure)|"
    r"delivery failure|failure notice|系统退信|退信)", re.IGNORECASE)
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}
_REPORT_KINDS = ("delivery-status", "feedback-report", "disposition-notification")


@dataclass(frozen=True, slots=True)
class EmailLimits:
    """How much of one mail we are willing to look at; beyond them a mail is rejected or cut short."""

    max_bytes: int = 25 * 1024 * 1024
    max_depth: int = 10  # MIME nesting levels
    max_parts: int = 200
    max_attachment_bytes: int = 10 * 1024 * 1024  # larger attachments are dropped


def parse_message(
    raw: bytes,
    *,
    source: str,
    limits: EmailLimits = EmailLimits(),
    locator: str = "",
    fallback_time: datetime | None = None,
) -> IncomingFeedback | Rejected:
    """Turn one raw mail into feedback, or say why it cannot be; never raises."""
    raw = bytes(raw)
    reason = _refusal(raw, limits)
    if not reason:
        try:
            return _feedback(raw, source, limits, fallback_time) or _reject(
                raw, source, locator, "no mail headers found: not an RFC 5322 message")
        except Exception as exc:  # the last line of defence: a mail must never stop an import
            reason = f"unparseable mail ({type(exc).__name__}: {exc})"[:500]
    return _reject(raw, source, locator, reason)


def _reject(raw: bytes, source: str, locator: str, reason: str) -> Rejected:
    """A Rejected email record."""
    return Rejected(channel=CHANNEL, source=source, raw=raw, reason=reason, locator=locator)


def _refusal(raw: bytes, limits: EmailLimits) -> str:
    """Why a mail is refused before parsing, or ""."""
    if not raw:
        return "empty file (0 bytes)"
    if len(raw) > limits.max_bytes:
        return f"mail too large: {len(raw)} bytes (limit {limits.max_bytes})"
    if raw.startswith(_OLE_MAGIC):
        return "Outlook .msg file (OLE compound document), not a MIME mail: save it as .eml to import"
    if not raw.strip():
        return f"no content: {len(raw)} bytes of whitespace"
    return ""


def _feedback(raw: bytes, source: str, limits: EmailLimits, fallback_time: datetime | None):
    """The IncomingFeedback for a mail, or None when it has no headers at all."""
    message = _parse_tree(raw, limits)
    if not message.keys():
        return None
    headers = _first_headers(message)
    content = collect(message, Limits(limits.max_depth, limits.max_parts, limits.max_attachment_bytes))
    body = content.body()
    subject = decode_header(headers.get("subject"))[:_MAX_SUBJECT]
    customer, contact = first_address(headers.get("from"))
    return IncomingFeedback(
        channel=CHANNEL,
        source=source,
        external_id=_external_id(headers, raw),
        received_at=_received_at(headers, fallback_time),
        raw=raw,
        subject=subject,
        body=body,
        text=reply_text(body),
        customer=customer[:255],
        contact=contact[:255],
        order_ref=find_order_ref(subject, body),
        attachments=content.attachments,
        replies_to=_replies_to(message, subject),
        not_a_problem=_not_a_problem(message, headers, content, subject, customer, contact),
    )


def _parse_tree(raw: bytes, limits: EmailLimits) -> Message:
    """Parse headers and MIME tree from where the headers start, bounded against boundary bombs."""
    data = _cap_boundaries(_from_headers(raw), limits)
    try:
        return _PARSER.parsebytes(data)
    except RecursionError:  # nesting deeper than the boundary cap lets through; keep the headers
        return _PARSER.parsebytes(data, headersonly=True)


def _from_headers(raw: bytes) -> bytes:
    """The mail from its first header line (BOM, blank lines and short debris skipped), old-style names fixed."""
    start = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    start = _LEADING_BLANK.match(raw, start).end()
    if not _HEADER_LINE.match(raw, start):
        found = _KNOWN_HEADER.search(raw, start, start + 1024)
        start = found.start() if found else start
    data = raw[start:] if start else raw
    end = _HEADER_END.search(data)
    head = data[:end.start()] if end else data
    if _OBSOLETE_NAME.search(head):
        data = _OBSOLETE_NAME.sub(rb"\1:", head) + data[len(head):]
    return data


def _cap_boundaries(data: bytes, limits: EmailLimits) -> bytes:
    """Cut the mail after as many boundary-like lines as `max_parts` can use.

    The stdlib parser builds every part and recurses per nesting level before we can count,
    so a 25 MB mail of tiny or endlessly nested parts would take seconds or blow the stack.
    """
    cap = 2 * limits.max_parts + 2
    if data.count(b"\n--") <= cap:
        return data
    pos = -1
    for _ in range(cap):
        pos = data.find(b"\n--", pos + 1)
    return data[:pos + 1]


def normal_id(ident: str) -> str:
    """A Message-ID as stored: no brackets, at most 255 characters (longer ones hashed)."""
    if len(ident) > _MAX_ID:
        return "sha256:" + hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()
    return ident


def _first_headers(message: Message) -> dict[str, str]:
    """Each header's first value by lower-case name; one pass instead of a scan per lookup."""
    headers: dict[str, str] = {}
    for name, value in message.raw_items():
        headers.setdefault(name.lower(), value)
    return headers


def _external_id(headers: dict[str, str], raw: bytes) -> str:
    """The Message-ID, or a hash of the raw bytes when it is missing or garbage."""
    value = header_bytes(headers.get("message-id", ""))
    found = _MESSAGE_ID.search(value)
    ident = found.group(1) if found else value.strip().strip("<>").strip()
    if _PRINTABLE_ID.fullmatch(ident) and "<" not in ident and ">" not in ident:
        return normal_id(ident)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _received_at(headers: dict[str, str], fallback_time: datetime | None) -> datetime:
    """Date header, else the newest Received header's date, else the fallback time, else now (UTC)."""
    for value in (headers.get("date"), headers.get("received", "").rpartition(";")[2]):
        when = parse_date(value)
        if when:
            return when
    if fallback_time is None:
        return datetime.now(UTC)
    if fallback_time.tzinfo is None:
        return fallback_time.replace(tzinfo=UTC)
    return fallback_time.astimezone(UTC)


def _replies_to(message: Message, subject: str) -> list[str]:
    """Message-IDs from In-Reply-To and References, then FB-nnnnnn ticket numbers from the subject."""
    found: list[str] = []
    for name in ("In-Reply-To", "References"):
        for value in message.get_all(name) or []:
            text = header_bytes(str(value))
            ids = _MESSAGE_ID.findall(text)
            bare = text.strip()
            found += ids or ([bare] if _PRINTABLE_ID.fullmatch(bare) else [])
    found = [normal_id(ident) for ident in found]
    found += ["FB-" + number for number in _TICKET.findall(subject)]
    return list(dict.fromkeys(found))[:_MAX_REPLIES_TO]


def find_order_ref(subject: str, body: str) -> str:
    """The first order number mentioned in the subject, else in the body; "" if none."""
    for text in (subject, body):
        found = _ORDER.search(text)
        if found:
            return found.group(1)
    return ""


def _not_a_problem(
    message: Message, headers: dict[str, str], content: Content, subject: str, customer: str, contact: str
) -> str:
    """Why a mail is machine talk rather than a customer (bounce, feedback-loop report, auto-reply), or ""."""
    report = _report_type(message, content)
    sender = (contact.partition("@")[0] or customer).strip().lower()
    if report == "delivery-status" or sender in _BOUNCE_SENDERS or "x-failed-recipients" in headers:
        return "bounce"
    if report == "feedback-report":
        return "feedback-loop report"
    if report == "disposition-notification":
        return "read receipt"
    if _BOUNCE_SUBJECT.match(subject):
        return "bounce"
    auto = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    precedence = headers.get("precedence", "").strip().lower()
    if (auto and auto != "no") or precedence == "auto_reply" or _AUTO_SUBJECT.match(subject):
        return "auto-reply"
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return "auto-reply"
    return ""


def _report_type(message: Message, content: Content) -> str:
    """The kind of machine report a mail is: multipart/report's report-type, or the type of report part it has."""
    declared = message.get_param("report-type") if message.get_content_type() == "multipart/report" else None
    declared = declared.strip().lower() if isinstance(declared, str) else ""
    types = {message.mime_type()} | {item.content_type for item in content.attachments}
    for kind in _REPORT_KINDS:
        if declared == kind or f"message/{kind}" in types:
            return kind
    return ""
