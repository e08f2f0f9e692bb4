"""The set report's running counts against the report counted from scratch, on both databases.

Real sequences (learners joining, several attempts each with partial credit, best / last /
first, a learner removed and restored, the policy switched, an account deleted, a regrade)
go through the service functions and the pages; after each step the report the page reads
from the running counts must show what the report counted from the answers shows.
"""
from __future__ import annotations

import io
import itertools
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from quiz import accounts, models, privacy, report_counts
from quiz import attempts as service
from quiz.db import db, writing
from quiz.importer import import_paths
from quiz.reports import set_report_from_scratch
from quiz.scoring import percent
from quiz.sets.text import words

from support import csrf_token, make_classroom, post_form

COUNTS_SET = """\
format: 1
id: counts
title: Running counts
questions:
  - {id: met, type: label, statement: "Putin met the envoys.", answer: fact, why: "Step 3: on the record."}
  - {id: guess, type: label, statement: "It seems he wants it all.", answer: commentary, accept: [opinion],
     why: "Step 2: a guess at intent."}
  - id: which
    type: choice
    prompt: "Which sentences judge?"
    options: ["What a charade.", "Putin met the envoys.", "This is ridiculous."]
    answer: [a, c]
    why: "Step 1: loaded words."
  - id: staged
    type: spot
    statement: "This whole thing feels staged, like a carefully choreographed performance."
    answer: ["feels staged", "carefully choreographed performance"]
    why: "Step 1: 'staged' mocks the talks."
  - id: passage
    type: sort
    items:
      - {text: "Putin met the envoys.", answer: fact, why: "Step 3: on the record."}
      - {text: "It seems he wants it all.", answer: commentary, why: "Step 2: a guess at intent."}
      - {text: "What a charade.", answer: opinion, accept: [commentary], why: "Step 1: a loaded word."}
"""
LABELS = ["fact", "commentary", "opinion"]
SPOT_WORDS = len(words("This whole thing feels staged, like a carefully choreographed performance."))
# one response strategy per question, in file order; None leaves the question unanswered
RESPONSES = st.tuples(
    st.none() | st.sampled_from(LABELS),
    st.none() | st.sampled_from(LABELS),
    st.none() | st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True).map(sorted),
    st.none() | st.lists(st.integers(0, SPOT_WORDS - 1), max_size=SPOT_WORDS, unique=True).map(sorted),
    st.none() | st.lists(st.sampled_from(LABELS), min_size=3, max_size=3),
)
LEARNERS = 6
ATTEMPT = st.tuples(st.just("attempt"), st.integers(0, LEARNERS - 1), RESPONSES, st.booleans())
STEPS = st.lists(st.one_of(
    ATTEMPT, ATTEMPT, ATTEMPT,   # mostly attempts: three in seven steps
    st.tuples(st.just("remove"), st.integers(0, LEARNERS - 1)),
    st.tuples(st.just("restore"), st.integers(0, LEARNERS - 1)),
    st.tuples(st.just("policy"), st.sampled_from(["best", "last", "first"])),
    st.tuples(st.just("delete"), st.integers(0, LEARNERS - 1)),
), min_size=1, max_size=16)


def shown(report) -> dict:  # type: ignore[no-untyped-def]
    """What the page shows of a report: counts exactly, percentages as the page rounds them, other
    figures to far beyond the two places it prints."""
    def close(value):  # type: ignore[no-untyped-def]
        return None if value is None else pytest.approx(value, abs=1e-9)

    return {
        "learners": report.learners, "mean": report.mean_percent, "distribution": report.distribution,
        "questions": [(s.question.key, s.answered, percent(s.facility, 1), close(s.discrimination), s.wrong_answer,
                       s.wrong_version_id, None if s.wrong_share is None else percent(s.wrong_share, 1))
                      for s in report.questions],
        "matrix": report.matrix, "row_totals": report.row_totals,
        "reliability": close(report.reliability), "note": report.reliability_note,
        "confusion": report.largest_confusion and (*report.largest_confusion[:2], percent(report.largest_confusion[2], 1)),
    }


