"""A live class on real servers: an instructor drives a session while learners' browsers poll
and answer, as quiz/static/live.js does. Used by tests/load/test_live_load.py (counts) and
benchmarks/live.py (timings).

Each learner polls `/live/<id>/state` with the ETag it holds (304 while nothing changes); when
the state changes it loads its page, as the script's reload does; when a question is open and
unanswered it sends an answer (right unless (learner + position) % 4 == 0). The instructor
opens a question, waits until everyone has answered, closes it, and waits until every learner's
screen has loaded its feedback: the time from the close to the last screen is recorded.
"""
from __future__ import annotations

import html
import json
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from serverkit import CSRF, Learner, right_label

PASSWORD = "load-test-password"
TEACHER = "live-teacher"
VERSION_FIELD = re.compile(r'name="version" type="hidden" value="(\d+)"')
PAGE_ETAG = re.compile(r'data-live-etag="([^"]+)"')


def make_live_class(database_url: str, learners: int, set_id: str = "load") -> int:
    """An instructor's class of `learners` members with the set assigned, made through the models."""
    from sqlalchemy import select

    from quiz import accounts, create_app, models
    from quiz.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    with app.app_context():
        teacher = accounts.create_user(db.session, TEACHER, PASSWORD, role="instructor")
        classroom = models.Classroom(name="Live load", join_code="LIVELOAD")
        classroom.instructors.append(teacher)
        db.session.add(classroom)
        db.session.flush()
        qset = db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == set_id))
        db.session.add(models.Assignment(classroom_id=classroom.id, set_id=qset.id))
        for n in range(learners):
            user = accounts.create_user(db.session, learner_name(n), PASSWORD)
            db.session.add(models.Membership(classroom_id=classroom.id, user_id=user.id))
        db.session.commit()
        class_id = classroom.id
        db.engine.dispose()
    return class_id


def learner_name(n: int) -> str:
    return f"live{n:03d}"


def chosen_label(learner: int, position: int) -> str:
    return right_label(position) if (learner + position) % 4 else right_label(position + 1)


class Browser(Learner):
    """A Learner (serverkit) that also polls with If-None-Match, as the live script does."""

    def poll(self, path: str, etag: str) -> tuple[int, str, dict, float]:
        """(status, ETag, state, seconds taken)."""
        request = urllib.request.Request(self.base + path, headers={"If-None-Match": etag} if etag else {})
        began = time.perf_counter()
        try:
            with self.opener.open(request, timeout=60) as response:
                status, tag, body = response.status, response.headers.get("ETag", ""), response.read()
        except urllib.error.HTTPError as error:
            status, tag, body = error.code, error.headers.get("ETag", ""), error.read()
        took = time.perf_counter() - began
        self.statuses.append(status)
        state = json.loads(body) if status == 200 and body else {}
        return status, tag or etag, state, took


@dataclass
class LiveRun:
    """What happened: statuses seen, answers acknowledged, the close-to-feedback delays."""

    statuses: list[int] = field(default_factory=list)
    acknowledged: dict[tuple[str, int], str] = field(default_factory=dict)
    polls: list[float] = field(default_factory=list)  # seconds per poll
    not_modified: int = 0
    feedback_delays: dict[int, list[float]] = field(default_factory=dict)  # position -> seconds per learner
    errors: list[str] = field(default_factory=list)


