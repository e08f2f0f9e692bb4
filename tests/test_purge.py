"""Week-old practice attempts go away on their own, whichever server runs the app.

Practice attempts belong to nobody, so DESIGN.md keeps them 7 days. The app clears them about
hourly in each server process after a response has gone out (no cron, no `quiz serve` needed);
`quiz purge` does the same for cron (tested in test_cli.py).
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select

from quiz import models
from quiz.db import db
from quiz.importer import import_paths

from support import ROOT


def practice_attempts(app, days_old: float) -> int:
    with app.app_context():
        import_paths(db.session, [str(ROOT / "questions")])
        set_id = db.session.scalar(select(models.QuestionSet.id).limit(1))
        attempt = models.Attempt(set_id=set_id, practice_token=secrets.token_hex(16), feedback="immediate", possible=1,
                                 started_at=models.utcnow() - timedelta(days=days_old))
        db.session.add(attempt)
        db.session.commit()
        return attempt.id


def attempt_exists(app, attempt_id: int) -> bool:
    with app.app_context():
        found = db.session.scalar(select(func.count(models.Attempt.id)).where(models.Attempt.id == attempt_id))
        db.session.remove()
        return bool(found)


def test_any_page_view_clears_week_old_practice_without_a_new_practice(app):
    old = practice_attempts(app, days_old=8)
    recent = practice_attempts(app, days_old=6)
    response = app.test_client().get("/healthz")
    response.close()  # the purge runs once the response has gone out
    assert not attempt_exists(app, old)
    assert attempt_exists(app, recent)


def test_the_purge_runs_at_most_once_an_hour_per_process(app):
    app.test_client().get("/healthz").close()  # the first request of a process purges
    old = practice_attempts(app, days_old=8)
    app.test_client().get("/healthz").close()
    assert attempt_exists(app, old), "purged again within the hour"
    app.config["PURGE_EVERY_SECONDS"] = 0
    app.extensions["quiz_purge"]["due"] = 0.0
    app.test_client().get("/healthz").close()
    assert not attempt_exists(app, old)
