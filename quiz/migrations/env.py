"""Alembic environment: runs on the connection `quiz migrate` hands it, or on sqlalchemy.url."""
from alembic import context
from sqlalchemy import engine_from_config, pool

from quiz import models  # noqa: F401 - registers the tables on the metadata
from quiz.db import db

config = context.config
target_metadata = db.metadata


def run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = engine_from_config(config.get_section(config.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        run(connection)
