"""Fixtures: an app on a temporary instance, over real SQLite and real PostgreSQL.

Each database is created and migrated once per test run (per xdist worker) and emptied after
every test. PostgreSQL must be reachable: if it is not, the run fails with a clear message.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from feedback import create_app, db, migrations, taxonomy
from tests import factories

PG_ADMIN = os.environ.get("FEEDBACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SHARED = Path(__file__).resolve().parents[2] / "shared"


def pytest_configure(config):
    os.environ.pop("FEEDBACK_DATABASE_URL", None)  # tests choose their own database
    config.addinivalue_line("markers", "sqlite_only: a test of SQLite's own tuning; not collected for PostgreSQL")


def pytest_collection_modifyitems(config, items):
    """Tests marked sqlite_only run on SQLite alone: deselected (not skipped) for the PostgreSQL database."""
    postgres_only = [item for item in items if item.get_closest_marker("sqlite_only")
                     and getattr(item, "callspec", None) and item.callspec.params.get("database_url") == "postgresql"]
    if postgres_only:
        config.hook.pytest_deselected(items=postgres_only)
        items[:] = [item for item in items if item not in postgres_only]


def _pg_database(worker: str) -> str:
    """Create a throw-away PostgreSQL database; fail the run loudly if the server is not there."""
    name = f"feedback_test_{worker}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is required for the test suite and is not reachable at {PG_ADMIN}: {exc}\n"
            "Start it (see README, 'Testing') or point FEEDBACK_TEST_PG at one.",
            pytrace=False,
        )
    return name


def _drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def worker_id_safe(request) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory, worker_id_safe):
    """A migrated database of each kind, shared by the tests of this worker."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'feedback.db'}"
        cleanup = None
    else:
        name = _pg_database(worker_id_safe)
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        cleanup = name
    engine = db.make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    yield url
    if cleanup:
        _drop_pg_database(cleanup)


def _empty_all_tables(engine: sa.Engine) -> None:
    tables = SQLModel.metadata.sorted_tables
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    """The app on a temporary instance folder, CSRF off (one test turns it on)."""
    monkeypatch.setenv("FEEDBACK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        "SCHEDULER": False,
        "IMPORT_NICE": 0,  # imports run in the test process: keep the pytest worker's own priority
    })
    yield app
    engine = app.extensions["feedback.engine"]
    _empty_all_tables(engine)
    engine.dispose()


@pytest.fixture
def session(app):
    """A session of its own, outside any app context, so requests made by `client` never share it."""
    with db.session_scope(app.extensions["feedback.engine"]) as s:
        yield s


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def loaded_taxonomy(app, session):
    """The shipped taxonomy loaded into the database."""
    return taxonomy.load(session, taxonomy.taxonomy_file(None))


@pytest.fixture
def login(client, session, loaded_taxonomy):
    """login(role, department="logistics") creates a user of that role and signs the client in."""

    def sign_in(role: str, department: str | None = None, **overrides):
        if role == "head" and department is None:
            department = "logistics"
        user = factories.make_user(session, role=role, department=department, **overrides)
        response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
        assert response.status_code == 302, "login failed"
        return user

    return sign_in


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = SHARED / "data"
    if not path.is_dir():
        pytest.fail(f"../shared/data is missing (looked at {path})", pytrace=False)
    return path
