"""one unfinished attempt, ids never reused, a session key per account

Revision ID: 0005_integrity_a
Revises: 0004

- attempts: at most one unfinished attempt per learner and set, per practice token and set,
  and per learner at their mistakes (partial unique indexes). Duplicates the old race left
  behind are settled first: empty ones deleted, the others finished and scored from their
  answers as the app would, so no answer is lost.
- password_resets: at most one unused code per learner (older duplicates are deleted).
- classrooms.form_key: the same "create class" form sent twice makes one class.
- users.session_key replaces users.session_version: the session cookie holds a random key,
  never the row id.
- SQLite: users, classrooms, attempts and question_sets become AUTOINCREMENT, so an id that
  reached a URL or a cookie is never given to a new row (a batch rebuild; quiz.migrate turns
  foreign keys off meanwhile so the rebuild cascades into nothing).
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005_integrity_a"
down_revision = "0004"
branch_labels = None
depends_on = None

NEVER_REUSED = ["question_sets", "users", "classrooms", "attempts"]
OPEN_ATTEMPTS = [  # index, the owner's columns, the kind of attempt (None: any)
    ("uq_attempts_open_set", ["user_id", "set_id"], "set"),
    ("uq_attempts_open_practice", ["practice_token", "set_id"], None),
    ("uq_attempts_open_mistakes", ["user_id"], "mistakes"),
]


def open_where(kind):  # type: ignore[no-untyped-def]
    return "finished_at IS NULL" + (f" AND kind = '{kind}'" if kind else "")


def partial_unique(name, table, columns, where):
    op.create_index(name, table, columns, unique=True, sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def settle_duplicate_open_attempts() -> None:
    """Keeps the newest unfinished attempt of each owner and set; of the older ones, those with
    no answer are deleted (twins of the old race) and the rest finished, scored from their answers."""
    attempts = sa.table("attempts", *(sa.column(c) for c in (
        "id", "user_id", "set_id", "practice_token", "kind", "started_at", "finished_at", "points")))
    items = sa.table("attempt_items", sa.column("id"), sa.column("attempt_id"))
    answers = sa.table("answers", sa.column("item_id"), sa.column("points"))
    bind = op.get_bind()

    def answers_of(attempt, what=lambda a: a.c.points):  # type: ignore[no-untyped-def]
        i, a = items.alias("i"), answers.alias("a")
        return sa.select(what(a)).select_from(i.join(a, a.c.item_id == i.c.id)).where(i.c.attempt_id == attempt.c.id)

    for _name, columns, kind in OPEN_ATTEMPTS:
        def is_open(t):  # type: ignore[no-untyped-def]
            return sa.and_(t.c.finished_at.is_(None), *([t.c.kind == kind] if kind else []))

        def older(t):  # type: ignore[no-untyped-def]
            newer = attempts.alias("newer")
            return sa.and_(is_open(t), *(t.c[c].is_not(None) for c in columns), sa.exists().where(
                *(newer.c[c] == t.c[c] for c in columns), newer.c.id > t.c.id, is_open(newer)))

        old = attempts.alias("old")
        empty = sa.select(old.c.id).where(older(old), ~answers_of(old).exists())
        # foreign keys are off during SQLite migrations: the items go by hand, not by cascade
        bind.execute(items.delete().where(items.c.attempt_id.in_(empty)))
        bind.execute(attempts.delete().where(attempts.c.id.in_(empty)))
        total = answers_of(attempts, lambda a: sa.func.coalesce(sa.func.sum(a.c.points), 0)).scalar_subquery()
        bind.execute(attempts.update().where(older(attempts)).values(finished_at=attempts.c.started_at, points=total))


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("classrooms") as batch:
        batch.add_column(sa.Column("form_key", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_classrooms_form_key", ["form_key"])

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_key", sa.String(length=64), nullable=True))
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("session_key", sa.String))
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(users.update().where(users.c.id == user_id).values(session_key=secrets.token_urlsafe(32)))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("session_key", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint("uq_users_session_key", ["session_key"])
        batch.drop_column("session_version")

    # Last of the table rebuilds: SQLite's reflection does not see AUTOINCREMENT, so any later
    # batch rebuild of these tables must pass table_kwargs={"sqlite_autoincrement": True} again
    # (tests/test_migrations.py checks the schema the migrations leave).
    if sqlite():
        for table in NEVER_REUSED:
            with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
                pass

    settle_duplicate_open_attempts()
    for name, columns, kind in OPEN_ATTEMPTS:
        partial_unique(name, "attempts", columns, open_where(kind))
    op.execute("DELETE FROM password_resets WHERE used_at IS NULL AND EXISTS (SELECT 1 FROM password_resets newer "
               "WHERE newer.user_id = password_resets.user_id AND newer.used_at IS NULL "
               "AND newer.id > password_resets.id)")
    partial_unique("uq_password_resets_unused", "password_resets", ["user_id"], "used_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("session_version", existing_type=sa.Integer(), server_default=None)
        batch.drop_constraint("uq_users_session_key", type_="unique")
        batch.drop_column("session_key")
    with op.batch_alter_table("classrooms") as batch:
        batch.drop_constraint("uq_classrooms_form_key", type_="unique")
        batch.drop_column("form_key")
    op.drop_index("uq_password_resets_unused", table_name="password_resets")
    for name, _columns, _kind in OPEN_ATTEMPTS:
        op.drop_index(name, table_name="attempts")
    if sqlite():
        for table in NEVER_REUSED:
            with op.batch_alter_table(table, recreate="always"):
                pass
