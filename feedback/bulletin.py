"""The daily feedback bulletin: draft from the day's figures, edit, refresh, issue (mail), correct, read, archive.

The text is Markdown rendered from templates/bulletin/bulletin.<language>.md with every piece of
customer text escaped; the manager's commentary lives between two markers so a refresh of the
figures keeps it. Issued text is never changed: issuing stores revision 1, a correction stores the
next revision and mails it again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import jinja2
import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session

from feedback import bulletin_figures, charts, clock, mail, markup
from feedback.errors import Forbidden, Invalid, NotFound
from feedback.models import Bulletin, BulletinRevision, Role, User

TEMPLATES = Path(__file__).parent / "templates"
COMMENTARY = re.compile(r"<!-- commentary -->\n?(.*?)\n?<!-- /commentary -->", re.DOTALL)
MARKERS = re.compile(r"^<!-- /?commentary -->\n?", re.MULTILINE)
MAX_MARKDOWN = 200_000
CHANNEL_NAMES = {
    "en": {"phone": "Phone", "email": "Email", "forum": "Forum", "review": "Review", "survey": "Survey"},
    "zh": {"phone": "电话", "email": "邮件", "forum": "论坛", "review": "评价", "survey": "问卷"},
}
WORDS = {  # the few words of the mail and chart, in the bulletin's language (not the reader's)
    "en": {"subject": "Daily feedback bulletin {day}", "correction": "correction {n}", "open": "Open it in the tracker",
           "chart": "Feedback by category and channel, {day}", "unclassified": "Unclassified",
           "empty": "No feedback on this day"},
    "zh": {"subject": "反馈日报 {day}", "correction": "更正 {n}", "open": "在系统中查看",
           "chart": "{day} 各类别、各渠道反馈", "unclassified": "未分类",
           "empty": "当天没有反馈"},
}
WEEKDAYS_ZH = "一二三四五六日"


@dataclass
class BulletinView:
    """One day's bulletin as pages show it: the text rendered, the chart, who issued it, the revisions."""

    day: date
    bulletin: Bulletin | None
    html: Markup = Markup("")
    chart: Markup = Markup("")
    issued_by: str = ""
    revisions: list[tuple[BulletinRevision, str]] = field(default_factory=list)  # (revision, issuer name)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html"]),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters.update(md=lambda text: markup.escape_markdown(str(text)).replace("|", "&#124;"),
                       line=lambda text: " ".join(str(text or "").split())[:140],
                       day=lambda moment: clock.business_date(moment).isoformat() if moment else "–")
    env.globals.update(delta=lambda now, before: f"{now - before:+d}", avg=lambda value: f"{value:.1f}")
    return env


_env = _environment()


def _language(config: Mapping) -> str:
    return config.get("BULLETIN_LANGUAGE", "en") if config.get("BULLETIN_LANGUAGE") in WORDS else "en"


def render(figures: bulletin_figures.Figures, *, config: Mapping, commentary: str = "") -> str:
    """The bulletin's Markdown for these figures, in the configured language, with the commentary kept."""
    language, base = _language(config), config.get("BASE_URL", "").rstrip("/")

    def url(path: str, **args) -> str:
        return base + path + ("?" + urlencode(args) if args else "")

    return _env.get_template(f"bulletin/bulletin.{language}.md").render(
        f=figures, commentary=commentary, url=url, channel_names=CHANNEL_NAMES[language],
        weekday_zh="星期" + WEEKDAYS_ZH[figures.day.weekday()],
        previous_day=figures.day - timedelta(days=1), week_start=figures.day - timedelta(days=bulletin_figures.AVERAGE_DAYS),
    )


def chart(figures: bulletin_figures.Figures, *, config: Mapping) -> str:
    """The channel × category chart of the figures as SVG text."""
    language = _language(config)
    words, names = WORDS[language], CHANNEL_NAMES[language]
    label = (lambda r: r.name_zh or r.name_en or r.key) if language == "zh" else (lambda r: r.name_en or r.key)
    rows = [(label(r) or words["unclassified"], r.counts) for r in figures.rows if r.total]
    return str(charts.channel_category_chart(rows, [(c, names[c]) for c in figures.channels],
                                             title=words["chart"].format(day=figures.day.isoformat()), empty=words["empty"]))


