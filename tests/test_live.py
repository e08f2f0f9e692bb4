"""Live class mode through HTTP, on both databases: a session from start to summary, who sees
what, and the races (double clicks, a closed question, two app servers on one database)."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select, update

from quiz import accounts, create_app, models
from quiz.db import db

from support import FAST_HASH, csrf_token, join_as, post_form

PASSWORD = "teacher-password"
PROJECTOR = re.compile(r"/teach/classes/(\d+)/live/(\d+)$")
VERSION_FIELD = re.compile(r'name="version" type="hidden" value="(\d+)"')
COUNT = re.compile(r'data-live-count="(\w+)">(\d+)<')


def sign_in(client, username, password=PASSWORD):
    response = post_form(client, "/login", {"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def learner(app, name):
    client = app.test_client()
    assert join_as(client, name).status_code == 302
    return client


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def start_live(teacher, class_id, slug="sample") -> str:
    response = post_form(teacher, f"/teach/classes/{class_id}/", {"set_id": slug},
                         action=f"/teach/classes/{class_id}/live/")
    assert response.status_code == 302
    assert PROJECTOR.search(response.headers["Location"]), response.headers["Location"]
    return response.headers["Location"]


def ana_in_a_running_session(app, make_class):
    """A class with the sample set, its teacher running a live session, and learner ana joined."""
    class_id = make_class(assign="sample")
    teacher = sign_in(app.test_client(), "teacher")
    ana = learner(app, "ana")
    projector = start_live(teacher, class_id)
    follow = f"/live/{PROJECTOR.search(projector).group(2)}/"
    assert post_form(ana, "/", {}, action=follow + "join").status_code == 302
    return class_id, teacher, ana, projector, follow


def open_next(teacher, projector, seconds="0", version=None):
    shown = page(teacher, projector)
    seen = version or VERSION_FIELD.search(shown).group(1)
    return post_form(teacher, projector, {"version": seen, "seconds": seconds}, action=projector + "/open")


def close(teacher, projector, position):
    return post_form(teacher, projector, {"position": str(position)}, action=projector + "/close")


def answer(client, follow, position, **fields):
    response = post_form(client, follow, {"position": str(position), **fields}, action=follow + "answer")
    assert response.status_code == 302
    return client.get(follow).get_data(as_text=True)


def counts(html: str) -> dict[str, int]:
    return {name: int(n) for name, n in COUNT.findall(html)}


def live_answers(app):
    """(learner, position, response_text) of every answer given in a live attempt."""
    with app.app_context():
        return sorted(db.session.execute(
            select(models.User.username, models.AttemptItem.position, models.Answer.response_text)
            .join(models.AttemptItem, models.AttemptItem.id == models.Answer.item_id)
            .join(models.Attempt, models.Attempt.id == models.AttemptItem.attempt_id)
            .join(models.User, models.User.id == models.Attempt.user_id)
            .where(models.Attempt.kind == "live")).all())


def second_server(app):
    """Another app object on the same database, as a second app server behind a load balancer."""
    return create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "test",
                       "TESTING": True, "WTF_CSRF_ENABLED": True, "PASSWORD_HASH_METHOD": FAST_HASH})


def same_browser(client, other_app):
    """The same browser (its cookies) talking to the other server."""
    moved = other_app.test_client()
    moved.set_cookie("session", client.get_cookie("session").value)
    return moved


def test_a_live_session_from_start_to_summary(app, sample_set, make_class):
    class_id = make_class(assign="sample")
    teacher = sign_in(app.test_client(), "teacher")
    ana, ben = learner(app, "ana"), learner(app, "ben")
    cas = learner(app, "cas")  # in the class, joins the session late

    assert "Start live session" in page(teacher, f"/teach/classes/{class_id}/")
    projector = start_live(teacher, class_id)
    live_id = int(PROJECTOR.search(projector).group(2))
    follow = f"/live/{live_id}/"
    assert projector == f"/teach/classes/{class_id}/live/{live_id}"
    lobby = page(teacher, projector)
    assert "K7QX-M2PA" in lobby and counts(lobby) == {"joined": 0}
    assert "&lt;strong" not in lobby and "On your phone, open <strong class=\"code\">http://localhost/</strong> and sign in." in lobby
    assert start_live(teacher, class_id) == projector  # a second Start finds the running session
    assert "Open the projector view" in page(teacher, f"/teach/classes/{class_id}/")

    home = page(ana, "/")
    assert "Live now: join" in home and f'action="/live/{live_id}/join"' in home
    for client in (ana, ben):
        joined = post_form(client, "/", {}, action=follow + "join")
        assert joined.status_code == 302 and joined.headers["Location"] == follow
        assert "You are in" in page(client, follow)
    post_form(ana, "/", {}, action=follow + "join")  # joining twice: the same attempt
    assert counts(page(teacher, projector)) == {"joined": 2}
    assert "ana" not in page(teacher, projector)  # names hidden until shown
    post_form(teacher, projector, {}, action=projector + "/names")
    assert "<li>ana</li>" in page(teacher, projector)

    # question 1 (label, right: fact)
    assert open_next(teacher, projector).status_code == 302
    shown = page(teacher, projector)
    assert "Question 1 of 4" in shown and "Putin met U.S. envoys" in shown and counts(shown) == {
        "answered": 0, "joined": 2}
    assert 'name="label"' in page(ana, follow)  # the same form as any quiz
    assert "Your answer is saved" in answer(ana, follow, 0, label="fact")
    answer(ben, follow, 0, label="opinion")
    assert "your first answer is kept" in answer(ben, follow, 0, label="fact")  # a double submission
    assert counts(page(teacher, projector)) == {"answered": 2, "joined": 2}

    # an unchanged poll costs a 304; the projector's counts come in the JSON
    state = ana.get(follow + "state")
    assert state.status_code == 200 and state.json["state"] == "open"
    assert ana.get(follow + "state", headers={"If-None-Match": state.headers["ETag"]}).status_code == 304
    polled = teacher.get(projector + "/state").json
    assert (polled["joined"], polled["answered"]) == (2, 2)

    # a second app server on the same database: ana reloads there, the teacher closes from there
    two = second_server(app)
    try:
        ana_two, teacher_two = same_browser(ana, two), same_browser(teacher, two)
        reloaded = page(ana_two, follow)
        assert "Your answer is saved" in reloaded and 'value="fact"' in reloaded and "checked" in reloaded
        phone = app.test_client()  # a second device, signed in on its own
        post_form(phone, "/login", {"username": "ana", "password": "learner-password"})
        assert "Your answer is saved" in page(phone, follow)
        assert close(teacher_two, projector, 0).status_code == 302
        assert ana.get(follow + "state", headers={"If-None-Match": state.headers["ETag"]}).status_code == 200
        revealed = page(teacher, projector)
        assert "1 of 2 took this reported fact for an opinion." in revealed
        assert re.search(r"Reported fact.*?\(the answer\).*?1 <span class=\"meta\">\(50%\)", revealed, re.S)
        assert "Step 3: a meeting can be checked against records." in revealed
        assert "Right." in page(ana_two, follow) and "Not quite." in page(ben, follow)
    finally:
        with two.app_context():
            db.session.remove()
            db.engine.dispose()

    # the late joiner starts at the current question; a closed question refuses politely
    post_form(cas, "/", {}, action=follow + "join")
    refused = answer(cas, follow, 0, label="fact")
    assert "closed before your answer arrived" in refused and "You did not answer this question in time" in refused
    assert close(teacher, projector, 0).status_code == 302  # closing twice changes nothing
    assert "already done" in page(teacher, projector)

    # question 2 (choice, right: a); a double click on "Open" opens one question
    seen = VERSION_FIELD.search(page(teacher, projector)).group(1)
    open_next(teacher, projector, version=seen)
    open_next(teacher, projector, version=seen)
    assert "Question 2 of 4" in page(teacher, projector)
    assert "Question 2 of 4" in page(cas, follow)
    # options are shuffled as everywhere, but the same way on the projector and every phone
    on_projector = re.findall(r"<li>(Putin met U\.S\. envoys\.|This whole thing feels staged\.)</li>",
                              page(teacher, projector))
    for client in (ana, ben, cas):
        on_phone = re.findall(r'<span class="letter">\w\.</span> <bdi>([^<]+)</bdi></label>', page(client, follow))
        assert on_phone == on_projector and len(on_phone) == 2
    for client, option in ((ana, "a"), (ben, "b"), (cas, "a")):
        answer(client, follow, 1, option=option)
    close(teacher, projector, 1)
    assert re.search(r"[ab]\. Putin met U\.S\. envoys\..*?\(the answer\).*?2 <span class=\"meta\">\(67%\)",
                     page(teacher, projector), re.S)

    # question 3 (spot) closes on its timer: whichever screen asks after the deadline closes it
    open_next(teacher, projector, seconds="15")
    assert "Closes by itself in" in page(ben, follow)
    answer(ana, follow, 2, word=["3", "4"])
    with app.app_context():
        db.session.execute(update(models.LiveSession).values(deadline=models.utcnow() - timedelta(seconds=1)))
        db.session.commit()
    late = answer(ben, follow, 2, word=["3"])
    assert "closed before your answer arrived" in late
    assert ben.get(follow + "state").json["state"] == "closed"

    # question 4 (sort), then the end
    open_next(teacher, projector)
    for client, labels in ((ana, ("fact", "opinion")), (ben, ("fact", "fact")), (cas, ("opinion", "opinion"))):
        answer(client, follow, 3, **{"item-0": labels[0], "item-1": labels[1]})
    close(teacher, projector, 3)
    closed = page(teacher, projector)
    assert "Sentence 1: 1 of 3 took this reported fact for an opinion." in closed
    assert "Sentence 2: 1 of 3 took this opinion for a reported fact." in closed
    assert "Open question 5" not in closed
    ended = post_form(teacher, projector, {}, action=projector + "/end")
    assert ended.status_code == 302
    summary = page(teacher, projector)
    assert "What the class took for what" in summary and 'data-cell="fact-opinion">2 ' in summary
    assert "To discuss: the questions most answered wrongly" in summary
    # most wrong first, then in order: question 4 (2 of 3 wrong), 1 and 2 (1 wrong each); 3 left out
    assert summary.index("Question 4</strong>: 2 of 3 did not") < summary.index("Question 1</strong>: 1 of 2") < \
        summary.index("Question 2</strong>: 1 of 3")
    assert summary.count("1 of 2 took this reported fact for an opinion.") == 1  # question 1's, to discuss
    assert "Question 3</strong>" not in summary
    mine = page(ana, follow)
    # 1 + 1 + spot F1 of 2 right words of 5 (2*2/7) + 1 = 3.571 of 4
    assert "Your result" in mine and "89%" in mine and "3.6 of 4 points" in mine
    assert "Live now" not in page(ana, "/")
    assert "closed before your answer arrived" in answer(cas, follow, 3, **{"item-0": "fact", "item-1": "fact"})

    assert live_answers(app) == sorted([
        ("ana", 0, "fact"), ("ben", 0, "opinion"), ("ana", 1, "a"), ("ben", 1, "b"), ("cas", 1, "a"),
        ("ana", 2, "feels staged"), ("ana", 3, "fact / opinion"), ("ben", 3, "fact / fact"),
        ("cas", 3, "opinion / opinion")])
    with app.app_context():
        attempts = db.session.execute(select(models.User.username, models.Attempt.finished_at, models.Attempt.points)
                                      .join(models.User).where(models.Attempt.kind == "live")).all()
        assert len(attempts) == 3 and all(finished is not None for _n, finished, _p in attempts)
    # ordinary attempts of the class's assignment: the export and the report count them
    export = teacher.get(f"/teach/classes/{class_id}/responses.csv").get_data(as_text=True)
    assert export.count("\r\nana,sample,") == 4 and export.count("\r\ncas,sample,") == 2
    assert "3 learners' counted attempts" in page(teacher, f"/teach/classes/{class_id}/sets/sample/")


def test_a_live_attempt_is_answered_only_on_the_live_screen(app, sample_set, make_class):
    class_id, teacher, ana, projector, follow = ana_in_a_running_session(app, make_class)
    with app.app_context():
        attempt_id = db.session.scalar(select(models.Attempt.id).where(models.Attempt.kind == "live"))
    taken = ana.get(f"/attempts/{attempt_id}/")
    assert taken.status_code == 302 and taken.headers["Location"] == follow
    sneaked = post_form(ana, follow, {"position": "3", "item-0": "fact", "item-1": "opinion"},
                        action=f"/attempts/{attempt_id}/")
    assert sneaked.status_code == 302 and sneaked.headers["Location"] == follow
    finished = post_form(ana, follow, {}, action=f"/attempts/{attempt_id}/finish")
    assert finished.headers["Location"] == follow
    assert live_answers(app) == []
    with app.app_context():
        assert db.session.get(models.Attempt, attempt_id).finished_at is None


def test_only_the_class_sees_the_session_everyone_else_gets_404(app, sample_set, make_class):
    class_id = make_class(assign="sample")
    make_class(name="Other class", code="OTHERCLS", instructor="other")
    teacher = sign_in(app.test_client(), "teacher")
    projector = start_live(teacher, class_id)
    live_id = PROJECTOR.search(projector).group(2)
    follow = f"/live/{live_id}/"
    open_next(teacher, projector)
    member = learner(app, "ana")
    outsider = app.test_client()
    assert join_as(outsider, "zed", code="OTHERCLS").status_code == 302
    other_teacher = sign_in(app.test_client(), "other")
    signed_out = app.test_client()

    for client in (outsider, other_teacher, teacher):  # not learners of the class (the teacher neither)
        assert client.get(follow).status_code == 404
        assert client.get(follow + "state").status_code == 404
        token = csrf_token(client, "/account")
        assert client.post(follow + "join", data={"csrf_token": token}).status_code == 404
        assert client.post(follow + "answer", data={"csrf_token": token, "position": "0",
                                                    "label": "fact"}).status_code == 404
    assert signed_out.get(follow + "state").status_code == 404
    assert signed_out.get(follow).status_code == 302  # to sign in, as every page
    for client in (outsider, other_teacher, member):  # not instructors of the class
        assert client.get(projector).status_code == 404
        assert client.get(projector + "/state").status_code == 404
        token = csrf_token(client, "/account")
        for action in ("/open", "/close", "/end", "/names"):
            assert client.post(projector + action, data={"csrf_token": token, "version": "2", "position": "0",
                                                         "seconds": "0"}).status_code == 404
        assert client.post(f"/teach/classes/{class_id}/live/", data={"csrf_token": token,
                                                                     "set_id": "sample"}).status_code == 404
    assert other_teacher.get(f"/teach/classes/{class_id}/live/999999").status_code == 404
    assert member.get("/live/999999/").status_code == 404
    assert "Live now" not in page(outsider, "/")
    assert post_form(member, "/", {}, action=follow + "join").status_code == 302
    assert member.get(follow).status_code == 200


def test_erasing_a_learner_erases_their_live_answers(app, sample_set, make_class, runner):
    class_id = make_class(assign="sample")
    teacher = sign_in(app.test_client(), "teacher")
    ana, ben = learner(app, "ana"), learner(app, "ben")
    projector = start_live(teacher, class_id)
    follow = f"/live/{PROJECTOR.search(projector).group(2)}/"
    for client in (ana, ben):
        post_form(client, "/", {}, action=follow + "join")
    open_next(teacher, projector)
    answer(ana, follow, 0, label="fact")
    answer(ben, follow, 0, label="fact")
    result = runner.invoke(args=["learner", "delete", "ana", "--yes"])
    assert result.exit_code == 0, result.output
    assert [a[0] for a in live_answers(app)] == ["ben"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(models.LiveParticipant)) == 1
    assert counts(page(teacher, projector)) == {"answered": 1, "joined": 1}


def test_a_set_not_yet_assigned_is_assigned_when_run_live(app, sample_set, make_class):
    class_id = make_class()
    teacher = sign_in(app.test_client(), "teacher")
    assert "Sample set (not assigned yet)" in page(teacher, f"/teach/classes/{class_id}/")
    start_live(teacher, class_id)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(models.Assignment)
                                 .where(models.Assignment.classroom_id == class_id)) == 1


def test_an_unchanged_poll_is_one_query_and_a_password_change_ends_it(app, sample_set, make_class):
    from sqlalchemy import event

    class_id, teacher, ana, projector, follow = ana_in_a_running_session(app, make_class)
    etag = ana.get(follow + "state").headers["ETag"]
    statements: list[str] = []

    def record(_connection, _cursor, sql, *_args):  # type: ignore[no-untyped-def]
        if not sql.startswith("BEGIN"):  # SQLite's explicit BEGIN is no query
            statements.append(sql)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert ana.get(follow + "state", headers={"If-None-Match": etag}).status_code == 304
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 1, statements  # who, which session, their answer: one SELECT
    post_form(teacher, projector, {}, action=projector + "/names")  # the projector changes, no phone does
    assert ana.get(follow + "state", headers={"If-None-Match": etag}).status_code == 304
    with app.app_context():
        accounts.set_password(accounts.find_user(db.session, "ana"), "a-new-password")
        db.session.commit()
    assert ana.get(follow + "state", headers={"If-None-Match": etag}).status_code == 404


def test_removing_the_assignment_of_a_running_session_finishes_its_attempts(app, sample_set, make_class):
    class_id, teacher, ana, projector, follow = ana_in_a_running_session(app, make_class)
    assert open_next(teacher, projector).status_code == 302
    answer(ana, follow, 0, label="fact")
    with app.app_context():
        assignment_id = db.session.scalar(select(models.Assignment.id))
    remove = f"/teach/classes/{class_id}/assignments/{assignment_id}/remove"
    assert post_form(teacher, remove, {}).status_code == 302
    with app.app_context():
        attempt = db.session.scalar(select(models.Attempt).where(models.Attempt.kind == "live"))
        assert attempt.finished_at is not None and attempt.points == 1
        assert db.session.scalar(select(func.count(models.Answer.id))) == 1
    review = ana.get(f"/attempts/{attempt.id}/review")
    assert review.status_code == 200 and "Putin met U.S. envoys" in review.get_data(as_text=True)


def test_a_persons_export_names_the_live_sessions_they_joined_or_ran(app, sample_set, make_class):
    from quiz import privacy

    _class_id, _teacher, _ana, projector, _follow = ana_in_a_running_session(app, make_class)
    live_id = int(PROJECTOR.search(projector).group(2))
    with app.app_context():
        learner_data = privacy.export_person(db.session, accounts.find_user(db.session, "ana"))
        teacher_data = privacy.export_person(db.session, accounts.find_user(db.session, "teacher"))
    assert [entry["session"] for entry in learner_data["live_sessions_joined"]] == [live_id]
    assert learner_data["live_sessions_started"] == [] and learner_data["classes_taught"] == []
    assert [entry["session"] for entry in teacher_data["live_sessions_started"]] == [live_id]
    assert teacher_data["classes_taught"] == ["Year 9"]
