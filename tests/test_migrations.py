"""Schema migrations on an empty database of each kind: up, down, up again, data kept, no drift.

Each test gets a database of its own with no tables at all: a new SQLite file, or on the
TEST_DATABASE_URL server a uniquely named PostgreSQL database created for the test and dropped
after it (the shared, already-migrated test database is no use here).
"""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (JSON, Boolean, Column, DateTime, Integer, MetaData, String, Table, bindparam, inspect,
                        select, text)
from sqlalchemy.engine import make_url

from quiz import create_app, models
from quiz.attempts import item_question, load_attempt
from quiz.db import db
from quiz.importer import asked_hash
from quiz.migrate import alembic_config, downgrade, upgrade
from quiz.sets import load_set
from quiz.sets.model import STANDARD_LABELS

from support import SAMPLE_SET, skip_or_fail

OUR_TABLES = {table.name for table in db.metadata.sorted_tables}
STARTED = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)
FINISHED = datetime(2026, 1, 5, 9, 41, 12, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """The URL of a database with no tables: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        skip_or_fail("PostgreSQL tests need TEST_DATABASE_URL, e.g. "
                     "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    import psycopg

    name = f"quiz_migrations_{uuid.uuid4().hex[:12]}"
    admin_dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def app(empty_url, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_url, "SECRET_KEY": "test", "TESTING": True})
    app.instance_path = str(tmp_path / "instance")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # before the database is dropped


def revisions(url: str) -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


def head(url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def state(app) -> tuple[set[str], tuple[str, ...]]:
    """The tables the database holds and the revision(s) Alembic records."""
    with app.app_context(), db.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        current = MigrationContext.configure(conn).get_current_heads()
    return tables, tuple(current)


def schema(app) -> dict[str, dict]:
    """Columns, indexes, unique and foreign keys of every table, to compare two upgrades."""
    with app.app_context(), db.engine.connect() as conn:
        inspector = inspect(conn)
        return {table: {
            "columns": sorted((c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                              for i in inspector.get_indexes(table)),
            "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
            "foreign": sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]),
                               (f.get("options") or {}).get("ondelete"))
                              for f in inspector.get_foreign_keys(table)),
        } for table in sorted(inspector.get_table_names())}


def test_upgrade_from_empty_downgrade_to_base_and_upgrade_again(app, empty_url):
    assert state(app) == (set(), ())
    upgrade(app)
    assert state(app) == (OUR_TABLES | {"alembic_version"}, (head(empty_url),))
    first = schema(app)

    downgrade(app, "base")
    assert state(app) == ({"alembic_version"}, ())  # Alembic keeps its (now empty) version table

    upgrade(app)
    assert state(app) == (OUR_TABLES | {"alembic_version"}, (head(empty_url),))
    assert schema(app) == first


def test_every_revision_upgrades_and_downgrades_one_step_at_a_time(app, empty_url):
    """Up one revision at a time, then down one at a time: each step lands where it says."""
    steps = revisions(empty_url)
    assert steps[0] == "0001" and steps[-1] == head(empty_url)
    seen = []
    for revision in steps:
        upgrade(app, revision)
        tables, current = state(app)
        assert current == (revision,)
        seen.append(tables)
    assert seen[-1] == OUR_TABLES | {"alembic_version"}
    for revision, tables in reversed(list(zip(steps, seen))):
        assert state(app) == (tables, (revision,))
        downgrade(app, "-1")
    assert state(app) == ({"alembic_version"}, ())


# -- a database written under 0001, upgraded -----------------------------------------------------

def insert(conn, table: str, **values) -> int:
    """Raw SQL INSERT ... RETURNING id, with JSON and times bound by type as 0001's columns hold them."""
    types = {key: JSON() if isinstance(value, (dict, list)) else DateTime(timezone=True)
             for key, value in values.items() if isinstance(value, (dict, list, datetime))}
    statement = text(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)}) "
                     f"RETURNING id").bindparams(*[bindparam(key, type_=type_) for key, type_ in types.items()])
    return conn.execute(statement, values).scalar_one()


