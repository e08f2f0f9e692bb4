"""Fixtures: an app on a fresh database of each kind, a CLI runner, and the skip rules.

SQLite always runs. PostgreSQL runs when TEST_DATABASE_URL names a server: a uniquely named
database is created there for the run and dropped after. Under CI=true nothing skips.
"""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy.engine import make_url

from quiz import create_app
from quiz.db import db
from quiz.migrate import upgrade

from support import FAST_HASH, SAMPLE_SET, database_url, make_classroom, skip_or_fail


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this run, dropped at the end."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        skip_or_fail("PostgreSQL tests need TEST_DATABASE_URL, e.g. "
                     "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    import psycopg

    base = make_url(server).set(drivername="postgresql")
    name = f"quiz_test_{uuid.uuid4().hex[:12]}"
    admin_dsn = base.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(drivername="postgresql+psycopg", database=name)
    yield url.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file that each test copies, so migrations run once per run."""
    path = tmp_path_factory.mktemp("template") / "quiz.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "test"})
    upgrade(app)
    with app.app_context():
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def migrated_postgres(postgres_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": postgres_url, "SECRET_KEY": "test"})
    upgrade(app)
    with app.app_context():
        db.engine.dispose()
    return postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The URL of an empty, migrated database: SQLite, then PostgreSQL."""
    return database_url(request.param, request, tmp_path)


@pytest.fixture
def app(db_url, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test", "TESTING": True,
                      "WTF_CSRF_ENABLED": True, "PASSWORD_HASH_METHOD": FAST_HASH})
    app.instance_path = str(tmp_path / "instance")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sample_set(app, tmp_path):
    """The sample set imported into the app's database; returns its slug."""
    from quiz.importer import import_paths

    path = tmp_path / "sample.yaml"
    path.write_text(SAMPLE_SET, encoding="utf-8")
    with app.app_context():
        report = import_paths(db.session, [path])
        assert report.new, report.lines()
    return "sample"


@pytest.fixture
def make_class(app):
    """Makes a class with a join code (and an instructor), optionally assigning a set."""
    return lambda **kwargs: make_classroom(app, **kwargs)
