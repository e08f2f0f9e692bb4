"""The instructor's side through HTTP, on both databases: access, classes, results, exports, privacy."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, inspect, select, text

from quiz import accounts, models
from quiz.db import db

from support import SAMPLE_SET, csrf_token, join_as, post_form

PASSWORD = "teacher-password"


def sign_in(client, username, password=PASSWORD):
    response = post_form(client, "/login", {"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def instructor(app, username):
    with app.app_context():
        if accounts.find_user(db.session, username) is None:
            accounts.create_user(db.session, username, PASSWORD, role="instructor")
            db.session.commit()
    return sign_in(app.test_client(), username)


def take(client, slug="sample", answers=None):
    """A learner takes the sample set with the given answers and finishes it."""
    start = post_form(client, f"/sets/{slug}/", {}, action=f"/sets/{slug}/start")
    url = start.headers["Location"].split("?")[0]
    for position, fields in enumerate(answers):
        data = {"position": str(position)}
        data.update(fields)
        post_form(client, url, data)
    post_form(client, url, {}, action=url + "finish")
    return url


RIGHT = [{"label": "fact"}, {"option": "a"}, {"word": ["3", "4", "7", "8", "9"]},
         {"item-0": "fact", "item-1": "opinion"}]
WRONG = [{"label": "opinion"}, {"option": "b"}, {"word": ["0"]}, {"item-0": "commentary", "item-1": "fact"}]


@pytest.fixture
def world(app, sample_set, make_class):
    """A class taught by `teacher` (co-taught by `co`), the sample set assigned, another teacher's class."""
    class_id = make_class(assign="sample")
    other_id = make_class(name="Not yours", code="OTHERS23", instructor="stranger")
    with app.app_context():
        co = accounts.create_user(db.session, "co", PASSWORD, role="instructor")
        classroom = db.session.get(models.Classroom, class_id)
        classroom.instructors.append(co)
        db.session.commit()
    return {"class": class_id, "other": other_id}


def teach_routes(class_id, user_id, attempt_id):
    return [f"/teach/", f"/teach/sets/", f"/teach/sets/sample/", f"/teach/classes/{class_id}/",
            f"/teach/classes/{class_id}/sets/sample/", f"/teach/classes/{class_id}/results.csv",
            f"/teach/classes/{class_id}/responses.csv", f"/teach/classes/{class_id}/learners/{user_id}/",
            f"/teach/classes/{class_id}/learners/{user_id}/remove",
            f"/teach/classes/{class_id}/attempts/{attempt_id}/"]


def test_every_teach_route_answers_each_role_as_it_should(app, world):
    learner = app.test_client()
    join_as(learner, "lena")
    url = take(learner, answers=RIGHT)
    attempt_id = int(url.strip("/").split("/")[-1])
    with app.app_context():
        user_id = accounts.find_user(db.session, "lena").id
    anonymous = app.test_client()
    stranger = sign_in(app.test_client(), "stranger", "teacher-password")
    co = sign_in(app.test_client(), "co")
    class_routes = teach_routes(world["class"], user_id, attempt_id)
    for route in class_routes:
        assert anonymous.get(route).status_code == 302, route
        assert anonymous.get(route).headers["Location"].startswith("/login?next=")
        assert learner.get(route).status_code == 404, route
        assert co.get(route).status_code == 200, route
        general = route in ("/teach/", "/teach/sets/", "/teach/sets/sample/")
        assert stranger.get(route).status_code == (200 if general else 404), route
    # the other class's id with this class's learner and attempt: still 404 for the co-teacher
    for route in teach_routes(world["other"], user_id, attempt_id)[3:]:
        assert co.get(route).status_code == 404, route


