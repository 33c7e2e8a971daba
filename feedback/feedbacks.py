"""Reading feedback: the filtered, paginated list and one item with its attachments and headers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from email.parser import BytesHeaderParser
from email.policy import compat32

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from feedback.errors import NotFound
from feedback.models import Attachment, Category, Feedback
from feedback.pagination import Page, paginate

SORTS = {"received": Feedback.received_at, "channel": Feedback.channel, "customer": Feedback.customer}


@dataclass
class FeedbackFilter:
    """What the list page, the API and exports filter on; every field is optional."""

    channel: str = ""
    category: str = ""  # category key; "none" for unclassified
    source: str = ""
    day_from: date | None = None
    day_to: date | None = None
    q: str = ""
    import_run: int | None = None
    ticket: int | None = None
    sort: str = "-received"

    @classmethod
    def from_args(cls, args) -> FeedbackFilter:
        def day(name):
            try:
                return date.fromisoformat(args.get(name, ""))
            except ValueError:
                return None

        return cls(
            channel=args.get("channel", ""), category=args.get("category", ""), source=args.get("source", ""),
            day_from=day("from"), day_to=day("to"), q=args.get("q", "").strip(),
            import_run=args.get("run", type=int), ticket=args.get("ticket", type=int), sort=args.get("sort", "-received"),
        )


def list_feedback(session: Session, f: FeedbackFilter, *, page: int = 1, per_page: int = 50) -> Page:
    """One page of feedback matching the filter, newest first by default; raw bytes and bodies stay unloaded."""
    stmt = select(Feedback).options(defer(Feedback.raw), defer(Feedback.body), defer(Feedback.text))
    stmt = _filtered(stmt, f)
    column = SORTS.get(f.sort.lstrip("-"), Feedback.received_at)
    stmt = stmt.order_by(column.desc() if f.sort.startswith("-") else column.asc(), Feedback.id.desc())
    return paginate(session, stmt, page=page, per_page=per_page)


def _filtered(stmt, f: FeedbackFilter):
    if f.channel:
        stmt = stmt.where(Feedback.channel == f.channel)
    if f.source:
        stmt = stmt.where(Feedback.source == f.source)
    if f.category == "none":
        stmt = stmt.where(Feedback.category_id.is_(None))
    elif f.category:
        stmt = stmt.where(Feedback.category_id == sa.select(Category.id).where(Category.key == f.category).scalar_subquery())
    if f.day_from:
        stmt = stmt.where(Feedback.business_date >= f.day_from)
    if f.day_to:
        stmt = stmt.where(Feedback.business_date <= f.day_to)
    if f.import_run:
        stmt = stmt.where(Feedback.import_run_id == f.import_run)
    if f.ticket:
        stmt = stmt.where(Feedback.ticket_id == f.ticket)
    if f.q:
        like = "%" + f.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        fields = (Feedback.subject, Feedback.body, Feedback.customer, Feedback.contact, Feedback.order_ref)
        stmt = stmt.where(sa.or_(*(sa.func.lower(c).like(like, escape="\\") for c in fields)))
    return stmt


@dataclass
class FeedbackDetail:
    feedback: Feedback
    category: Category | None
    attachments: list[Attachment]
    headers: list[tuple[str, str]] = field(default_factory=list)
    thread: list[Feedback] = field(default_factory=list)


def get_feedback(session: Session, feedback_id: int) -> FeedbackDetail:
    """One item with its category, attachment list (without their bytes), mail headers and thread."""
    item = session.get(Feedback, feedback_id)
    if item is None:
        raise NotFound(f"no feedback {feedback_id}")
    attachments = list(session.exec(
        select(Attachment).options(defer(Attachment.data)).where(Attachment.feedback_id == feedback_id).order_by(Attachment.id)
    ))
    category = session.get(Category, item.category_id) if item.category_id else None
    headers = mail_headers(item.raw) if item.channel == "email" else []
    return FeedbackDetail(item, category, attachments, headers, thread(session, item))


def thread(session: Session, item: Feedback) -> list[Feedback]:
    """The other items of the same conversation: what it follows and what follows it."""
    related = [Feedback.follows_id == item.id]
    if item.follows_id:
        related += [Feedback.id == item.follows_id, Feedback.follows_id == item.follows_id]
    stmt = select(Feedback).options(defer(Feedback.raw)).where(sa.or_(*related), Feedback.id != item.id)
    return list(session.exec(stmt.order_by(Feedback.received_at).limit(50)))


def mail_headers(raw: bytes) -> list[tuple[str, str]]:
    """A mail's headers as they were sent (compat32 never raises on odd ones)."""
    try:
        message = BytesHeaderParser(policy=compat32).parsebytes(raw[:256 * 1024])
    except Exception:  # a header block too broken to read is shown as raw source instead
        return []
    return [(name, str(value)) for name, value in message.items()]


def get_attachment(session: Session, attachment_id: int) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"no attachment {attachment_id}")
    return attachment


def sources(session: Session) -> list[str]:
    """Every source seen, for the filter menu."""
    return list(session.exec(select(Feedback.source).distinct().order_by(Feedback.source).limit(200)))
