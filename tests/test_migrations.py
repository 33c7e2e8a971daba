"""Alembic is the only schema path: the migrated database must match the models exactly."""

import uuid

import psycopg
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from feedback import db, migrations
from tests.conftest import PG_ADMIN


def test_models_and_migrations_agree(database_url):
    engine = db.make_engine(database_url)
    try:
        assert migrations.is_current(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, SQLModel.metadata)
        assert diff == [], f"models differ from migrations; run `feedback db revision -m ...`: {diff}"
    finally:
        engine.dispose()


def test_migrations_go_down_and_up_again(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrations.upgrade(engine)
    migrations.downgrade(engine, "base")
    assert migrations.current(engine) is None
    migrations.upgrade(engine)
    assert migrations.current(engine) == migrations.head()


def test_postgresql_vacuums_the_busiest_tables_sooner_and_the_migration_goes_down_again(worker_id_safe):
    """Counts over ticket and feedback indexes stay index-only only if vacuum marks new rows visible soon."""
    scratch = f"feedback_vacuum_{worker_id_safe}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{scratch}"')
    server = sa.engine.make_url(PG_ADMIN).set(drivername="postgresql+psycopg", database=scratch)
    engine = db.make_engine(server.render_as_string(hide_password=False))

    def options() -> dict[str, list[str]]:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT relname, reloptions FROM pg_class WHERE relname IN ('ticket', 'feedback')"))
            return {table: sorted(found or []) for table, found in rows}

    try:
        migrations.upgrade(engine)
        assert options()["ticket"] == options()["feedback"] == [
            "autovacuum_analyze_scale_factor=0.02", "autovacuum_vacuum_insert_scale_factor=0.01",
            "autovacuum_vacuum_scale_factor=0.02"]
        migrations.downgrade(engine, "0013")
        assert options() == {"ticket": [], "feedback": []}
    finally:
        engine.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
