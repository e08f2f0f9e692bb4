"""quiz.db.Prepared: the reads every learner request makes, sent straight to the driver, must give
what SQLAlchemy's own execute gives, see a transaction's own writes, and survive a lost connection."""
from __future__ import annotations

from sqlalchemy import create_engine, select, text
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
    assert post_form(client, url, {"position": "0", "label": "fact"}).status_code == 302
    assert post_form(client, url, {}, action=f"{url}finish").status_code == 302
    return client, int(url.strip("/").split("/")[-1])


def test_prepared_rows_are_what_sqlalchemy_gives(app, make_class, sample_set):
    _client, attempt_id = answered_attempt(app, make_class, sample_set)
    with app.app_context():
        key = db.session.scalar(select(models.User.session_key).where(models.User.username == "amira"))
        for one_item, parameters in ((False, {}), (True, {"position": 0})):
            prepared = attempts.attempt_state_query(one_item)
            parameters = {"attempt_id": attempt_id, "session_key": key, **parameters}
            expected = [tuple(row) for row in db.session.connection().execute(prepared.statement, parameters)]
            db.session.rollback()
            with reading():
                got = prepared.rows(db.session, parameters)
            assert got == expected
            assert [type(value) for value in got[0]] == [type(value) for value in expected[0]]
        first = got[0]
        assert first[4] is not None and first[12] is True and first[14] == 1.0   # finished, answered, points
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


def test_a_dropped_connection_costs_no_request(app, make_class, sample_set, db_url):
    """The database drops the app's connection (a restart, a failover): the read that finds it
    dead discards it and is made again on a new one, so the learner's page still comes."""
    client, attempt_id = answered_attempt(app, make_class, sample_set)
    review = f"/attempts/{attempt_id}/"
    assert client.get(review).status_code == 302   # finished: sent to the review
    if not db_url.startswith("postgresql"):
        return   # SQLite has no server to drop connections
    outside = create_engine(db_url, poolclass=NullPool)   # not one of the app's connections
    with outside.connect() as other:
        dropped = other.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    outside.dispose()
    assert dropped >= 1   # the app's pooled connection

    def status() -> int:
        try:
            return client.get(review).status_code
        except Exception:  # noqa: BLE001 - the test app lets a server error through: it is a 500
            return 500
    assert [status() for _ in range(3)] == [302, 302, 302]