class LiveClass:
    """One session: the teacher's thread and one thread per learner, against one or more servers."""

    def __init__(self, bases: list[str], class_id: int, learners: int, questions: int,
                 poll_every: float = 2.0, set_id: str = "load", hold: float = 0.0):
        self.bases, self.class_id, self.questions, self.poll_every = bases, class_id, questions, poll_every
        self.hold = hold  # seconds a question stays open at least, as in a lesson
        self.set_id = set_id
        self.run = LiveRun()
        self.lock = threading.Lock()
        self.closed_at: dict[int, float] = {}  # when the instructor pressed Close
        self.shown_at: dict[int, dict[int, float]] = {}  # position -> learner -> feedback on screen
        self.teacher = Browser(bases[0])
        assert self.teacher.login(TEACHER, PASSWORD).status == 302
        started = self.teacher.post(f"/teach/classes/{class_id}/", f"/teach/classes/{class_id}/live/",
                                    {"set_id": set_id})
        assert started.status == 302, started.status
        self.projector = urllib.parse.urlsplit(started.location).path
        self.live_id = int(self.projector.rsplit("/", 1)[1])
        self.follow = f"/live/{self.live_id}/"
        self.browsers = [Browser(bases[n % len(bases)]) for n in range(learners)]
        for n, browser in enumerate(self.browsers):
            assert browser.login(learner_name(n), PASSWORD).status == 302
            assert browser.post("/", self.follow + "join", {}).status == 302

    # -- the learner's browser -------------------------------------------------------------------

    def learner(self, n: int) -> None:
        browser = self.browsers[n]
        etag, answered = "", set()
        time.sleep(random.random() * self.poll_every)  # screens do not poll in step  # nosec B311
        while True:
            began = time.perf_counter()
            status, etag, state, took = browser.poll(self.follow + "state", etag)
            with self.lock:
                self.run.polls.append(took)
                self.run.not_modified += status == 304
            if status == 200:
                position = state.get("position")
                page = browser.get(self.follow)  # the script reloads the page
                if state["state"] == "ended":
                    return
                if state["state"] == "open" and position not in answered and 'name="position"' in page.body:
                    label = chosen_label(n, position)
                    token = CSRF.search(page.body)
                    if token:
                        browser.token = token.group(1)
                    sent = browser.request(self.follow + "answer", {"position": str(position), "label": label,
                                                                    "csrf_token": browser.token})
                    after = browser.get(self.follow).body if sent.status == 302 else ""
                    if "Your answer is saved." in after:  # the flash: stored (a refusal says otherwise)
                        answered.add(position)
                        with self.lock:
                            self.run.acknowledged[(learner_name(n), position)] = label
                    shown = PAGE_ETAG.search(after)  # the page's own ETag, as the script starts from
                    etag = html.unescape(shown.group(1)) if shown else ""
                if state["state"] == "closed" and 'id="feedback"' in page.body:
                    with self.lock:
                        self.shown_at.setdefault(position, {}).setdefault(n, time.perf_counter())
            time.sleep(max(0.0, self.poll_every - (time.perf_counter() - began)))

    # -- the instructor's projector ----------------------------------------------------------------

    def wait(self, test, timeout: float = 120) -> bool:  # type: ignore[no-untyped-def]
        deadline = time.time() + timeout
        while time.time() < deadline:
            if test():
                return True
            time.sleep(0.25)
        return False

    def projector_counts(self) -> dict:
        status, _tag, state, _took = self.teacher.poll(self.projector + "/state", "")
        return state if status == 200 else {}

    def drive(self) -> None:
        everyone = len(self.browsers)
        for position in range(self.questions):
            seen = VERSION_FIELD.search(self.teacher.get(self.projector).body).group(1)
            opened = self.teacher.post(self.projector, self.projector + "/open", {"version": seen, "seconds": "0"})
            assert opened.status == 302
            opened_at = time.time()
            if not self.wait(lambda: self.projector_counts().get("answered") == everyone):
                self.run.errors.append(f"question {position + 1}: not everyone's answer arrived")
            time.sleep(max(0.0, opened_at + self.hold - time.time()))
            token = CSRF.search(self.teacher.get(self.projector).body).group(1)
            self.closed_at[position] = time.perf_counter()
            closing = self.teacher.request(self.projector + "/close", {"position": str(position), "csrf_token": token})
            assert closing.status == 302
            if not self.wait(lambda: len(self.shown_at.get(position, {})) == everyone):
                self.run.errors.append(f"question {position + 1}: not every screen showed its feedback")
            with self.lock:
                self.run.feedback_delays[position] = sorted(
                    t - self.closed_at[position] for t in self.shown_at.get(position, {}).values())
        assert self.teacher.post(self.projector, self.projector + "/end", {}).status == 302

    def go(self) -> LiveRun:
        threads = [threading.Thread(target=self.learner, args=(n,), daemon=True) for n in range(len(self.browsers))]
        for thread in threads:
            thread.start()
        try:
            self.drive()
        finally:
            for thread in threads:
                thread.join(timeout=60)
        self.run.statuses = [s for b in [self.teacher, *self.browsers] for s in b.statuses]
        return self.run

