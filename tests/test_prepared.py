"""quiz.db.Prepared and direct_write: the reads and the answer every learner request makes, sent
straight to the driver, must give and store what SQLAlchemy's own execute would, see a
transaction's own writes, and survive connections the database dropped."""
from __future__ import annotations

import re

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from quiz import attempts, models
from quiz.db import db, reading, writing
from quiz.security import signed_in_query

from support import join_as, post_form


def answered_attempt(app, make_class, sample_set):  # type: ignore[no-untyped-def]
    """A learner who answered the first question and finished the attempt: every column the
    attempt's query reads has a value (a finished time, an answer's response and points)."""
    make_class(assign=sample_set)
    client = app.test_client()
    assert join_as(client, "amira").status_code == 302
    url = post_form(client, "/sets/sample/", {}, action="/sets/sample/start").headers["Location"].split("?")[0]
    assert post_form(client, url, {"position": "0", "label": "fact"}).status_code == 200
    assert post_form(client, url, {}, action=f"{url}finish").status_code == 302
    return client, int(url.strip("/").split("/")[-1])


def test_prepared_rows_are_what_sqlalchemy_gives(app, make_class, sample_set):
    _client, attempt_id = answered_attempt(app, make_class, sample_set)
    with app.app_context():
        key = db.session.scalar(select(models.User.session_key).where(models.User.username == "amira"))
        prepared = attempts.attempt_state_query()
        parameters = {"attempt_id": attempt_id, "session_key": key}
        expected = [tuple(row) for row in db.session.connection().execute(prepared.statement, parameters)]
        db.session.rollback()
        with reading():
            got = prepared.rows(db.session, parameters)
        assert got == expected
        assert [type(value) for value in got[0]] == [type(value) for value in expected[0]]
        first = got[0]
        assert first[4] is not None and first[8] == "amira"   # finished; the owner, signed in
        assert first[12] and len(first) == 14   # the set's digest; a mistakes attempt's item sets come apart
        items = sorted(first[13], key=lambda item: item[1])   # the items, as one JSON value
        assert len(items) == 4 and items[0][4] and items[0][6] == 1.0 and not items[1][4]   # answered, points
        state = attempts.attempt_state(db.session, attempt_id, key)
        assert [item.position for item in state.items] == [0, 1, 2, 3]
        assert state.items[0].answer == attempts.GivenAnswer("fact", 1.0) and state.items[1].answer is None
        with reading():
            assert signed_in_query().rows(db.session, {"session_key": key})[0][1] == "amira"
            assert signed_in_query().rows(db.session, {"session_key": "no-such-key"}) == []


def test_inside_a_transaction_prepared_reads_see_its_writes(app, make_class, sample_set):
    with app.app_context():
        with writing():
            db.session.add(models.User(username="newcomer", password_hash="x", role="learner", session_key="k" * 32))
            db.session.flush()
            rows = signed_in_query().rows(db.session, {"session_key": "k" * 32})
            db.session.rollback()
        assert [row[1] for row in rows] == ["newcomer"]
        with reading():
            assert signed_in_query().rows(db.session, {"session_key": "k" * 32}) == []


def test_dropped_connections_cost_no_page_and_no_answer(app, make_class, sample_set, db_url):
    """The database drops every connection (a restart, a failover) while the pool holds several:
    the read or write that finds its connection dead discards it and the pool's other idle ones,
    and is made again on a new connection, so the learner's page comes and the answer is stored."""
    make_class(assign=sample_set)
    client = app.test_client()
    assert join_as(client, "amira").status_code == 302
    url = post_form(client, "/sets/sample/", {}, action="/sets/sample/start").headers["Location"].split("?")[0]
    assert post_form(client, url, {"position": "0", "label": "fact"}).status_code == 200
    if db_url.startswith("postgresql"):
        with app.app_context():
            held = [db.engine.connect() for _ in range(3)]   # three idle connections in the pool after this
            for connection in held:
                connection.execute(text("SELECT 1"))
            for connection in held:
                connection.close()
        assert drop_connections(db_url) >= 3

    page = client.get(url)   # the attempt's Prepared read
    assert page.status_code == 200 and "Question 2 of 4" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    drop_connections(db_url)   # and once more for the answer
    stored = client.post(url, data={"csrf_token": token, "position": "1", "option": "a"})
    assert stored.status_code == 200 and 'id="feedback"' in stored.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(models.Answer.id))) == 2
        # the write itself finding its connection dead (above, the request's read found it first)
        item = db.session.scalar(select(models.AttemptItem).where(models.AttemptItem.position == 2))
        question, attempt_id = attempts.item_question(item), item.attempt_id
        db.session.close()
        drop_connections(db_url)
        assert attempts.answer_now(db.session, attempt_id, item.id, question, ["3"])
        assert db.session.scalar(select(func.count(models.Answer.id))) == 3


