"""Users, roles and sign-in."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from feedback.errors import Forbidden, Invalid, NotFound
from feedback.models import Department, Role, User
from feedback.pagination import Page, paginate
from feedback.schemas import UserIn

MIN_PASSWORD = 8
SORTS = {"name": sa.func.lower(User.name), "email": User.email, "role": User.role, "created": User.created_at}


def create_user(session: Session, data: UserIn, *, now: datetime) -> User:
    """Add a user; heads must belong to a department, emails are unique."""
    if len(data.password) < MIN_PASSWORD:
        raise Invalid(f"password: at least {MIN_PASSWORD} characters")
    if session.exec(select(User.id).where(User.email == data.email)).first():
        raise Invalid(f"email: {data.email} is already taken")
    user = User(
        email=data.email,
        name=data.name,
        role=data.role,
        department_id=_department_id(session, data),
        password_hash=generate_password_hash(data.password),
        language=data.language,
        created_at=now,
    )
    session.add(user)
    session.commit()
    return user


def update_user(session: Session, user_id: int, data: UserIn, *, active: bool, by: User) -> User:
    """Change a user's details and role; a blank password keeps the old one."""
    user = get_user(session, user_id)
    if user.id == by.id and (not active or data.role != Role.admin):
        raise Forbidden("you cannot deactivate yourself or drop your own admin role")
    clash = session.exec(select(User.id).where(User.email == data.email, User.id != user_id)).first()
    if clash:
        raise Invalid(f"email: {data.email} is already taken")
    if data.password and len(data.password) < MIN_PASSWORD:
        raise Invalid(f"password: at least {MIN_PASSWORD} characters")
    user.email, user.name, user.role = data.email, data.name, data.role
    user.department_id = _department_id(session, data)
    user.language, user.active = data.language, active
    if data.password:
        user.password_hash = generate_password_hash(data.password)
    session.commit()
    return user


def _department_id(session: Session, data: UserIn) -> int | None:
    if not data.department:
        if data.role == Role.head:
            raise Invalid("department: a head needs a department")
        return None
    department = session.exec(select(Department).where(Department.key == data.department)).first()
    if department is None:
        raise Invalid(f"department: no department {data.department!r}")
    return department.id


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user and user.active and user.password_hash and check_password_hash(user.password_hash, password):
        return user
    return None


def set_language(session: Session, user: User, language: str) -> None:
    if language not in {"en", "zh"}:
        raise Invalid("language must be en or zh")
    user.language = language
    session.commit()


def list_users(session: Session, *, q: str = "", role: str = "", sort: str = "name", page: int = 1, per_page: int = 50) -> Page:
    """Users matching a search, one page, sorted by a known column (prefix '-' for descending)."""
    column = SORTS.get(sort.lstrip("-"), User.name)
    stmt = select(User).order_by(column.desc() if sort.startswith("-") else column, User.id)
    if q:
        words = q.strip().lower()  # autoescape: % and _ in a search are letters, not wildcards
        stmt = stmt.where(sa.or_(sa.func.lower(User.name).contains(words, autoescape=True),
                                 User.email.contains(words, autoescape=True)))
    if role:
        stmt = stmt.where(User.role == role)
    return paginate(session, stmt, page=page, per_page=per_page)


def heads_of(session: Session, department_id: int) -> list[User]:
    """The active heads of a department."""
    stmt = select(User).where(User.department_id == department_id, User.role == Role.head, User.active)
    return list(session.exec(stmt.order_by(User.name)))
