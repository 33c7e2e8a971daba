"""Reference data the busy pages read on every request — categories, departments, people, the current playbooks
and reply templates — kept per process for a few seconds.

Reading and building them took a fifth of the ticket list's time and an eighth of a ticket page's. A change
committed through this process (any session writing one of the WATCHED tables) forgets them at once; a change
made by another process (a second gunicorn worker, the CLI) is seen within FRESH_SECONDS. Rows come back as
frozen snapshots, never ORM objects: they outlive their session and are shared between requests.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import namedtuple

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from feedback import assign, playbooks, taxonomy
from feedback.models import Category, Department, PlaybookVersion, ReplyTemplate, Role, User

FRESH_SECONDS = 10.0
WATCHED = (Category, Department, User, PlaybookVersion, ReplyTemplate)
_CHANGED = "reference_changed"  # a session.info flag: this transaction wrote reference data
# Per engine (one per app, so tests' apps never share): what → (read at, rows).
_store: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _snapshot(model, leave_out: tuple[str, ...] = ()):
    """A named tuple type with the model's columns: same attribute names as the ORM object, read-only."""
    return namedtuple(f"{model.__name__}Row", [c.key for c in sa.inspect(model).columns if c.key not in leave_out])


CategoryRow, DepartmentRow = _snapshot(Category), _snapshot(Department)
UserRow = _snapshot(User, leave_out=("password_hash",))
PlaybookVersionRow, ReplyTemplateRow = _snapshot(PlaybookVersion), _snapshot(ReplyTemplate)


def categories(session: Session) -> list:
    """Every category (active or not: old tickets still name them), by key."""
    return _cached(session, "categories", lambda: _copies(CategoryRow, taxonomy.categories(session)))


def departments(session: Session) -> list:
    """The departments in use, by key."""
    return _cached(session, "departments", lambda: _copies(DepartmentRow, taxonomy.department_choices(session)))


def owners(session: Session, department_id: int | None) -> list:
    """Who a ticket may be given to: its department's heads and agents, and managers (everyone for None)."""
    workers = User.role.in_(assign.WORKER_ROLES)
    if department_id is not None:
        workers = sa.and_(workers, User.department_id == department_id)
    stmt = _select(UserRow, User).where(User.active, sa.or_(workers, User.role == Role.manager)) \
        .order_by(User.role, User.name)
    return _cached(session, ("owners", department_id), lambda: [UserRow(*row) for row in session.execute(stmt)])


def people(session: Session) -> dict[int, tuple]:
    """Everyone by id, active or not (a ticket's history names people who have left)."""
    stmt = _select(UserRow, User)
    return _cached(session, "people", lambda: {row.id: UserRow(*row) for row in session.execute(stmt)})


def playbook(session: Session, category_id: int) -> tuple | None:
    """The current (latest) version of a category's playbook, None when it has none."""
    def read():
        found = playbooks.current(session, category_id)
        return _copies(PlaybookVersionRow, [found])[0] if found else None

    return _cached(session, ("playbook", category_id), read)


def reply_templates(session: Session, category_id: int) -> list:
    """A category's reply templates, by language."""
    from feedback import replies  # here: replies reads its templates through this module

    return _cached(session, ("replies", category_id),
                   lambda: _copies(ReplyTemplateRow, replies.templates(session, category_id)))


def _select(row_type, model) -> sa.Select:
    """The columns of a snapshot (people: no ORM objects for every user of the instance)."""
    return sa.select(*(getattr(model, name) for name in row_type._fields))


def _copies(row_type, items) -> list:
    """Snapshots of what a service function read: the query stays that function's, in one place."""
    return [row_type(*(getattr(item, name) for name in row_type._fields)) for item in items]


def _engine(session: Session) -> sa.Engine:
    return session.get_bind().engine  # an Engine is its own .engine; a Connection names its Engine


def _cached(session: Session, what, read):
    engine = _engine(session)
    found = _store.get(engine, {}).get(what)
    if found is not None and time.monotonic() - found[0] < FRESH_SECONDS:
        return found[1]
    read_at, rows = time.monotonic(), read()
    with _lock:
        _store.setdefault(engine, {})[what] = (read_at, rows)
    return rows


def forget(session: Session) -> None:
    """Drop what this process keeps for the session's database (the next read goes to the database)."""
    with _lock:
        _store.pop(_engine(session), None)


@event.listens_for(Session, "after_flush")
def _note_writes(session: Session, _context) -> None:
    if any(isinstance(item, WATCHED) for group in (session.new, session.dirty, session.deleted) for item in group):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statements(state) -> None:
    """An INSERT, UPDATE or DELETE statement on a reference table, run through a session, is a write too."""
    if (state.is_insert or state.is_update or state.is_delete) and state.bind_mapper is not None \
            and issubclass(state.bind_mapper.class_, WATCHED):
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    # After the commit, not at the flush: a read in between would keep the old rows for FRESH_SECONDS.
    if session.info.pop(_CHANGED, False):
        forget(session)


@event.listens_for(Session, "after_rollback")
def _nothing_written(session: Session) -> None:
    session.info.pop(_CHANGED, None)
