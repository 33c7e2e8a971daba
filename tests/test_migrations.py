"""Alembic is the only schema path: the migrated database must match the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from feedback import db, migrations


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
