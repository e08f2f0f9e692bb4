"""The `quiz` console script as users type it: every subcommand run as a subprocess.

Nothing here calls the app object: each test starts the installed `quiz` script (or
`python3 run.py`) with its own SQLite file and reads what a person would read, its exit
status, its words and, for `quiz serve`, the pages it serves over real HTTP.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quiz import create_app, models
from quiz.db import db
from quiz.sets import load_set

from serverkit import Learner, free_port, server_env
from support import FAST_HASH, ROOT, join_as, make_classroom, post_form

QUIZ = Path(sys.executable).parent / ("quiz.exe" if os.name == "nt" else "quiz")
SEED_SETS = sorted((ROOT / "questions").glob("*.yaml"))
BROKEN_SET = """\
format: 1
id: broken
title: A broken set
questions:
  - id: q1
    type: label
    statement: "The council met on Monday."
    answer: maybe
    why: "Step 3."
"""


def quiz(cwd: Path, env: dict[str, str], *args: str, stdin: str | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(QUIZ), *args], cwd=cwd, env=env, input=stdin, capture_output=True,
                          text=True, timeout=timeout)


def seed_titles() -> list[str]:
    return [load_set(path.read_bytes(), path.name).set.title for path in SEED_SETS]


def fill_question(page: str) -> dict[str, str | list[str]]:
    """A browser's submission of the question form on `page`: the first choice of every group."""
    form = page[page.index('<form method="post" action="/attempts/'):]
    form = form[:form.index("</form>")]
    data: dict[str, str | list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        if kind and kind.group(1) in ("radio", "checkbox"):
            data.setdefault(name.group(1), value.group(1) if value else "on")
        elif value:
            data[name.group(1)] = value.group(1)
    assert "position" in data, f"no question form on the page:\n{form[:500]}"
    return data


class Served:
    """A `quiz serve` process: its output, read as it comes, and its address."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = cwd / f"serve-{port}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_until_serving(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.25)
        self.stop()
        pytest.fail(f"no answer on /healthz within {timeout} s:\n{self.output()}")

    def stop(self, how: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, how) if how == signal.SIGTERM else self.process.send_signal(how)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
                pytest.fail(f"the server ignored the signal for 30 s:\n{self.output()}")
        return self.process.returncode


def take_a_practice_question(url: str) -> None:
    """Home page lists every seed set; a practice attempt starts and one answer is stored."""
    learner = Learner(url)
    home = learner.get("/")
    assert home.status == 200
    for title in seed_titles():
        assert title in home.body.replace("&#39;", "'").replace("&amp;", "&"), f"{title!r} not on /"
    set_id = re.search(r'href="/sets/([a-z0-9-]+)/"', home.body).group(1)
    attempt = learner.start(set_id)
    question = learner.get(attempt)
    assert question.status == 200 and "Question 1 of" in question.body
    sent = learner.request(attempt, {**fill_question(question.body), "csrf_token": learner.token})
    assert sent.status == 200 and 'id="feedback"' in sent.body, sent.body[:500]   # the reply is the feedback
    again = learner.get(attempt + "?q=0")   # as a refresh asks for it (quiz.js names this address)
    assert again.status == 200 and 'id="feedback"' in again.body


def serve_and_use(command: list[str], cwd: Path, env: dict[str, str], port: int, timeout: float = 90) -> str:
    """Starts a server as the user would, uses it, stops it with SIGTERM; returns its output."""
    served = Served(command, cwd, env, port)
    try:
        served.wait_until_serving(timeout)
        take_a_practice_question(served.url)
    finally:
        code = served.stop()
    output = served.output()
    assert code == 0, f"exit {code} after SIGTERM:\n{output}"
    assert "Traceback" not in output, output
    assert f"is running at http://localhost:{port}/" in output
    assert output.rstrip().endswith("Stopped."), output
    return output


# -- quiz serve ---------------------------------------------------------------------------------

def test_quiz_serve_serves_a_classroom_until_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = server_env(f"sqlite:///{tmp_path / 'quiz.db'}")
    output = serve_and_use([str(QUIZ), "serve", "--port", str(port)], tmp_path, env, port)
    assert f"Database: {tmp_path / 'quiz.db'}" in output
    assert output.index("Database:") < output.index("is running at")
    assert "Press Ctrl-C to stop." in output


def test_quiz_serve_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    served = Served([str(QUIZ), "serve", "--port", str(port)], tmp_path,
                    server_env(f"sqlite:///{tmp_path / 'quiz.db'}"), port)
    served.wait_until_serving(90)
    assert served.stop(signal.SIGINT) == 0
    assert "Traceback" not in served.output() and served.output().rstrip().endswith("Stopped.")


def test_quiz_serve_for_a_classroom_says_the_address_learners_open(tmp_path: Path) -> None:
    port = free_port()
    served = Served([str(QUIZ), "serve", "--host", "0.0.0.0", "--port", str(port)], tmp_path,
                    server_env(f"sqlite:///{tmp_path / 'quiz.db'}"), port)
    served.wait_until_serving(90)
    assert served.stop() == 0
    assert f"is running at http://localhost:{port}/" in served.output()
    assert f"Learners on this network open http://{socket.gethostname()}:{port}/" in served.output()


def test_quiz_serve_says_so_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = quiz(tmp_path, server_env(f"sqlite:///{tmp_path / 'quiz.db'}"), "serve", "--port", str(port))
    assert done.returncode == 1
    assert f"port {port} is already in use" in done.stderr
    assert f"quiz serve --port {port + 1}" in done.stderr
    assert "Traceback" not in done.stderr and "is running at" not in done.stdout


@pytest.mark.parametrize("make, words", [
    (lambda folder: folder / "missing-folder" / "quiz.db", "unable to open database file"),
    (lambda folder: (folder / "notes.db").write_text("not a database, just notes\n" * 200) and folder / "notes.db",
     "file is not a database"),
], ids=["folder-missing", "not-a-database"])
def test_quiz_serve_says_so_when_the_database_cannot_be_opened(tmp_path: Path, make, words: str) -> None:
    path = make(tmp_path)
    done = quiz(tmp_path, server_env(f"sqlite:///{path}"), "serve", "--port", str(free_port()))
    assert done.returncode == 1
    assert f"cannot open or upgrade the database at {path}: {words}" in done.stderr
    assert "folder exists and is writable" in done.stderr
    assert "Traceback" not in done.stderr and "is running at" not in done.stdout


def test_quiz_serve_says_so_when_the_database_server_is_down(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    done = quiz(tmp_path, server_env(f"postgresql://postgres@127.0.0.1:{port}/quiz"), "serve", "--port",
                str(free_port()))
    assert done.returncode == 1
    assert "cannot open or upgrade the database at postgresql+psycopg://postgres@127.0.0.1" in done.stderr
    assert "Check DATABASE_URL and that the database server is running." in done.stderr


# -- help ---------------------------------------------------------------------------------------

def test_quiz_help_lists_only_the_quiz_commands(tmp_path: Path) -> None:
    for flag in ("--help", "-h"):
        done = quiz(tmp_path, server_env("sqlite://"), flag)
        assert done.returncode == 0
        for command in ("serve", "purge", "migrate", "check", "import", "create-instructor", "set-password",
                        "regrade", "draft", "export", "learner"):
            assert re.search(rf"^  {command} ", done.stdout, re.M), f"{command} missing:\n{done.stdout}"
        for flask_only in ("--env-file", "--app", "--debug", "python-dotenv", "routes", "shell"):
            assert flask_only not in done.stdout
    assert quiz(tmp_path, server_env("sqlite://"), "--version").stdout.startswith("quiz ")


def test_run_py_help_prints_the_usage_and_exits_0() -> None:
    for flag in ("--help", "-h"):
        done = subprocess.run([sys.executable, str(ROOT / "run.py"), flag], capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 0, done.stderr
        assert "python3 run.py serve" in done.stdout and "python3 run.py test" in done.stdout
    wrong = subprocess.run([sys.executable, str(ROOT / "run.py"), "bake"], capture_output=True, text=True, timeout=30)
    assert wrong.returncode == 2 and "python3 run.py serve" in wrong.stdout + wrong.stderr


# -- every other subcommand ---------------------------------------------------------------------

def test_every_command_as_an_administrator_types_it(tmp_path: Path) -> None:
    """migrate, check, import, create-instructor, set-password, regrade, export, learner export and
    delete, purge and draft, in the order of a term: each one's exit status and words."""
    url = f"sqlite:///{tmp_path / 'quiz.db'}"
    env = server_env(url)
    run = lambda *args, **kw: quiz(tmp_path, env, *args, **kw)  # noqa: E731

    migrated = run("migrate")
    assert migrated.returncode == 0 and f"Database is up to date: {url}" in migrated.stdout

    checked = run("check", str(ROOT / "questions"))
    assert checked.returncode == 0 and f"OK: {len(SEED_SETS)} sets" in checked.stdout, checked.stdout
    (tmp_path / "broken.yaml").write_text(BROKEN_SET, encoding="utf-8")
    broken = run("check", "broken.yaml")
    assert broken.returncode == 1
    assert re.search(r"^broken\.yaml:8: question q1: .*maybe", broken.stdout, re.M), broken.stdout
    assert run("check", "-", stdin=SEED_SETS[0].read_text(encoding="utf-8")).returncode == 0

    imported = run("import", str(ROOT / "questions"))
    assert imported.returncode == 0 and f"new ({len(SEED_SETS)})" in imported.stdout, imported.stdout
    assert f"unchanged ({len(SEED_SETS)})" in run("import", str(ROOT / "questions")).stdout
    refused = run("import", "broken.yaml")
    assert refused.returncode == 1 and "broken.yaml:8:" in refused.stdout

    (tmp_path / "pw").write_text("a long teacher password\n", encoding="utf-8")
    made = run("create-instructor", "Ms.Rivera", "--password-file", "pw")
    assert made.returncode == 0 and "Instructor ms.rivera created" in made.stdout, made.stdout + made.stderr
    taken = run("create-instructor", "ms.rivera", "--password-file", "pw")
    assert taken.returncode == 1 and "is taken" in taken.stderr
    typed = run("create-instructor", "mr.okafor", stdin="another long password\nanother long password\n")
    assert typed.returncode == 0 and "Instructor mr.okafor created" in typed.stdout, typed.stdout + typed.stderr
    (tmp_path / "pw2").write_text("a brand new teacher password\n", encoding="utf-8")
    changed = run("set-password", "ms.rivera", "--password-file", "pw2")
    assert changed.returncode == 0 and "Password changed for ms.rivera." in changed.stdout
    assert run("set-password", "nobody", "--password-file", "pw2").returncode == 1

    # A class with a learner who answered, made through the app as a teacher and a learner would.
    set_id = load_set(SEED_SETS[0].read_bytes(), SEED_SETS[0].name).set.id
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "cli-test", "PASSWORD_HASH_METHOD": FAST_HASH})
    class_id = make_classroom(app, instructor="ms.rivera", assign=set_id)
    learner = app.test_client()
    join_as(learner, "amara")
    started = post_form(learner, f"/sets/{set_id}/", {}, action=f"/sets/{set_id}/start")
    attempt = started.headers["Location"]
    page = learner.get(attempt).get_data(as_text=True)
    answered = post_form(learner, attempt, fill_question(page))
    assert answered.status_code == 200 and 'id="feedback"' in answered.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()

    results = run("export", str(class_id), "results", "-o", "results.csv")
    assert results.returncode == 0 and "Wrote results.csv." in results.stderr
    rows = (tmp_path / "results.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2 and "amara" in rows[1]
    responses = run("export", str(class_id), "responses")
    assert responses.returncode == 0 and len(responses.stdout.splitlines()) == 2 and "amara" in responses.stdout
    assert run("export", "999", "results").returncode == 1

    regraded = run("regrade", set_id)
    assert regraded.returncode == 0 and f"Regraded {set_id}:" in regraded.stdout
    assert "no set has the id" in run("regrade", "no-such-set").stderr

    exported = run("learner", "export", "amara")
    assert exported.returncode == 0
    person = json.loads(exported.stdout)
    assert "amara" in json.dumps(person)
    erased = run("learner", "delete", "amara", "--yes")
    assert erased.returncode == 0 and "Erased amara" in erased.stdout
    gone = run("learner", "export", "amara")
    assert gone.returncode == 1 and "no account is called amara" in gone.stderr

    with app.app_context():
        db.session.add(models.Attempt(set_id=db.session.scalar(select(models.QuestionSet.id).limit(1)),
                                      practice_token="old", feedback="immediate", possible=1,
                                      started_at=models.utcnow() - timedelta(days=8)))
        db.session.commit()
        db.engine.dispose()
    purged = run("purge")
    assert purged.returncode == 0 and "Deleted 1 practice attempt older than 7 days." in purged.stdout
    with app.app_context():
        assert db.session.scalar(select(func.count(models.Attempt.id)).where(
            models.Attempt.practice_token.is_not(None))) == 0
        db.engine.dispose()

    (tmp_path / "article.txt").write_text(
        "Council closes the library\n\nThe city council voted on Monday to close the main library. "
        "This is a shameful decision that betrays every child in town. The closure is probably about "
        "money for the new stadium.\n", encoding="utf-8")
    drafted = run("draft", "article.txt", "-o", "draft.yaml", "--rules-only")
    assert drafted.returncode == 0, drafted.stderr
    assert run("check", "draft.yaml").returncode == 0


# -- what users run in a fresh checkout and from a wheel (CI, or FRONT_DOOR=1) --------------------

def need_front_door() -> None:
    if os.environ.get("CI") != "true" and os.environ.get("FRONT_DOOR") != "1":
        pytest.skip("the fresh-clone and fresh-wheel tests make new virtual environments (a minute "
                    "or two each): CI runs them; set FRONT_DOOR=1 to run them here")


def system_python() -> str:
    return getattr(sys, "_base_executable", None) or sys.executable


def test_readme_quick_start_serves_from_a_fresh_clone(tmp_path: Path) -> None:
    need_front_door()
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLASK_", "WERKZEUG_")) and k not in ("DATABASE_URL", "SECRET_KEY", "VIRTUAL_ENV")}
    port = free_port()
    output = serve_and_use([system_python(), "run.py", "serve", "--port", str(port)], clone, env, port, timeout=600)
    assert f"Database: {clone / 'instance' / 'quiz.db'}" in output
    assert (clone / "instance" / "quiz.db").exists()


def test_quiz_serve_from_a_wheel_in_a_fresh_venv(tmp_path: Path) -> None:
    need_front_door()
    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                            str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next((tmp_path / "dist").glob("quiz-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([system_python(), "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLASK_", "WERKZEUG_")) and k not in ("DATABASE_URL", "SECRET_KEY", "VIRTUAL_ENV")}
    port = free_port()
    output = serve_and_use([str(venv / "bin" / "quiz"), "serve", "--port", str(port)], elsewhere, env, port)
    database = re.search(r"^Database: (.+)$", output, re.M).group(1)
    assert Path(database).exists() and Path(database).is_relative_to(venv), database