def commentary_of(text: str) -> str:
    """The manager's commentary: what stands between the commentary markers."""
    found = COMMENTARY.search(text or "")
    return found.group(1).strip() if found else ""


def find(session: Session, day: date) -> Bulletin | None:
    return session.execute(sa.select(Bulletin).where(Bulletin.business_date == day)).scalar_one_or_none()


def _get(session: Session, day: date) -> Bulletin:
    found = find(session, day)
    if found is None:
        raise NotFound(f"no bulletin for {day.isoformat()}")
    return found


def draft(session: Session, day: date | None = None, *, now: datetime, config: Mapping) -> Bulletin:
    """Draft the bulletin of `day` (default: yesterday, business time); an existing one is returned unchanged."""
    day = day or clock.yesterday(now)
    existing = find(session, day)
    if existing is not None:
        return existing
    figures = bulletin_figures.compute(session, day, now=now)
    bulletin = Bulletin(business_date=day, markdown=render(figures, config=config), chart=chart(figures, config=config),
                        status="draft", created_at=now, updated_at=now)
    session.add(bulletin)
    try:
        session.commit()
    except IntegrityError:  # someone drafted the same day meanwhile: theirs stands
        session.rollback()
        return _get(session, day)
    return bulletin


def _editable(session: Session, day: date) -> Bulletin:
    bulletin = _get(session, day)
    if bulletin.status != "draft":
        raise Invalid("this bulletin is issued; its text can only be corrected by a new revision")
    return bulletin


def refresh(session: Session, day: date, *, text: str | None = None, now: datetime, config: Mapping) -> Bulletin:
    """Recompute the figures of a draft, keeping the commentary the manager wrote (in `text` when given)."""
    bulletin = _editable(session, day)
    figures = bulletin_figures.compute(session, day, now=now)
    commentary = commentary_of(bulletin.markdown if text is None else text)
    bulletin.markdown = render(figures, config=config, commentary=commentary)
    bulletin.chart, bulletin.updated_at = chart(figures, config=config), now
    session.commit()
    return bulletin


def _checked(text: str) -> str:
    text = (text or "").replace("\r\n", "\n")
    if not text.strip():
        raise Invalid("the bulletin text is empty")
    if len(text) > MAX_MARKDOWN:
        raise Invalid(f"the bulletin text is longer than {MAX_MARKDOWN} characters")
    return text


def save(session: Session, day: date, text: str, *, now: datetime) -> Bulletin:
    """Save the manager's edit of a draft."""
    bulletin = _editable(session, day)
    bulletin.markdown, bulletin.updated_at = _checked(text), now
    session.commit()
    return bulletin


def recipients(session: Session, config: Mapping) -> list[str]:
    """Every active department head, plus the configured list; each address once."""
    heads = session.execute(sa.select(User.email).where(User.role == Role.head, User.active)).scalars()
    return sorted({a.strip().lower() for a in [*heads, *config.get("BULLETIN_RECIPIENTS", [])] if a and a.strip()})


def _may_issue(by: User | None) -> None:
    """Managers and admins issue; None is the scheduler's auto-issue."""
    if by is not None and by.role not in (Role.admin, Role.manager):
        raise Forbidden("only a manager or an admin issues the bulletin")


def issue(session: Session, day: date, *, text: str | None = None, by: User | None, now: datetime, config: Mapping,
          send: bool = True) -> Bulletin:
    """Issue a draft (as edited in `text` when given): record who and when, freeze it as revision 1, mail it."""
    _may_issue(by)
    bulletin = _editable(session, day)
    if text is not None:
        bulletin.markdown = _checked(text)
    bulletin.status, bulletin.issued_at, bulletin.updated_at = "issued", now, now
    bulletin.issued_by_id = by.id if by else None
    bulletin.recipients = recipients(session, config)
    session.add(BulletinRevision(bulletin_id=bulletin.id, number=1, markdown=bulletin.markdown,
                                 issued_by_id=bulletin.issued_by_id, issued_at=now))
    _commit_revision(session)
    if send:
        mail.send(dict(config), mails(bulletin, config=config))
    return bulletin