def write_under_0001(app) -> dict:
    """A site set with two questions (the first with a key fix, so two versions), a finished
    practice attempt with two answers, one to the older version, and an unfinished one."""
    sample = load_set(SAMPLE_SET, "sample.yaml").set
    label_q, choice_q = sample.questions[0], sample.questions[1]
    first_asked = dict(label_q.asks(), answer="opinion")  # the key as it was before the fix
    labels = [{"key": l.key, "name": l.name, "definition": l.definition} for l in STANDARD_LABELS.values()]
    with app.app_context(), db.engine.begin() as conn:
        set_id = insert(conn, "question_sets", slug="legacy", title="Written under 0001", summary="",
                        level=None, language="en", visibility="public", source=None, labels=labels,
                        standard_labels=True, article=[{"section": "News", "text": "Putin met envoys."}],
                        digest="d" * 64, origin="site", path="questions/legacy.yaml", hidden=False,
                        created_at=STARTED, updated_at=STARTED)
        met = insert(conn, "questions", set_id=set_id, key=label_q.id, position=0)
        which = insert(conn, "questions", set_id=set_id, key=choice_q.id, position=1)
        versions = {
            "met-1": insert(conn, "question_versions", question_id=met, number=1, type="label", asked=first_asked,
                            asked_hash=asked_hash(first_asked), feedback=label_q.feedback(), created_at=STARTED),
            "met-2": insert(conn, "question_versions", question_id=met, number=2, type="label",
                            asked=label_q.asks(), asked_hash=asked_hash(label_q.asks()), feedback=label_q.feedback(),
                            created_at=FINISHED),
            "which-1": insert(conn, "question_versions", question_id=which, number=1, type="choice",
                              asked=choice_q.asks(), asked_hash=asked_hash(choice_q.asks()),
                              feedback=choice_q.feedback(), created_at=STARTED),
        }
        finished = insert(conn, "attempts", set_id=set_id, practice_token="t" * 43, started_at=STARTED,
                          finished_at=FINISHED, points=1.0, possible=2)
        unfinished = insert(conn, "attempts", set_id=set_id, practice_token="u" * 43, started_at=FINISHED,
                            finished_at=None, points=None, possible=2)
        items = {
            "old": insert(conn, "attempt_items", attempt_id=finished, position=0, version_id=versions["met-1"],
                          option_order=None),
            "choice": insert(conn, "attempt_items", attempt_id=finished, position=1, version_id=versions["which-1"],
                             option_order=[1, 0]),
            "open": insert(conn, "attempt_items", attempt_id=unfinished, position=0, version_id=versions["met-2"],
                           option_order=None),
        }
        answers = {
            items["old"]: ("fact", 0.0, versions["met-1"]),  # wrong under the old key
            items["choice"]: (["a"], 1.0, versions["which-1"]),
        }
        for item_id, (response, points, _version) in answers.items():
            # a bare string is JSON too: bind it through the JSON type like the lists
            conn.execute(text("INSERT INTO answers (item_id, response, points, answered_at) "
                              "VALUES (:item_id, :response, :points, :answered_at)").bindparams(
                bindparam("response", type_=JSON()), bindparam("answered_at", type_=DateTime(timezone=True))),
                {"item_id": item_id, "response": response, "points": points, "answered_at": FINISHED})
    return {"set": set_id, "finished": finished, "unfinished": unfinished, "versions": versions,
            "items": items, "answers": answers}


def row_counts(app) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as conn:
        return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in TABLES_0001}


TABLES_0001 = ["question_sets", "questions", "question_versions", "attempts", "attempt_items", "answers"]