def drop_connections(db_url: str) -> int:
    """Has PostgreSQL end every connection to the test database but the one asking (none on
    SQLite, which has no server); how many it ended."""
    if not db_url.startswith("postgresql"):
        return 0
    outside = create_engine(db_url, poolclass=NullPool)   # not one of the app's connections
    with outside.connect() as other:
        dropped = other.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    outside.dispose()
    return int(dropped)


def test_an_answer_stored_straight_is_stored_as_sqlalchemy_stores_it(app, sample_set):
    """`answer_now` (the learner's answer, sent straight to the driver) and `record_answer`
    (SQLAlchemy, inside a caller's transaction) write the same answer alike: the same response
    JSON, points, text, label choices, and a time SQLAlchemy reads back as it wrote it."""
    sort_answer = ["fact", "commentary"]   # the sample set's sort question (position 3): two choices
    with app.app_context():
        qset = db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == sample_set))
        first = attempts.start_attempt(db.session, qset, practice_token="a" * 43)
        second = attempts.start_attempt(db.session, qset, practice_token="b" * 43)
        db.session.commit()
        items = [next(i for i in a.items if i.position == 3) for a in (first, second)]
        question = attempts.item_question(items[0])
        assert question.type == "sort"
        ids = [(a.id, i.id) for a, i in zip((first, second), items)]
        db.session.close()

        assert attempts.answer_now(db.session, *ids[0], question, sort_answer)
        assert not attempts.answer_now(db.session, *ids[0], question, ["opinion", "opinion"])  # the first is kept
        with writing():
            assert attempts.record_answer(db.session, *ids[1], question, sort_answer)
            db.session.commit()

        def stored(item_id: int) -> tuple:  # type: ignore[type-arg]
            row = db.session.execute(text("SELECT id, CAST(response AS TEXT), points, response_text, "
                                          "CAST(answered_at AS TEXT) FROM answers WHERE item_id = :i"),
                                     {"i": item_id}).one()
            choices = db.session.execute(text('SELECT part, expected, chosen, "right" FROM label_choices '
                                              "WHERE answer_id = :a ORDER BY part"), {"a": row[0]}).all()
            # SQLite keeps the time as text, whose form SQLAlchemy must read back (PostgreSQL's
            # column is typed; its text form drops trailing zeros of the microseconds)
            shape = re.sub(r"\d", "9", row[4]) if db.engine.dialect.name == "sqlite" else None
            return row[1:4], shape, [tuple(c) for c in choices]

        direct, through_sqlalchemy = stored(items[0].id), stored(items[1].id)
        assert direct == through_sqlalchemy
        assert len(direct[2]) == 2
        times = [db.session.get(models.Answer, db.session.scalar(select(models.Answer.id).where(
            models.Answer.item_id == item.id))).answered_at for item in items]
        assert all(t is not None for t in times)
        assert abs((times[0].replace(tzinfo=None) - times[1].replace(tzinfo=None)).total_seconds()) < 60
        assert times[0].tzinfo == times[1].tzinfo


def test_an_answer_to_a_finished_attempt_is_not_stored_straight(app, sample_set):
    with app.app_context():
        qset = db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == sample_set))
        attempt = attempts.start_attempt(db.session, qset, practice_token="c" * 43)
        db.session.commit()
        item = next(i for i in attempt.items if i.position == 0)
        question = attempts.item_question(item)
        with writing():
            attempts.finish_attempt(db.session, attempt)
            db.session.commit()
        assert not attempts.answer_now(db.session, attempt.id, item.id, question, "fact")
        assert db.session.scalar(select(models.Answer.id).where(models.Answer.item_id == item.id)) is None
