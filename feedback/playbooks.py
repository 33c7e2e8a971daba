"""Playbooks: each category's standard way of handling, written down once and improved as the team learns.

Every save is a new version (author, date, note); nothing is overwritten. The category's department
head, a manager or an admin may edit; closing a ticket may propose an addition, which the head
accepts (a new version) or rejects. Default playbooks and reply templates ship in
`feedback/playbooks/<category>.toml` and are loaded once per category, never over people's edits.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from feedback import tickets
from feedback.classify.language import detect_language
from feedback.errors import Forbidden, Invalid, NotFound
from feedback.models import Category, PlaybookProposal, PlaybookVersion, Role, Ticket, User

MAX_BODY = 50_000
MAX_PROPOSAL = 5_000
LANGUAGES = ("en", "zh")


# --- who may edit ------------------------------------------------------------------------------


def may_edit(user: User | None, category: Category) -> bool:
    """Managers and admins edit every playbook; a head edits those of their own department's categories."""
    if user is None or not user.active:
        return False
    if user.role in (Role.manager, Role.admin):
        return True
    return user.role == Role.head and category.department_id is not None and user.department_id == category.department_id


def _require_edit(user: User | None, category: Category) -> None:
    if not may_edit(user, category):
        raise Forbidden(f"you may not edit the playbook of {category.key}")


# --- reading -----------------------------------------------------------------------------------


