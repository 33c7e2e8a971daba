"""API tokens: created once and shown once, stored only as a SHA-256 hash, scoped and revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from feedback.errors import Forbidden, Invalid, NotFound, ServiceError
from feedback.models import ApiToken, User

PREFIX = "fbk_"
# Scopes a token can hold; the API checks one per endpoint.
SCOPES = {
    "feedback:write": "submit feedback (POST /api/v1/feedback)",
    "tickets:read": "read tickets",
    "tickets:write": "change tickets",
}


class Unauthorized(ServiceError):
    """No token, or one that is unknown or revoked."""

    status = 401


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def create_token(session: Session, *, name: str, scopes: list[str], user: User | None, now: datetime) -> tuple[ApiToken, str]:
    """A new token; the plain value is returned this once and never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise Invalid("a token needs a name of 1–100 characters")
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise Invalid(f"choose scopes among {', '.join(SCOPES)}")
    if user is not None and not user.active:
        raise Invalid("a token cannot act as an inactive user")
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, prefix=plain[:12], token_hash=_digest(plain), scopes=sorted(set(scopes)),
                     user_id=user.id if user else None, created_at=now)
    session.add(token)
    session.commit()
    return token, plain


def verify_token(session: Session, plain: str, *, scope: str, now: datetime) -> ApiToken:
    """The live token with this value and scope; Unauthorized or Forbidden otherwise. Notes when it was used."""
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _digest(plain or ""))).first() if plain else None
    if token is None or token.revoked_at is not None:
        raise Unauthorized("a valid API token is required (Authorization: Bearer …)")
    if scope not in (token.scopes or []):
        raise Forbidden(f"this token lacks the scope {scope}")
    token.last_used_at = now
    session.commit()
    return token


def revoke_token(session: Session, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke a token for good; requests with it fail from now on."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now
        session.commit()
    return token


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, live ones first, newest first (an instance has a handful)."""
    return list(session.exec(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def acting_user(session: Session, user_id: str | int | None) -> User | None:
    """The user a new token will act as, from a form value ("" for nobody: feedback submission only)."""
    if user_id in (None, ""):
        return None
    user = session.get(User, int(user_id)) if str(user_id).isdigit() else None
    if user is None or not user.active:
        raise Invalid("the token must act as an active user")
    return user


def acting_choices(session: Session) -> list[User]:
    """Who a token may act as: every active user (an instance has tens, not thousands)."""
    return list(session.exec(select(User).where(User.active).order_by(User.role, User.name)))


def users_of(session: Session, found: list[ApiToken]) -> dict[int, User]:
    """The users the listed tokens act as, in one query."""
    ids = {t.user_id for t in found if t.user_id}
    return {u.id: u for u in session.execute(sa.select(User).where(User.id.in_(ids))).scalars()} if ids else {}