def test_upgrade_keeps_answers_written_under_0001(app, empty_url):
    upgrade(app, "0001")
    written = write_under_0001(app)
    expected = row_counts(app)
    assert expected == {"question_sets": 1, "questions": 2, "question_versions": 3, "attempts": 2,
                        "attempt_items": 3, "answers": 2}
    for revision in revisions(empty_url)[1:]:  # one step at a time, so a loss names its revision
        upgrade(app, revision)
        assert row_counts(app) == expected, f"rows lost upgrading to {revision}"
    assert state(app)[1] == (head(empty_url),)

    with app.app_context():
        stored = {a.item_id: a for a in db.session.scalars(select(models.Answer))}
        assert set(stored) == set(written["answers"])
        for item_id, (response, points, version_id) in written["answers"].items():
            answer = stored[item_id]
            assert (answer.response, answer.points, answer.item.version_id) == (response, points, version_id)
            assert answer.response_text == ""          # 0003's default for answers that predate it
            assert answer.label_choices == []          # 0003's rows are made for new answers only
            assert answer.answered_at.replace(tzinfo=answer.answered_at.tzinfo or timezone.utc) == FINISHED

        attempts = {a.id: a for a in db.session.scalars(select(models.Attempt))}
        assert set(attempts) == {written["finished"], written["unfinished"]}
        for attempt in attempts.values():
            assert (attempt.kind, attempt.feedback) == ("set", "immediate")  # 0002's defaults
            assert attempt.user_id is None and attempt.assignment_id is None
        finished = attempts[written["finished"]]
        assert (finished.points, finished.possible, finished.practice_token) == (1.0, 2, "t" * 43)
        assert attempts[written["unfinished"]].finished_at is None

        qset = db.session.get(models.QuestionSet, written["set"])
        assert qset.owner_id is None and qset.slug == "legacy" and qset.labels[0]["key"] == "fact"
        assert [len(q.versions) for q in qset.questions] == [2, 1]

        # the app reads the migrated rows as its own: the attempt loads and its questions parse
        loaded = load_attempt(db.session, written["finished"])
        assert [item.version_id for item in loaded.items] == [written["versions"]["met-1"],
                                                              written["versions"]["which-1"]]
        assert [item_question(item).type for item in loaded.items] == ["label", "choice"]
        assert loaded.items[1].option_order == [1, 0]
        db.session.remove()

    # and going back down to 0001 keeps them too
    downgrade(app, "0001")
    with app.app_context(), db.engine.connect() as conn:
        rows = conn.execute(text("SELECT item_id, points FROM answers ORDER BY item_id")).all()
        assert [tuple(r) for r in rows] == sorted((item, p) for item, (_r, p, _v) in written["answers"].items())


# -- the models against the migrated schema --------------------------------------------------------

# Differences between the models and a database built by the migrations that do no harm, each
# (kind, table, column). 0002 and 0003 add NOT NULL columns to tables that may already hold
# rows, so they give those columns a server default to fill the old rows; the models set the
# same values on the Python side (Attempt.kind/feedback, Answer.response_text) and never rely on
# the database's default. Keeping the server default is harmless and dropping it would need a
# migration of its own for no gain.
HARMLESS = {
    ("modify_default", "attempts", "kind"),
    ("modify_default", "attempts", "feedback"),
    ("modify_default", "answers", "response_text"),
}