def assert_counts_agree(assignment_id: int) -> models.Assignment:
    """The report from the running counts (rebuilt first if they were dropped, as the page
    does) shows what the report counted from scratch shows."""
    assignment = db.session.get(models.Assignment, assignment_id, populate_existing=True)
    with writing():
        running = report_counts.set_report(db.session, assignment)
        db.session.commit()
    assert shown(running) == shown(set_report_from_scratch(db.session, assignment))
    return assignment


@pytest.fixture
def counts_set(app, tmp_path):
    path = tmp_path / "counts.yaml"
    path.write_text(COUNTS_SET, encoding="utf-8")
    with app.app_context():
        assert import_paths(db.session, [path]).new
    return "counts"


def take(assignment: models.Assignment, user: models.User, responses, finish: bool = True) -> None:  # type: ignore[no-untyped-def]
    """The learner starts (or resumes) an attempt, answers as given, and finishes it if asked."""
    with writing():
        attempt = service.start_attempt(db.session, assignment.question_set, user=user, assignment=assignment)
        by_question = dict(zip(["met", "guess", "which", "staged", "passage"], responses))
        for item in attempt.items:
            response = by_question[item.version.question.key]
            if response is not None:
                service.record_answer(db.session, attempt.id, item.id, service.item_question(item), response)
        if finish:
            service.finish_attempt(db.session, attempt)
        db.session.commit()


