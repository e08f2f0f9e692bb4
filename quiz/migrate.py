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


def upgrade(app: Flask, revision: str = "head") -> None:
    """Brings the app's database to `revision` (the newest by default)."""
    with app.app_context():
        cfg = alembic_config(app.config["SQLALCHEMY_DATABASE_URI"])
        with db.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)


def downgrade(app: Flask, revision: str) -> None:
    with app.app_context():
        cfg = alembic_config(app.config["SQLALCHEMY_DATABASE_URI"])
        with db.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, revision)
