"""Alembic environment: runs migrations on the engine handed over by feedback.migrations."""

from alembic import context
from sqlmodel import SQLModel

import feedback.models  # noqa: F401  (fills SQLModel.metadata)

config = context.config


def run() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
