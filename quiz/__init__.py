"""Fact or opinion? A media-literacy quiz. `create_app()` builds the Flask app."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask.templating import Environment as FlaskEnvironment

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    """A top-level folder of the checkout (templates, questions), or its copy inside the wheel."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


def create_app(test_config: dict[str, Any] | None = None, *, from_command_line: bool = False) -> Flask:
    """The app factory: config, extensions, blueprints, nothing else.

    Without SECRET_KEY it refuses to start, except from the command line (`quiz ...`,
    `flask --app quiz ...`), where a key is made once and kept in the instance folder.
    """
    from . import config
    from .db import configure_engine, db

    app = App(__name__, instance_relative_config=True, template_folder=str(resource_path("templates")))
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        if not (from_command_line or os.environ.get("FLASK_RUN_FROM_CLI") == "true"):
            raise RuntimeError("SECRET_KEY is not set: set it to a long random value shared by every "
                               "app server (python -c 'import secrets; print(secrets.token_hex(32))').")
        app.config["SECRET_KEY"] = development_key(Path(app.instance_path))

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine)

    from . import ratelimit, security, views
    security.init_app(app)
    ratelimit.init_app(app)
    views.init_app(app)

    from .auth import bp as auth_bp
    from .errors import bp as errors_bp
    from .learn import bp as learn_bp
    from .live import bp as live_bp
    from .teach import bp as teach_bp
    for blueprint in (errors_bp, auth_bp, learn_bp, teach_bp, live_bp):
        app.register_blueprint(blueprint)

    from .cli import COMMANDS
    for command in COMMANDS:
        app.cli.add_command(command)
    return app


class Environment(FlaskEnvironment):
    """Flask's Jinja environment, giving each template its globals as a plain dict: every render
    copies them into the page's context, and copying Jinja's ChainMap of the template's and the
    environment's globals (about 30) costs 60 times what copying a dict does. As Jinja asks
    ("avoid modifying any globals after a template is loaded"), the app sets its globals in
    create_app, before any template is loaded."""

    def make_globals(self, d):  # type: ignore[no-untyped-def,override]
        return {**self.globals, **(d or {})}


class App(Flask):
    """Flask, asking once per function whether it is a coroutine: Flask asks on every request for
    every hook, view and template signal (a dozen times a page), and the answer never changes.
    Its templates' globals are plain dicts (Environment)."""

    SYNC_KEPT = 1024   # functions: hooks and views are a few dozen
    jinja_environment = Environment

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.synced: dict = {}  # type: ignore[type-arg]

    def ensure_sync(self, func):  # type: ignore[no-untyped-def]
        found = self.synced.get(func)
        if found is None:
            found = super().ensure_sync(func)
            if len(self.synced) < self.SYNC_KEPT:
                self.synced[func] = found
        return found


def development_key(instance: Path) -> str:
    """A secret key kept in instance/secret_key, made on first use; for one machine only."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
