"""Exports of a big class, on both databases: streamed, so memory stays flat and the header leaves first."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from quiz import models
from quiz.db import db

from support import ROOT

LEARNERS, ATTEMPTS_EACH = 500, 100  # x 4 questions of the sample set: 200,000 answers
PEAK_MB = 250

MEASURE = """
import resource, sys
from quiz import create_app


def peak_mb():
    # VmHWM: this process's own peak. ru_maxrss would also count the test process it was forked
    # from, whose peak Linux carries across exec.
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) // 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


url, class_id, kind, how = sys.argv[1:5]
if how == "web":
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "teacher", "password": "teacher-password"}).status_code == 302
    response = client.get(f"/teach/classes/{class_id}/{kind}.csv", buffered=False)
    assert response.status_code == 200, response.status_code
    chunks = response.response
else:
    from quiz.cli import main
    main(args=["export", class_id, kind, "-o", "export.csv"], standalone_mode=False)
    chunks = [open("export.csv", "rb").read()]  # the file, read after the peak was measured below
peak_before_reading = peak_mb()
first, lines = None, 0
for chunk in chunks:
    first = first if first is not None else bytes(chunk)
    lines += chunk.count(b"\\n")
peak = peak_before_reading if how == "cli" else peak_mb()
print(lines, peak, first.decode("utf-8").splitlines()[0] if how == "web" else "")
"""


def fill_class(app, class_id: int) -> None:
    """500 learners in the class, each with 100 finished attempts of 4 answers, by Core bulk inserts."""
    start = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    with app.app_context():
        qset = db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == "sample"))
        assignment_id = db.session.scalar(select(models.Assignment.id).where(models.Assignment.classroom_id == class_id))
        versions = [q.current.id for q in qset.current_questions]
        base = 1000  # ids of our own, clear of the rows the fixtures made
        users = [{"id": base + n, "username": f"learner{n:04d}", "password_hash": "-", "role": "learner"}
                 for n in range(LEARNERS)]
        db.session.execute(insert(models.User), users)
        db.session.execute(insert(models.Membership), [{"classroom_id": class_id, "user_id": u["id"]} for u in users])
        attempts, items, answers = [], [], []
        for n in range(LEARNERS * ATTEMPTS_EACH):
            when = start + timedelta(minutes=n)
            attempts.append({"id": base + n, "set_id": qset.id, "user_id": base + n // ATTEMPTS_EACH,
                             "assignment_id": assignment_id, "kind": "set", "feedback": "immediate",
                             "started_at": when, "finished_at": when, "points": 2.5, "possible": 4})
            for position, version_id in enumerate(versions):
                item_id = base + n * 4 + position
                items.append({"id": item_id, "attempt_id": base + n, "position": position, "version_id": version_id})
                answers.append({"id": item_id, "item_id": item_id, "response": {"label": "fact"},
                                "response_text": "=fact", "points": 0.5, "answered_at": when})
        for table, rows in ((models.Attempt, attempts), (models.AttemptItem, items), (models.Answer, answers)):
            for at in range(0, len(rows), 20_000):
                db.session.execute(insert(table), rows[at:at + 20_000])
        db.session.commit()


def export_peak(db_url: str, class_id: int, kind: str, how: str, cwd) -> tuple[int, int, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATABASE_URL=db_url, SECRET_KEY="test")
    result = subprocess.run([sys.executable, "-c", MEASURE, db_url, str(class_id), kind, how], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines, peak_mb, first_line = result.stdout.split(" ", 2)
    return int(lines), int(peak_mb), first_line.strip()


def test_exporting_200000_answers_streams_in_flat_memory(app, db_url, sample_set, make_class, tmp_path):
    class_id = make_class(assign="sample")
    fill_class(app, class_id)
    with app.app_context():
        db.engine.dispose()
    lines, peak, first_line = export_peak(db_url, class_id, "responses", "web", tmp_path)
    assert lines == 1 + LEARNERS * ATTEMPTS_EACH * 4
    assert first_line == "\ufefflearner,set,question,version,type,given answer,right answer,score,time"
    assert peak < PEAK_MB, f"the web export of 200,000 answers peaked at {peak} MB"
    lines, peak, _ = export_peak(db_url, class_id, "responses", "cli", tmp_path)
    assert lines == 1 + LEARNERS * ATTEMPTS_EACH * 4
    assert peak < PEAK_MB, f"quiz export of 200,000 answers peaked at {peak} MB"
    exported = (tmp_path / "export.csv").read_text(encoding="utf-8").splitlines()
    assert exported[1].startswith("learner0000,sample,met,1,label,'=fact,fact,0.5,2026-01-05T09:00:00Z")
    lines, peak, _ = export_peak(db_url, class_id, "results", "web", tmp_path)
    assert lines == 1 + LEARNERS * ATTEMPTS_EACH and peak < PEAK_MB, f"results.csv peaked at {peak} MB"