def category(session: Session, key: str) -> Category:
    found = session.execute(sa.select(Category).where(Category.key == key)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no category {key}")
    return found


def current(session: Session, category_id: int) -> PlaybookVersion | None:
    """The latest version of a category's playbook, or None when it has none yet."""
    return session.execute(
        sa.select(PlaybookVersion).where(PlaybookVersion.category_id == category_id)
        .order_by(PlaybookVersion.number.desc()).limit(1)
    ).scalar_one_or_none()


def versions(session: Session, category_id: int) -> list[PlaybookVersion]:
    """Every version, newest first."""
    return [v for v, _ in history(session, category_id)]


def history(session: Session, category_id: int) -> list[tuple[PlaybookVersion, str]]:
    """Every version with its author's name ("" for the shipped default), newest first."""
    rows = session.execute(
        sa.select(PlaybookVersion, User.name).outerjoin(User, User.id == PlaybookVersion.author_id)
        .where(PlaybookVersion.category_id == category_id).order_by(PlaybookVersion.number.desc())
    ).all()
    return [(v, name or "") for v, name in rows]


def body(version: PlaybookVersion | None, language: str) -> str:
    """The playbook text in a language, falling back to the other one when that is empty."""
    if version is None:
        return ""
    first, second = (version.body_zh, version.body_en) if language == "zh" else (version.body_en, version.body_zh)
    return first or second


@dataclass
class PlaybookRow:
    category: Category
    version: PlaybookVersion | None
    author: str
    pending: int


def listing(session: Session) -> list[PlaybookRow]:
    """Every active category with its current version, author and pending proposals (three queries)."""
    latest = (
        sa.select(PlaybookVersion.category_id, sa.func.max(PlaybookVersion.number).label("number"))
        .group_by(PlaybookVersion.category_id).subquery()
    )
    rows = session.execute(
        sa.select(Category, PlaybookVersion, User.name).where(Category.active)
        .outerjoin(latest, latest.c.category_id == Category.id)
        .outerjoin(PlaybookVersion, sa.and_(
            PlaybookVersion.category_id == Category.id, PlaybookVersion.number == latest.c.number))
        .outerjoin(User, User.id == PlaybookVersion.author_id).order_by(Category.key)
    ).all()
    pending = dict(session.execute(
        sa.select(PlaybookProposal.category_id, sa.func.count()).where(PlaybookProposal.status == "pending")
        .group_by(PlaybookProposal.category_id)
    ).all())
    return [PlaybookRow(c, v, name or "", pending.get(c.id, 0)) for c, v, name in rows]


def diff(old: str, new: str) -> list[tuple[str, str]]:
    """Line changes from one text to the next as (kind, line): kind is "+", "-" or " " (context)."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2)
    return [(line[0], line[1:]) for line in lines if not line.startswith(("---", "+++", "@@"))]


# --- writing -----------------------------------------------------------------------------------


def save(session: Session, key: str, body_en: str, body_zh: str, note: str = "", *,
         by: User, now: datetime) -> PlaybookVersion:
    """Save the playbook as a new version; only its department's head, a manager or an admin may."""
    found = category(session, key)
    _require_edit(by, found)
    version = _add_version(session, found, _text(body_en), _text(body_zh), note, by=by, now=now)
    session.commit()
    return version


def _add_version(session: Session, found: Category, body_en: str, body_zh: str, note: str, *,
                 by: User | None, now: datetime) -> PlaybookVersion:
    if not body_en and not body_zh:
        raise Invalid("a playbook needs a text in English or Chinese")
    latest = current(session, found.id)
    if latest is not None and (latest.body_en, latest.body_zh) == (body_en, body_zh):
        raise Invalid("nothing changed")
    version = PlaybookVersion(
        category_id=found.id, number=(latest.number + 1) if latest else 1, body_en=body_en, body_zh=body_zh,
        note=note.strip()[:300], author_id=by.id if by else None, created_at=now,
    )
    session.add(version)
    try:
        session.flush()
    except IntegrityError as exc:  # two people saved the same version number at once
        session.rollback()
        raise Invalid("someone else saved this playbook at the same moment; reload and try again") from exc
    return version


def _text(value: str | None, limit: int = MAX_BODY) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise Invalid(f"at most {limit} characters")
    return text


# --- proposals ---------------------------------------------------------------------------------


def propose(session: Session, ref: str | int, text: str, *, by: User, now: datetime) -> PlaybookProposal:
    """Suggest an addition to the playbook of a ticket's category (whoever may comment on the ticket)."""
    ticket = tickets.get_ticket(session, ref)
    tickets.require(by, ticket, "comment")
    content = _text(text, MAX_PROPOSAL)
    if not content:
        raise Invalid("the proposal is empty")
    if ticket.category_id is None:
        raise Invalid("the ticket has no category, so no playbook")
    proposal = PlaybookProposal(
        category_id=ticket.category_id, ticket_id=ticket.id, text=content, proposed_by_id=by.id, proposed_at=now,
        language="zh" if detect_language(content) == "zh" else "en",
    )
    session.add(proposal)
    session.commit()
    return proposal


def propose_on_close(session: Session, ticket: Ticket, text: str | None, *, by: User, now: datetime) -> Ticket:
    """After a ticket is closed: file the closer's proposal, if they wrote one. Returns the ticket."""
    if (text or "").strip():
        propose(session, ticket.id, text or "", by=by, now=now)
    return ticket


def pending(session: Session, user: User) -> list[tuple[PlaybookProposal, Category, str]]:
    """Proposals waiting for this user's decision (a head: their department's; managers, admins: all)."""
    stmt = (
        sa.select(PlaybookProposal, Category, User.name).join(Category, Category.id == PlaybookProposal.category_id)
        .outerjoin(User, User.id == PlaybookProposal.proposed_by_id)
        .where(PlaybookProposal.status == "pending").order_by(PlaybookProposal.proposed_at, PlaybookProposal.id)
    )
    if user.role == Role.head:
        stmt = stmt.where(Category.department_id == user.department_id)
    elif user.role not in (Role.manager, Role.admin):
        return []
    return [(p, c, name or "") for p, c, name in session.execute(stmt).all()]


def _pending_proposal(session: Session, proposal_id: int, by: User) -> tuple[PlaybookProposal, Category]:
    proposal = session.get(PlaybookProposal, proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}")
    found = session.get(Category, proposal.category_id)
    _require_edit(by, found)
    if proposal.status != "pending":
        raise Invalid(f"this proposal was {proposal.status} already")
    return proposal, found


def accept(session: Session, proposal_id: int, text: str | None = None, *, by: User, now: datetime) -> PlaybookVersion:
    """Add the proposal (as written, or as the head edited it) to the playbook: a new version."""
    proposal, found = _pending_proposal(session, proposal_id, by)
    addition = _text(text if text is not None and text.strip() else proposal.text, MAX_PROPOSAL)
    latest = current(session, found.id)
    bodies = {"en": latest.body_en if latest else "", "zh": latest.body_zh if latest else ""}
    bodies[proposal.language] = (bodies[proposal.language] + "\n\n" + addition).strip()
    source = tickets.number(proposal.ticket_id) if proposal.ticket_id else f"#{proposal.id}"
    version = _add_version(session, found, bodies["en"], bodies["zh"], f"proposal from {source}", by=by, now=now)
    proposal.status, proposal.decided_by_id, proposal.decided_at = "accepted", by.id, now
    proposal.version_id = version.id
    session.commit()
    return version


def reject(session: Session, proposal_id: int, reason: str = "", *, by: User, now: datetime) -> PlaybookProposal:
    """Decline a proposal, with a reason the proposer can read."""
    proposal, _ = _pending_proposal(session, proposal_id, by)
    proposal.status, proposal.decided_by_id, proposal.decided_at = "rejected", by.id, now
    proposal.reason = _text(reason, 500)
    session.commit()
    return proposal


# --- shipped defaults --------------------------------------------------------------------------


@dataclass
class LoadResult:
    playbooks: int = 0
    templates: int = 0


def defaults_folder() -> Path:
    return Path(str(resources.files("feedback") / "playbooks"))


def load_defaults(session: Session, folder: Path | None = None, *, now: datetime) -> LoadResult:
    """Give each category without a playbook (or reply template) the shipped one; safe to run again."""
    from feedback import replies  # replies checks edits with may_edit above: imported here, not at the top

    result = LoadResult()
    categories = {c.key: c for c in session.execute(sa.select(Category)).scalars()}
    have = set(session.execute(sa.select(PlaybookVersion.category_id).distinct()).scalars())
    for path in sorted((folder or defaults_folder()).glob("*.toml")):
        found = categories.get(path.stem)
        if found is None:
            continue  # a category this instance's taxonomy does not have
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if found.id not in have:
            _add_version(session, found, data["playbook_en"].strip(), data["playbook_zh"].strip(), "shipped default",
                         by=None, now=now)
            result.playbooks += 1
        result.templates += replies.add_defaults(session, found, data.get("reply", {}), now=now)
    session.commit()
    return result