def differences(app, metadata: MetaData) -> list:
    """What `alembic check` would report, compared as env.py does (types included) and, stricter,
    with server defaults compared too; minus the HARMLESS ones."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True,
                                                         "target_metadata": metadata})
        found = compare_metadata(context, metadata)

    def key(diff) -> tuple:
        # a column change is a list of tuples; a table/index/constraint change is one tuple
        if isinstance(diff, list):
            kind, _schema, table, column = diff[0][:4]
            return (kind, table, column)
        return (diff[0],)

    return [d for d in found if key(d) not in HARMLESS]


def test_models_match_the_migrated_schema(app):
    """A model changed without a migration shows here as a difference."""
    upgrade(app)
    assert differences(app, db.metadata) == []


def test_the_schema_comparison_would_see_a_model_change_without_a_migration(app):
    """The check above is live: a column, a table and a type change that no migration made are found."""
    upgrade(app)
    changed = MetaData()
    for table in db.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["users"].append_column(Column("nickname", String(40), nullable=True))
    changed.tables["classrooms"].c.name.type = String(200)
    Table("badges", changed, Column("id", Integer, primary_key=True), Column("shown", Boolean, nullable=False))
    kinds = set()
    for diff in differences(app, changed):
        kinds.add(diff[0][0] if isinstance(diff, list) else diff[0])
    assert {"add_column", "add_table", "modify_type"} <= kinds, kinds


# -- 0005: what the races of older releases left behind, and ids never reused ---------------------

def test_upgrade_settles_open_attempts_the_old_race_left_twice_and_keeps_their_answers(app, empty_url):
    """Before 0005 two Start clicks could leave a learner two open attempts at a set. Upgrading
    keeps the newest open, finishes an older one that holds answers (scored from them) and
    deletes an older one with none; the same for a practice token and for reset codes."""
    upgrade(app, "0001")
    written = write_under_0001(app)
    upgrade(app, "0004")
    version = written["versions"]["met-2"]
    with app.app_context(), db.engine.begin() as conn:
        learner = insert(conn, "users", username="twice", password_hash="!", role="learner", session_version=3,
                         created_at=STARTED)
        opened = [insert(conn, "attempts", set_id=written["set"], user_id=learner, kind="set", feedback="immediate",
                         started_at=STARTED, possible=1) for _n in range(3)]
        answered = insert(conn, "attempt_items", attempt_id=opened[0], position=0, version_id=version)
        conn.execute(text("INSERT INTO answers (item_id, response, response_text, points, answered_at) "
                          "VALUES (:item, :response, 'fact', 1.0, :at)").bindparams(
            bindparam("response", type_=JSON()), bindparam("at", type_=DateTime(timezone=True))),
            {"item": answered, "response": "fact", "at": FINISHED})
        insert(conn, "attempt_items", attempt_id=opened[1], position=0, version_id=version)
        practice_twin = insert(conn, "attempts", set_id=written["set"], practice_token="u" * 43, kind="set",
                               feedback="immediate", started_at=FINISHED, possible=1)
        codes = [insert(conn, "password_resets", user_id=learner, code_hash=str(n) * 64,
                        expires_at=FINISHED) for n in range(2)]
    answers_before = row_counts(app)["answers"]
    upgrade(app)
    with app.app_context(), db.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(text("SELECT id, finished_at, points FROM attempts")).all()}
        assert opened[1] not in rows and written["unfinished"] not in rows      # empty twins: gone
        assert rows[opened[0]].finished_at is not None and rows[opened[0]].points == 1.0
        assert rows[opened[2]].finished_at is None and rows[practice_twin].finished_at is None
        assert row_counts(app)["answers"] == answers_before
        assert conn.execute(text("SELECT count(*) FROM attempt_items WHERE attempt_id NOT IN "
                                 "(SELECT id FROM attempts)")).scalar_one() == 0
        assert [r.id for r in conn.execute(text("SELECT id FROM password_resets"))] == [codes[1]]
        keys = conn.execute(text("SELECT session_key FROM users")).scalars().all()
        assert len(keys) == 1 and len(keys[0]) >= 40


def test_ids_that_reach_a_url_or_a_cookie_are_never_reused(app):
    """SQLite hands the highest id out again once its row is deleted, unless the table is
    AUTOINCREMENT; a later batch rebuild that forgot table_kwargs would lose that, and show here."""
    upgrade(app)
    with app.app_context():
        def two(make):  # type: ignore[no-untyped-def]
            rows = [make(n) for n in range(2)]
            db.session.add_all(rows)
            db.session.flush()
            return rows

        sets = two(lambda n: models.QuestionSet(slug=f"s{n}", title="t", labels=[], digest="d"))
        people = two(lambda n: models.User(username=f"u{n}", password_hash="!"))
        classes = two(lambda n: models.Classroom(name=f"c{n}"))
        attempts = two(lambda n: models.Attempt(set_id=sets[0].id, practice_token=f"p{n}"))
        db.session.commit()
        gone = {type(rows[1]): rows[1].id for rows in (attempts, classes, people, sets)}
        for rows in (attempts, classes, people, sets):
            db.session.delete(rows[1])
            db.session.commit()
        again = [models.QuestionSet(slug="s9", title="t", labels=[], digest="d"), models.User(username="u9",
                 password_hash="!"), models.Classroom(name="c9")]
        db.session.add_all(again)
        db.session.flush()
        again.append(models.Attempt(set_id=sets[0].id, practice_token="p9"))
        db.session.add(again[-1])
        db.session.commit()
        for row in again:
            assert row.id > gone[type(row)], f"{type(row).__name__} id {row.id} used twice"
        db.session.remove()