def revise(session: Session, day: date, text: str, *, note: str = "", by: User | None, now: datetime,
           config: Mapping, send: bool = True) -> BulletinRevision:
    """Correct an issued bulletin: a new revision (history kept), mailed to the recipients again."""
    _may_issue(by)
    bulletin = _get(session, day)
    if bulletin.status != "issued":
        raise Invalid("only an issued bulletin is corrected; edit the draft instead")
    text = _checked(text)
    if text == bulletin.markdown:
        raise Invalid("the correction changes nothing")
    last = session.execute(sa.select(sa.func.max(BulletinRevision.number)).where(BulletinRevision.bulletin_id == bulletin.id)).scalar()
    revision = BulletinRevision(bulletin_id=bulletin.id, number=(last or 0) + 1, markdown=text, note=note.strip()[:500],
                                issued_by_id=by.id if by else None, issued_at=now)
    session.add(revision)
    bulletin.markdown, bulletin.updated_at = text, now
    _commit_revision(session)
    if send:
        mail.send(dict(config), mails(bulletin, config=config, revision=revision.number))
    return revision


def _commit_revision(session: Session) -> None:
    """Commit a new revision; its number is unique per bulletin, so of two people issuing at once one wins."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Invalid("someone else issued this bulletin at the same moment; reload it") from None


def mails(bulletin: Bulletin, *, config: Mapping, revision: int = 1) -> list[mail.Outgoing]:
    """One mail per recipient: the Markdown as plain text, the rendered text and the inline SVG chart as HTML."""
    words = WORDS[_language(config)]
    subject = words["subject"].format(day=bulletin.business_date.isoformat())
    if revision > 1:
        subject += f" ({words['correction'].format(n=revision)})"
    base = config.get("BASE_URL", "").rstrip("/")
    context = dict(bulletin=bulletin, subject=subject, words=words, text=MARKERS.sub("", bulletin.markdown),
                   html=_rendered(bulletin.markdown), chart=Markup(bulletin.chart),
                   link=f"{base}/bulletins/{bulletin.business_date.isoformat()}" if base else "")
    text = _env.get_template("email/bulletin.txt").render(context)
    html = _env.get_template("email/bulletin.html").render(context)
    return [mail.Outgoing(to=address, subject=subject, text=text, html=html) for address in bulletin.recipients or []]


@lru_cache(maxsize=16)
def _rendered(text: str) -> Markup:
    """A bulletin's HTML, rendered once per text: a busy day's bulletin is ~60 KB of Markdown, and every
    head reads it the same morning (~80 ms to render and sanitise, against ~0.1 ms to look up)."""
    return markup.render_markdown(text)


def view(session: Session, day: date) -> BulletinView:
    """One day's bulletin for the page: rendered text, chart and history (no bulletin yet is not an error)."""
    bulletin = find(session, day)
    if bulletin is None:
        return BulletinView(day, None)
    rows = session.execute(
        sa.select(BulletinRevision, User.name).outerjoin(User, User.id == BulletinRevision.issued_by_id)
        .where(BulletinRevision.bulletin_id == bulletin.id).order_by(BulletinRevision.number)
    ).all()
    issuer = session.get(User, bulletin.issued_by_id) if bulletin.issued_by_id else None
    return BulletinView(day, bulletin, _rendered(bulletin.markdown), Markup(bulletin.chart),
                        issuer.name if issuer else "", [(r, name or "") for r, name in rows])


@dataclass
class Archive:
    month: date
    q: str
    bulletins: list[Bulletin]


def archive(session: Session, *, month: date | None, q: str = "", now: datetime, limit: int = 100) -> Archive:
    """The bulletins of a month, newest first; with words, every bulletin whose text holds them."""
    month = (month or clock.business_date(now)).replace(day=1)
    stmt = (sa.select(Bulletin).options(defer(Bulletin.markdown), defer(Bulletin.chart))
            .order_by(Bulletin.business_date.desc()).limit(limit))
    if q.strip():
        for word in q.lower().split()[:5]:
            like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(sa.func.lower(Bulletin.markdown).like(like, escape="\\"))
    else:
        following = (month + timedelta(days=32)).replace(day=1)
        stmt = stmt.where(Bulletin.business_date >= month, Bulletin.business_date < following)
    return Archive(month, q.strip(), list(session.execute(stmt).scalars()))
