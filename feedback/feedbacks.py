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
from feedback.models import Attachment, Category, Channel, Feedback
from feedback.pagination import Page

# Each sort is a run of one index read forwards or backwards: its columns all go the same direction.
SORTS = {
    "received": (Feedback.received_at, Feedback.id),
    "channel": (Feedback.channel, Feedback.received_at, Feedback.id),
    "customer": (Feedback.customer, Feedback.id),
}
COUNT_CAP = 10_000


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


@dataclass
class FeedbackPage(Page):
    """A page whose total is counted only up to COUNT_CAP: `capped` means "at least `total`"."""

    capped: bool = False

    @property
    def pages(self) -> int:
        known = max(1, -(-self.total // self.per_page))
        return max(known, self.page + 1) if self.capped and len(self.items) == self.per_page else known

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def list_feedback(session: Session, f: FeedbackFilter, *, page: int = 1, per_page: int = 50) -> FeedbackPage:
    """One page of feedback matching the filter, newest first by default; raw bytes and bodies stay unloaded.

    Counting a million rows costs more than the page itself, so the count stops at COUNT_CAP ("10,000+").
    """
    page = max(1, page)
    stmt = _filtered(select(Feedback.id), f)
    found = session.execute(sa.select(sa.func.count()).select_from(stmt.limit(COUNT_CAP + 1).subquery())).scalar_one()
    columns = SORTS.get(f.sort.lstrip("-"), SORTS["received"])
    ordered = stmt.order_by(*(c.desc() if f.sort.startswith("-") else c.asc() for c in columns))
    ids = session.execute(ordered.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    rows = {r.id: r for r in session.execute(
        select(Feedback).options(defer(Feedback.raw), defer(Feedback.body), defer(Feedback.text)).where(Feedback.id.in_(ids))
    ).scalars()} if ids else {}
    return FeedbackPage([rows[i] for i in ids], page, per_page, min(found, COUNT_CAP), capped=found > COUNT_CAP)


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


# Distinct sources by skipping through the (channel, source, external_id) unique index: one probe per
# source instead of reading every row (a SELECT DISTINCT reads all million). The range on source in
# every probe (`>= ''` in the first) keeps SQLite on that index rather than the (channel, id) one.
SOURCES = sa.text("""
WITH RECURSIVE channels(channel) AS (SELECT CAST(:first AS VARCHAR(10)) {more}),
seen(channel, source) AS (
  SELECT channel, (SELECT min(f.source) FROM feedback f WHERE f.channel = channels.channel AND f.source >= '') FROM channels
  UNION ALL
  SELECT seen.channel, (SELECT min(f.source) FROM feedback f WHERE f.channel = seen.channel AND f.source > seen.source)
  FROM seen WHERE seen.source IS NOT NULL
)
SELECT DISTINCT source FROM seen WHERE source IS NOT NULL ORDER BY source LIMIT 200
""".format(more=" ".join(f"UNION ALL SELECT :c{i}" for i in range(1, len(Channel)))))


def sources(session: Session) -> list[str]:
    """Every source seen, for the filter menu."""
    names = [c.value for c in Channel]
    params = {"first": names[0]} | {f"c{i}": name for i, name in enumerate(names[1:], start=1)}
    return list(session.execute(SOURCES, params).scalars())
