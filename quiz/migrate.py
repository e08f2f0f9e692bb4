"""Schema upgrades with Alembic, from inside the app (no alembic.ini needed)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import Flask

from . import PACKAGE_DIR
from .db import db


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def run(app: Flask, step, revision: str) -> None:  # type: ignore[no-untyped-def]
    """Runs an Alembic command in one transaction on the app's database.

    On SQLite, foreign keys are switched off for the duration: a batch migration rebuilds a
    table by copying it and dropping the old one, and with foreign keys on, that drop would
    cascade into the rows that point at it (answers!). They are checked again afterwards.
    """
    with app.app_context():
        cfg = alembic_config(app.config["SQLALCHEMY_DATABASE_URI"])
        with db.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:  # outside any transaction, where the pragma takes effect
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            try:
                with connection.begin():
                    cfg.attributes["connection"] = connection
                    step(cfg, revision)
                    if sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")
            finally:
                if sqlite:
                    connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def upgrade(app: Flask, revision: str = "head") -> None:
    """Brings the app's database to `revision` (the newest by default)."""
    run(app, command.upgrade, revision)


def downgrade(app: Flask, revision: str) -> None:
    run(app, command.downgrade, revision)