classes = itertools.count(1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_running_counts_show_what_counting_from_scratch_shows(app, counts_set, steps):
    number = next(classes)
    class_id = make_classroom(app, name=f"Class {number}", code=f"RC{number:06d}", assign=counts_set)
    with app.app_context():
        assignment_id = db.session.scalar(select(models.Assignment.id)
                                          .where(models.Assignment.classroom_id == class_id))
        learners: dict[int, int] = {}
        made = itertools.count()
        assert_counts_agree(assignment_id)
        for step in steps:
            assignment = db.session.get(models.Assignment, assignment_id, populate_existing=True)
            kind, *args = step
            if kind == "attempt":
                index, responses, finish = args
                if index not in learners:   # a learner joins the class
                    user = accounts.create_user(db.session, f"c{number}-{next(made)}", "learner-password")
                    db.session.add(models.Membership(classroom_id=class_id, user_id=user.id))
                    db.session.commit()
                    learners[index] = user.id
                take(assignment, db.session.get(models.User, learners[index]), responses, finish)
                # a finish counts into the running counts: nothing makes the next report recount
                assert db.session.get(models.Assignment, assignment_id, populate_existing=True).report_built
            elif kind in ("remove", "restore") and args[0] in learners:
                membership = db.session.get(models.Membership, (class_id, learners[args[0]]))
                with writing():
                    if kind == "remove":
                        accounts.remove_from_class(db.session, membership)
                    else:   # no page restores a learner yet; one that does must drop the counts the same way
                        membership.removed_at = None
                        report_counts.forget(db.session, models.Assignment.classroom_id == class_id)
                    db.session.commit()
            elif kind == "policy":
                with writing():   # as the settings page does (tested below): drops the counts
                    assignment = db.session.get(models.Assignment, assignment_id)
                    if assignment.counts != args[0]:
                        assignment.counts = args[0]
                        report_counts.forget(db.session, models.Assignment.id == assignment_id)
                    db.session.commit()
            elif kind == "delete" and args[0] in learners:
                with writing():
                    privacy.delete_person(db.session, db.session.get(models.User, learners.pop(args[0])))
                    db.session.commit()
            assert_counts_agree(assignment_id)


def sign_in(app, username: str, password: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert post_form(client, "/login", {"username": username, "password": password}).status_code == 302
    return client


def test_the_pages_keep_the_counts_through_policy_removal_regrade_and_deletion(app, counts_set, tmp_path, runner):
    """The same through the pages and the command line: learners join and take the set over HTTP,
    the teacher reads the report, switches the policy, removes a learner, fixes a key and
    regrades; an administrator deletes an account."""
    class_id = make_classroom(app, assign=counts_set)
    teacher = sign_in(app, "teacher", "teacher-password")
    report_url = f"/teach/classes/{class_id}/sets/counts/"
    with app.app_context():
        assignment_id = db.session.scalar(select(models.Assignment.id))
    answers = {   # per learner, attempts as form fields: right, half right, wrong
        "ana": [[{"label": "fact"}, {"label": "opinion"}, {"option": ["a", "c"]}, {"word": ["3", "4"]},
                 {"item-0": "fact", "item-1": "commentary", "item-2": "opinion"}],
                [{"label": "commentary"}, {"label": "commentary"}, {"option": ["a"]}, {"word": ["3", "4", "7"]},
                 {"item-0": "fact", "item-1": "fact", "item-2": "commentary"}]],
        "ben": [[{"label": "opinion"}, {"label": "fact"}, {"option": ["b"]}, {"word": []},
                 {"item-0": "opinion", "item-1": "fact", "item-2": "fact"}]],
        "cai": [[{"label": "fact"}, {"label": "commentary"}, {"option": ["a", "b", "c"]}, {"word": ["0", "4"]},
                 {"item-0": "commentary", "item-1": "commentary", "item-2": "commentary"}],
                [{"label": "fact"}, {"label": "commentary"}, {"option": ["c"]}, {"word": ["3", "4", "7", "8", "9"]},
                 {"item-0": "fact", "item-1": "commentary", "item-2": "opinion"}]],
    }
    learners = {}
    for name, attempts in answers.items():
        learner = app.test_client()
        post_form(learner, "/join", {"code": "K7QXM2PA", "username": name, "password": "learner-password",
                                     "confirm": "learner-password"})
        learners[name] = learner
        for fields in attempts:
            start = post_form(learner, "/sets/counts/", {}, action="/sets/counts/start")
            url = start.headers["Location"].split("?")[0]
            for position, data in enumerate(fields):
                post_form(learner, url, {"position": str(position), **data})
            post_form(learner, url, {}, action=url + "finish")
        assert teacher.get(report_url).status_code == 200
        with app.app_context():
            assert_counts_agree(assignment_id)

    settings_url = f"/teach/classes/{class_id}/assignments/{assignment_id}/"
    for policy in ("last", "first", "best"):
        post_form(teacher, settings_url, {"set_id": "counts", "feedback": "immediate", "counts": policy})
        with app.app_context():
            assert not db.session.get(models.Assignment, assignment_id).report_built   # dropped
        assert f"counts the {policy} attempt" in teacher.get(report_url).get_data(as_text=True)
        with app.app_context():
            assert assert_counts_agree(assignment_id).counts == policy

    with app.app_context():
        ben = accounts.find_user(db.session, "ben").id
    post_form(teacher, f"/teach/classes/{class_id}/learners/{ben}/remove", {})
    assert "2 learners' counted attempts" in teacher.get(report_url).get_data(as_text=True)
    with app.app_context():
        assert assert_counts_agree(assignment_id).report_built

    # a key fix: "met" was keyed opinion, the fix says fact; regrading moves answers to the new version
    wrong_key = COUNTS_SET.replace("id: counts", "id: keyed").replace(
        'answer: fact, why: "Step 3: on the record."}\n  - {id: guess', 'answer: opinion, why: "Step 3."}\n  - {id: guess')
    upload = lambda text: teacher.post(  # noqa: E731
        "/teach/sets/", data={"csrf_token": csrf_token(teacher, "/teach/sets/"),
                              "file": (io.BytesIO(text.encode()), "keyed.yaml")}, content_type="multipart/form-data")
    upload(wrong_key)
    keyed_class = make_classroom(app, name="Keyed", code="KEYED234", assign="keyed")
    with app.app_context():
        keyed = db.session.scalar(select(models.Assignment.id).where(models.Assignment.classroom_id == keyed_class))
    for name in ("ana", "cai"):
        post_form(learners[name], "/join", {"code": "KEYED234"})
        start = post_form(learners[name], "/sets/keyed/", {}, action="/sets/keyed/start")
        url = start.headers["Location"].split("?")[0]
        for position, data in enumerate(answers[name][0]):
            post_form(learners[name], url, {"position": str(position), **data})
        post_form(learners[name], url, {}, action=url + "finish")
    keyed_url = f"/teach/classes/{keyed_class}/sets/keyed/"
    assert teacher.get(keyed_url).status_code == 200
    upload(wrong_key.replace("answer: opinion, why", "answer: fact, why"))
    post_form(teacher, "/teach/sets/keyed/", {}, action="/teach/sets/keyed/regrade")
    with app.app_context():
        assert not db.session.get(models.Assignment, keyed).report_built
    assert teacher.get(keyed_url).status_code == 200
    with app.app_context():
        assert_counts_agree(keyed)

    result = runner.invoke(args=["learner", "delete", "cai", "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():   # the counts that held cai's attempts are gone, not only marked stale
        assert not db.session.scalars(select(models.ReportQuestion.assignment_id).where(
            models.ReportQuestion.assignment_id.in_([assignment_id, keyed]))).all()
    for url, ident in ((report_url, assignment_id), (keyed_url, keyed)):
        assert teacher.get(url).status_code == 200
        with app.app_context():
            assert assert_counts_agree(ident).report_built


def test_finishes_racing_a_rebuild_are_each_counted_once(app, counts_set):
    """Learners finish while the teacher's report rebuilds dropped counts: every finish is in the
    counts, whichever came first (on PostgreSQL the assignment's row lock orders them)."""
    class_id = make_classroom(app, assign=counts_set)
    with app.app_context():
        assignment = db.session.scalar(select(models.Assignment))
        assignment_id, users = assignment.id, []
        for n in range(8):
            user = accounts.create_user(db.session, f"racer{n}", "learner-password")
            db.session.add(models.Membership(classroom_id=class_id, user_id=user.id))
            users.append(user.id)
        db.session.commit()
    responses = [("fact", "opinion", ["a"], [3, 4], ["fact", "fact", "opinion"]),
                 ("opinion", "commentary", ["a", "c"], [4], ["commentary", "commentary", "commentary"])]
    for rounds in range(3):
        open_attempts = []
        with app.app_context():
            assignment = db.session.get(models.Assignment, assignment_id)
            for n, user_id in enumerate(users):
                take(assignment, db.session.get(models.User, user_id), responses[(n + rounds) % 2], finish=False)
            open_attempts = list(db.session.scalars(select(models.Attempt.id).where(
                models.Attempt.finished_at.is_(None))))
            with writing():
                report_counts.forget(db.session, models.Assignment.id == assignment_id)
                db.session.commit()

        def finish(attempt_id):  # type: ignore[no-untyped-def]
            def run():  # type: ignore[no-untyped-def]
                with app.app_context(), writing():
                    service.finish_attempt(db.session, db.session.get(models.Attempt, attempt_id))
                    db.session.commit()
            return run

        def rebuild():  # type: ignore[no-untyped-def]
            with app.app_context(), writing():
                report_counts.rebuild(db.session, assignment_id)
                db.session.commit()

        at_once(rebuild, *[finish(a) for a in open_attempts])
        with app.app_context():
            assert assert_counts_agree(assignment_id).report_built


def at_once(*calls) -> None:  # type: ignore[no-untyped-def]
    """Runs the calls in threads released together."""
    barrier = threading.Barrier(len(calls))
    errors: list = []

    def run(call) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            call()
        except Exception as error:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