def test_post_routes_refuse_other_instructors_with_404(app, world):
    stranger = sign_in(app.test_client(), "stranger", "teacher-password")
    class_id = world["class"]
    token = csrf_token(stranger, "/teach/")
    for action, data in [("rename", {"name": "Mine now"}), ("archive", {}), ("code", {"do": "close"}),
                         ("coteachers", {"username": "stranger"}), ("assignments", {"set_id": "sample"})]:
        data = dict(data, csrf_token=token)
        assert stranger.post(f"/teach/classes/{class_id}/{action}", data=data).status_code == 404, action
    with app.app_context():
        classroom = db.session.get(models.Classroom, class_id)
        assert classroom.name == "Year 9" and classroom.join_code == "K7QXM2PA" and not classroom.archived
        assert [t.username for t in classroom.instructors] == ["teacher", "co"]


def test_a_learner_cannot_become_an_instructor_through_the_web(app, world):
    client = app.test_client()
    join_as(client, "eve")
    post_form(client, "/account", {"current": "learner-password", "password": "x" * 10, "confirm": "x" * 10,
                                   "role": "instructor"})
    with app.app_context():
        assert accounts.find_user(db.session, "eve").role == "learner"
    assert client.get("/teach/").status_code == 404


def test_matrix_report_and_exports_hold_the_numbers_the_answers_imply(app, world):
    for name, answers in [("ann", RIGHT), ("bob", WRONG), ("cat", RIGHT[:2] + WRONG[2:])]:
        client = app.test_client()
        join_as(client, name)
        take(client, answers=answers)
    teacher = sign_in(app.test_client(), "teacher")
    matrix = teacher.get(f"/teach/classes/{world['class']}/").get_data(as_text=True)
    # ann 4/4 = 100%, bob 0/4 = 0%, cat 2/4 = 50% (spot picks a wrong word, sort both wrong): mean 50%
    assert "100%" in matrix and "0%" in matrix and "50%" in matrix
    report = teacher.get(f"/teach/classes/{world['class']}/sets/sample/").get_data(as_text=True)
    # label choices: met (fact) x3 + sort items x3 each. fact rows: ann 2 right; bob: opinion, commentary;
    # cat: fact right, commentary. opinion row (sort item 2): ann right, bob fact, cat fact.
    assert 'data-cell="fact-fact">3 ' in report  # ann x2, cat's label answer
    assert 'data-cell="fact-commentary">2 ' in report and 'data-cell="fact-opinion">1 ' in report
    assert 'data-cell="opinion-fact">2 ' in report and 'data-cell="opinion-opinion">1 ' in report
    assert "67% of opinions were taken for reported facts." in report
    results = list(csv.reader(io.StringIO(teacher.get(f"/teach/classes/{world['class']}/results.csv")
                                          .get_data(as_text=True).lstrip("\ufeff"))))
    assert results[0] == ["class", "learner", "set", "attempt", "started", "finished", "score", "points", "possible"]
    assert [(r[1], r[3], r[6], r[7], r[8]) for r in results[1:]] == [
        ("ann", "1", "100%", "4.0", "4"), ("bob", "1", "0%", "0.0", "4"), ("cat", "1", "50%", "2.0", "4")]
    responses = list(csv.reader(io.StringIO(teacher.get(f"/teach/classes/{world['class']}/responses.csv")
                                            .get_data(as_text=True).lstrip("\ufeff"))))
    assert len(responses) == 1 + 3 * 4
    bob_sort = next(r for r in responses if r[0] == "bob" and r[2] == "passage")
    assert bob_sort[3:8] == ["1", "sort", "commentary / fact", "fact / opinion", "0.0"]


def test_csv_export_neutralises_formulas_in_learner_names(app, world):
    for name in ["=HYPERLINK(\"x\")", "+1", "-2", "@sum"]:
        with app.app_context():
            user = accounts.create_user(db.session, name.lower(), "learner-password")
            db.session.add(models.Membership(classroom_id=world["class"], user_id=user.id))
            db.session.commit()
    # usernames are made through the model here: the web's join form refuses such names outright
    for name in ["=hyperlink(\"x\")", "+1"]:
        client = app.test_client()
        sign_in(client, name, "learner-password")
        take(client, answers=RIGHT)
    teacher = sign_in(app.test_client(), "teacher")
    body = teacher.get(f"/teach/classes/{world['class']}/results.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    names = {r[1] for r in rows[1:]}
    assert names == {"'=hyperlink(\"x\")", "'+1"}
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)


