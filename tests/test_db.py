from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from feedback import db
from feedback.models import Bulletin, Feedback, Role, User


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_datetimes_come_back_aware_utc(session):
    shanghai = timezone(timedelta(hours=8))
    user = User(email="t@example.com", name="T", role=Role.agent, created_at=datetime(2026, 1, 1, 8, 30, tzinfo=shanghai))
    session.add(user)
    session.commit()
    session.expunge_all()
    stored = session.get(User, user.id)
    assert stored.created_at == datetime(2026, 1, 1, 0, 30, tzinfo=timezone.utc)
    assert stored.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(session):
    session.add(User(email="n@example.com", name="N", role=Role.agent, created_at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()


def test_feedback_origin_is_unique(session):
    def item():
        return Feedback(
            channel="email", source="inbox", external_id="<a@b>", raw=b"x",
            received_at=datetime(2026, 1, 1, tzinfo=timezone.utc), business_date=datetime(2026, 1, 1).date(),
        )

    session.add(item())
    session.commit()
    session.add(item())
    with pytest.raises(IntegrityError):
        session.commit()


def test_foreign_keys_are_enforced(session):
    session.add(User(email="f@example.com", name="F", role=Role.head, department_id=999))
    with pytest.raises(IntegrityError):
        session.commit()


def test_one_bulletin_per_business_day(session):
    day = datetime(2026, 3, 2).date()
    session.add(Bulletin(business_date=day))
    session.commit()
    session.add(Bulletin(business_date=day))
    with pytest.raises(IntegrityError):
        session.commit()


def test_session_scope_rolls_back_on_error(app):
    engine = app.extensions["feedback.engine"]
    with pytest.raises(RuntimeError):
        with db.session_scope(engine) as s:
            s.add(User(email="r@example.com", name="R", role=Role.agent))
            s.flush()
            raise RuntimeError("boom")
    with db.session_scope(engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0