def test_learner_delete_leaves_no_row_of_that_learner(app, world, runner):
    for name in ("del", "keep"):
        client = app.test_client()
        join_as(client, name)
        take(client, answers=RIGHT)
    with app.app_context():
        gone = accounts.find_user(db.session, "del")
        gone_id = gone.id
        db.session.add(models.PasswordReset(user_id=gone_id, code_hash="x" * 64,
                                            expires_at=models.utcnow()))
        db.session.commit()
        before = db.session.scalar(select(func.count(models.Answer.id)))
    exported = runner.invoke(args=["learner", "export", "del"])
    data = json.loads(exported.output)
    assert data["account"]["username"] == "del" and len(data["attempts"][0]["answers"]) == 4
    result = runner.invoke(args=["learner", "delete", "del", "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(models.Answer.id))) == before - 4
        # look in every table, every column that can point at a person
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if column.name in ("user_id", "owner_id", "created_by_id") or (table.name == "users" and column.name == "id"):
                    count = db.session.execute(select(func.count()).select_from(table)
                                               .where(column == gone_id)).scalar()
                    assert count == 0, f"{table.name}.{column.name} still holds the learner"
        assert db.session.scalar(select(func.count(models.Attempt.id))) == 1
        orphans = db.session.scalar(select(func.count(models.AttemptItem.id)).where(
            models.AttemptItem.attempt_id.not_in(select(models.Attempt.id))))
        assert orphans == 0
    teacher = sign_in(app.test_client(), "teacher")
    rows = teacher.get(f"/teach/classes/{world['class']}/results.csv").get_data(as_text=True).splitlines()
    assert len(rows) == 2 and "keep" in rows[1]


def test_upload_shows_errors_by_line_then_imports_and_replaces(app, world):
    teacher = sign_in(app.test_client(), "teacher")
    broken = SAMPLE_SET.replace("id: sample", "id: mine").replace("answer: fact\n    why", "answer: fakt\n    why", 1)
    token = csrf_token(teacher, "/teach/sets/")
    response = teacher.post("/teach/sets/", data={"csrf_token": token, "file": (io.BytesIO(broken.encode()), "mine.yaml")},
                            content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "mine.yaml:13: question met: answer &#39;fakt&#39; is not one of: fact, commentary, opinion" in page
    assert 'id="line-13" class="bad"' in page
    with app.app_context():
        assert db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == "mine")) is None
    good = broken.replace("answer: fakt", "answer: fact")
    token = csrf_token(teacher, "/teach/sets/")
    response = teacher.post("/teach/sets/", data={"csrf_token": token, "file": (io.BytesIO(good.encode()), "mine.yaml")},
                            content_type="multipart/form-data")
    assert response.headers["Location"] == "/teach/sets/mine/"
    listing = teacher.get("/teach/sets/").get_data(as_text=True)
    assert "uploaded by teacher" in listing
    # another instructor cannot replace it
    stranger = sign_in(app.test_client(), "stranger", "teacher-password")
    token = csrf_token(stranger, "/teach/sets/")
    taken = stranger.post("/teach/sets/", data={"csrf_token": token, "file": (io.BytesIO(good.encode()), "x.yaml")},
                          content_type="multipart/form-data")
    assert taken.status_code == 422 and "already used by a set another instructor uploaded" in taken.get_data(as_text=True)


def test_upload_warns_when_answering_blind_passes_and_the_set_page_shows_the_blind_score(app, world):
    teacher = sign_in(app.test_client(), "teacher")
    # keyed a, one fact and a sort half fact: fact + option a = (1 + 1 + 0 + 1/2) / 4 = 62.5%
    token = csrf_token(teacher, "/teach/sets/")
    page = teacher.post("/teach/sets/", data={"csrf_token": token, "file": (io.BytesIO(
        SAMPLE_SET.replace("id: sample", "id: blind").encode()), "blind.yaml")},
        content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "blind.yaml:9: warning: a blind strategy scores 63% (over 50%)" in page
    assert "blind score 63% (over 50%: a learner who does not read would pass)" in page
    assert "labels Reported fact 2, Commentary 0, Opinion 1 · guess score 38%" in " ".join(page.split())
    assert "One label, the same for every item, gets 50% of this sort right." in page  # fact, opinion
    balanced = SAMPLE_SET.replace("id: sample", "id: balanced").replace(
        'options: ["Putin met U.S. envoys.", "This whole thing feels staged."]\n    answer: a',
        'options: ["This whole thing feels staged.", "Putin met U.S. envoys."]\n    answer: b')
    token = csrf_token(teacher, "/teach/sets/")
    page = teacher.post("/teach/sets/", data={"csrf_token": token, "file": (io.BytesIO(balanced.encode()),
                        "balanced.yaml")}, content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "blind score 38%" in page and "warning" not in page.split("<main")[-1].split("Preview")[0]


def test_regrade_after_a_key_fix_changes_the_scores(app, world):
    teacher = sign_in(app.test_client(), "teacher")
    wrong_key = SAMPLE_SET.replace("id: sample", "id: keyfix").replace("    answer: a\n", "    answer: b\n")
    token = csrf_token(teacher, "/teach/sets/")
    teacher.post("/teach/sets/", data={"csrf_token": token, "file": (io.BytesIO(wrong_key.encode()), "k.yaml")},
                 content_type="multipart/form-data")
    learner = app.test_client()
    take(learner, "keyfix", RIGHT)  # practice mode: option "a" scored wrong by the broken key
    with app.app_context():
        assert db.session.scalar(select(models.Attempt.points)) == 3.0
    fixed = wrong_key.replace("    answer: b\n", "    answer: a\n")
    token = csrf_token(teacher, "/teach/sets/")
    teacher.post("/teach/sets/", data={"csrf_token": token, "file": (io.BytesIO(fixed.encode()), "k.yaml")},
                 content_type="multipart/form-data")
    done = post_form(teacher, "/teach/sets/keyfix/", {}, action="/teach/sets/keyfix/regrade", follow_redirects=True)
    assert "1 scores changed" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(models.Attempt.points)) == 4.0


def test_reset_code_works_once_and_removal_hides_the_learner(app, world):
    learner = app.test_client()
    join_as(learner, "rita")
    with app.app_context():
        rita = accounts.find_user(db.session, "rita").id
    teacher = sign_in(app.test_client(), "teacher")
    page = post_form(teacher, f"/teach/classes/{world['class']}/",
                     {}, action=f"/teach/classes/{world['class']}/learners/{rita}/reset").get_data(as_text=True)
    import re
    code = re.search(r'<p class="code big"><strong>([A-Z0-9-]+)</strong>', page).group(1)
    fresh = app.test_client()
    data = {"username": "rita", "code": code.lower(), "password": "brand-new-pass", "confirm": "brand-new-pass"}
    assert post_form(fresh, "/reset", data).status_code == 302
    again = post_form(app.test_client(), "/reset", dict(data, password="another-pass", confirm="another-pass"))
    assert "That code does not work" in again.get_data(as_text=True)
    sign_in(app.test_client(), "rita", "brand-new-pass")
    confirm = teacher.get(f"/teach/classes/{world['class']}/learners/{rita}/remove").get_data(as_text=True)
    assert "Nothing is erased" in confirm
    post_form(teacher, f"/teach/classes/{world['class']}/learners/{rita}/remove", {})
    assert "rita" not in teacher.get(f"/teach/classes/{world['class']}/").get_data(as_text=True)
    with app.app_context():
        assert accounts.find_user(db.session, "rita") is not None


def test_hide_names_replaces_usernames_on_class_views(app, world):
    client = app.test_client()
    join_as(client, "visible-name")
    teacher = sign_in(app.test_client(), "teacher")
    assert "visible-name" in teacher.get(f"/teach/classes/{world['class']}/").get_data(as_text=True)
    post_form(teacher, "/teach/", {"next": f"/teach/classes/{world['class']}/"}, action="/teach/hide-names")
    page = teacher.get(f"/teach/classes/{world['class']}/").get_data(as_text=True)
    assert "visible-name" not in page and "Learner 1" in page


def test_join_code_can_be_regenerated_and_closed(app, world):
    teacher = sign_in(app.test_client(), "teacher")
    post_form(teacher, "/teach/", {"do": "regenerate"}, action=f"/teach/classes/{world['class']}/code")
    with app.app_context():
        code = db.session.get(models.Classroom, world["class"]).join_code
    assert code != "K7QXM2PA" and len(code) == 8 and not set(code) & set("01OIL")
    assert "No open class has that code" in join_as(app.test_client(), "late").get_data(as_text=True)
    post_form(teacher, "/teach/", {"do": "close"}, action=f"/teach/classes/{world['class']}/code")
    assert "No open class has that code" in join_as(app.test_client(), "later", code=code).get_data(as_text=True)


def test_instructor_commands(runner, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("long-enough-pass\n")
    result = runner.invoke(args=["create-instructor", "Ms.Jones", "--password-file", str(secret)])
    assert result.exit_code == 0 and "Instructor ms.jones created" in result.output
    assert "is taken" in runner.invoke(args=["create-instructor", "ms.jones", "--password-file", str(secret)]).output
    secret.write_text("short\n")
    assert "at least 8 characters" in runner.invoke(args=["set-password", "ms.jones", "--password-file", str(secret)]).output
    result = runner.invoke(args=["create-instructor", "newbie"], input="pass-word-1\npass-word-1\n")
    assert result.exit_code == 0, result.output


def test_an_instructor_sets_a_time_zone_and_times_follow_it(app, world):
    teacher = sign_in(app.test_client(), "teacher")
    page = teacher.get("/account").get_data(as_text=True)
    assert "Europe/Paris" in page
    token = csrf_token(teacher, "/account")
    teacher.post("/account/timezone", data={"csrf_token": token, "tz-csrf_token": token, "tz-timezone": "Europe/Paris"})
    with app.app_context():
        assert accounts.find_user(db.session, "teacher").timezone == "Europe/Paris"
    # an assignment opening at 09:00 Paris time is stored as 08:00 UTC (winter), and shown as typed
    with app.app_context():
        ident = db.session.scalar(select(models.Assignment.id).where(models.Assignment.classroom_id == world["class"]))
    settings = f"/teach/classes/{world['class']}/assignments/{ident}/"
    post_form(teacher, settings, {"feedback": "immediate", "counts": "best", "opens_at": "2026-01-15T09:00"})
    with app.app_context():
        assignment = db.session.get(models.Assignment, ident)
        assert models.as_utc(assignment.opens_at).isoformat() == "2026-01-15T08:00:00+00:00"
    assert 'value="2026-01-15T09:00"' in teacher.get(settings).get_data(as_text=True)
    learner = app.test_client()
    join_as(learner, "tz-learner")
    assert learner.post("/account/timezone", data={"csrf_token": csrf_token(learner, "/account"),
                                                   "tz-timezone": "UTC"}).status_code == 404


def test_quiz_export_writes_the_same_csv_as_the_web(app, world, runner, tmp_path):
    client = app.test_client()
    join_as(client, "cli-learner")
    take(client, answers=RIGHT)
    teacher = sign_in(app.test_client(), "teacher")
    for kind in ("results", "responses"):
        web = teacher.get(f"/teach/classes/{world['class']}/{kind}.csv").get_data(as_text=True)
        out = tmp_path / f"{kind}.csv"
        result = runner.invoke(args=["export", str(world["class"]), kind, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().decode("utf-8") == web
    assert "no class has the id 999" in runner.invoke(args=["export", "999", "results"]).output


@pytest.mark.parametrize("zone,closes,accepted", [
    ("Etc/GMT+12", "9999-12-31T23:59", False),   # was a 500: OverflowError turning it into UTC
    ("Etc/GMT-14", "0001-01-01T00:00", False),
    ("UTC", "1999-12-31T23:59", False),
    ("UTC", "2101-01-01T00:00", False),
    ("Etc/GMT+12", "2100-12-31T23:59", True),
    ("Etc/GMT-14", "2000-01-01T00:00", True),
])
def test_assignment_dates_outside_2000_to_2100_are_a_form_error(app, world, zone, closes, accepted):
    with app.app_context():
        accounts.find_user(db.session, "teacher").timezone = zone
        db.session.commit()
        ident = db.session.scalar(select(models.Assignment.id).where(models.Assignment.classroom_id == world["class"]))
    teacher = sign_in(app.test_client(), "teacher")
    response = post_form(teacher, f"/teach/classes/{world['class']}/assignments/{ident}/", {
        "feedback": "immediate", "counts": "best", "closes_at": closes}, follow_redirects=True)
    assert response.status_code == (200 if accepted else 422)
    refused = "Choose a date between the years 2000 and 2100." in response.get_data(as_text=True)
    assert refused != accepted
    with app.app_context():
        stored = db.session.scalar(select(models.Assignment.closes_at).where(
            models.Assignment.classroom_id == world["class"]))
        assert (stored is not None) == accepted


def test_a_far_date_stored_before_dates_were_bounded_is_shown_not_a_500(app, world):
    with app.app_context():
        assignment = db.session.scalar(select(models.Assignment).where(models.Assignment.classroom_id == world["class"]))
        assignment.closes_at = datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc)
        db.session.commit()
    app.config["QUIZ_TIMEZONE"] = "Etc/GMT-14"
    learner = app.test_client()
    join_as(learner, "far-future")
    page = learner.get("/")
    assert page.status_code == 200 and "closes 9999-12-31 23:59 UTC" in page.get_data(as_text=True)


def upload(client, text: str, name: str = "set.yaml"):
    token = csrf_token(client, "/teach/sets/")
    return client.post("/teach/sets/", data={"csrf_token": token, "file": (io.BytesIO(text.encode()), name)},
                       content_type="multipart/form-data")


def test_a_hidden_set_answers_404_to_every_other_instructor_and_only_owners_regrade(app, world):
    owner = sign_in(app.test_client(), "teacher")
    hidden = SAMPLE_SET.replace("id: sample", "id: mine\nvisibility: classes", 1).replace("title: Sample set",
                                                                                         "title: Secret quiz")
    shared = SAMPLE_SET.replace("id: sample", "id: shared\nvisibility: classes", 1)
    assert upload(owner, hidden).headers["Location"] == "/teach/sets/mine/"
    assert upload(owner, shared).headers["Location"] == "/teach/sets/shared/"
    assert post_form(owner, "/teach/sets/mine/", {}, action="/teach/sets/mine/hide").status_code == 302
    other = sign_in(app.test_client(), "stranger")
    token = csrf_token(other, "/teach/")

    def rows():  # what a second instructor might change or add
        with app.app_context():
            return (db.session.scalar(select(func.count(models.Attempt.id))),
                    db.session.scalar(select(func.count(models.Assignment.id))),
                    db.session.scalar(select(models.QuestionSet.hidden).where(models.QuestionSet.slug == "mine")),
                    db.session.scalar(select(models.QuestionSet.title).where(models.QuestionSet.slug == "mine")))

    before = rows()
    assert "Secret quiz" not in other.get("/teach/sets/").get_data(as_text=True)
    assert other.get("/teach/sets/mine/").status_code == 404
    for action in ("regrade", "hide"):
        assert other.post(f"/teach/sets/mine/{action}", data={"csrf_token": token}).status_code == 404, action
    assert other.get("/sets/mine/").status_code == 404
    assert other.post("/sets/mine/start", data={"csrf_token": token}).status_code == 404
    assigned = other.post(f"/teach/classes/{world['other']}/assignments",
                          data={"csrf_token": token, "set_id": "mine", "feedback": "immediate", "counts": "best"})
    assert assigned.status_code == 302
    assert "Secret quiz" not in other.get(f"/teach/classes/{world['other']}/").get_data(as_text=True)
    assert upload(other, hidden.replace("Secret quiz", "Taken over")).status_code == 422
    assert rows() == before
    # the owner still sees, previews and regrades it
    assert "Secret quiz" in owner.get("/teach/sets/").get_data(as_text=True)
    assert owner.get("/teach/sets/mine/").status_code == 200 and owner.get("/sets/mine/").status_code == 200
    assert post_form(owner, "/teach/sets/mine/", {}, action="/teach/sets/mine/regrade").status_code == 302
    # a set that is not hidden is seen and assigned by every instructor, regraded by its owner only
    assert other.get("/teach/sets/shared/").status_code == 200
    assert "Regrade" not in other.get("/teach/sets/shared/").get_data(as_text=True)
    assert other.post("/teach/sets/shared/regrade", data={"csrf_token": token}).status_code == 404
    assert other.post(f"/teach/classes/{world['other']}/assignments",
                      data={"csrf_token": token, "set_id": "shared", "feedback": "immediate",
                            "counts": "best"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(models.Assignment.id))) == before[1] + 1
    # a site set has no owner on the web: its regrade is `quiz regrade`
    for client in (owner, other):
        assert client.post("/teach/sets/sample/regrade", data={"csrf_token": token if client is other
                                                               else csrf_token(owner, "/teach/")}).status_code == 404


def test_a_learners_attempt_shows_the_teacher_the_authors_letters(app, world):
    """Learners see options shuffled; the teacher's view of an attempt keeps the key's letters."""
    learner = app.test_client()
    join_as(learner, "lena")
    url = take(learner, answers=RIGHT)
    attempt_id = int(url.strip("/").split("/")[-1])
    with app.app_context():
        item = db.session.scalar(select(models.AttemptItem).where(models.AttemptItem.attempt_id == attempt_id,
                                                                  models.AttemptItem.position == 1))
        item.option_order = [1, 0]  # the learner saw the author's b first
        db.session.commit()
    page = world_teacher(app).get(f"/teach/classes/{world['class']}/attempts/{attempt_id}/").get_data(as_text=True)
    assert re.search(r"<li>a\. <bdi>Putin met U\.S\. envoys\.</bdi>\s*<strong class=\"tag right\">right answer</strong>"
                     r"\s*<strong class=\"tag chosen\">the learner(&#39;|')s choice</strong>", page), page
    assert "<li>b. <bdi>This whole thing feels staged.</bdi>" in page


def world_teacher(app):
    return sign_in(app.test_client(), "teacher", "teacher-password")


def test_item_analysis_names_the_option_the_learners_saw_after_the_options_changed(app, world, tmp_path):
    from quiz.importer import import_paths

    for name in ("lena", "omar"):
        learner = app.test_client()
        join_as(learner, name)
        take(learner, answers=WRONG)  # b: "This whole thing feels staged."
    reworded = SAMPLE_SET.replace('options: ["Putin met U.S. envoys.", "This whole thing feels staged."]',
                                  'options: ["Putin met U.S. envoys.", "The talks are a charade."]')
    assert reworded != SAMPLE_SET
    (tmp_path / "sample.yaml").write_text(reworded, encoding="utf-8")
    with app.app_context():
        assert import_paths(db.session, [tmp_path / "sample.yaml"]).updated
    page = world_teacher(app).get(f"/teach/classes/{world['class']}/sets/sample/").get_data(as_text=True)
    assert "b. This whole thing feels staged." in page
    assert "b. The talks are a charade." not in page
