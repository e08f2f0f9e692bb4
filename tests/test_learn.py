"""The learner's side through HTTP, on both databases: practice, classes, answers kept once."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from quiz import models
from quiz.db import db

from support import ROOT, csrf_token, join_as, post_form


def start(client, slug="sample") -> str:
    response = post_form(client, f"/sets/{slug}/", {}, action=f"/sets/{slug}/start")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].split("?")[0]  # the attempt's address, without ?q=0


def answer(client, attempt_url: str, position: int, **fields):
    data = {"position": str(position)}
    data.update(fields)
    return post_form(client, attempt_url, data)


def answers_stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(models.Answer.id)))


def test_practice_without_an_account_scores_every_type(client, sample_set, app):
    url = start(client)
    assert re.fullmatch(r"/attempts/\d+/", url)
    page = client.get(url).get_data(as_text=True)
    assert "Question 1 of 4" in page and "Putin met U.S. envoys" in page
    feedback = answer(client, url, 0, label="fact")   # the reply is the feedback page itself
    assert feedback.status_code == 200 and feedback.headers["Cache-Control"] == "no-store"
    page = feedback.get_data(as_text=True)
    assert "Right." in page and "Step 3: a meeting can be checked against records." in page
    assert f'data-address="{url}?q=0"' in page   # the address quiz.js puts in the address bar
    shown = client.get(url + "?q=0").get_data(as_text=True)   # what a refresh then asks for
    assert "Right." in shown and "Step 3: a meeting can be checked against records." in shown
    answer(client, url, 1, option="a")
    answer(client, url, 2, word=["3", "4"])  # "feels staged": 2 of the answer's 5 words
    answer(client, url, 3, **{"item-0": "fact", "item-1": "commentary"})  # an accepted second label
    assert "See my result" in client.get(url).get_data(as_text=True)
    done = post_form(client, url, {}, action=url + "finish")
    review = client.get(done.headers["Location"]).get_data(as_text=True)
    # 1 + 1 + F1(2 of 5 words, all right) = 2*2/(2+5) + 1 = 3.571 of 4 points
    assert "89%" in review and "3.6 of 4 points" in review
    assert "<mark>feels staged</mark>" in review
    assert "a second label a teacher can defend here" in review
    assert "You caught 2 of 2 reported facts." in review
    assert "always answering one label, without reading, would have scored 38%" in review  # always "fact": 1 + 1/2 of 4


def test_double_submit_stores_one_answer_and_keeps_the_first(client, sample_set, app):
    url = start(client)
    answer(client, url, 0, label="opinion")
    second = answer(client, url, 0, label="fact")
    assert second.status_code == 302
    assert answers_stored(app) == 1
    page = client.get(url + "?q=0").get_data(as_text=True)
    assert "your first answer is kept" in page and "Not quite." in page


def test_leaving_and_coming_back_resumes_at_the_next_question(client, sample_set):
    url = start(client)
    answer(client, url, 0, label="fact")
    answer(client, url, 1, option="b")
    assert "Question 3 of 4" in client.get(url).get_data(as_text=True)
    assert start(client) == url  # starting again continues the unfinished attempt
    assert "Continue where you left off" in client.get("/sets/sample/").get_data(as_text=True)


def test_finishing_twice_scores_once(client, sample_set, app):
    url = start(client)
    answer(client, url, 0, label="fact")
    post_form(client, url, {}, action=url + "finish")
    with app.app_context():
        first = db.session.scalar(select(models.Attempt))
        finished_at, points = first.finished_at, first.points
    client.post(url + "finish", data={"csrf_token": csrf_token(client, "/sets/sample/")})
    with app.app_context():
        again = db.session.scalar(select(models.Attempt))
        assert (again.finished_at, again.points) == (finished_at, points) and points == 1.0


def test_an_answer_racing_the_finish_is_not_stored(client, sample_set, app):
    from quiz import attempts as service

    url = start(client)
    answer(client, url, 0, label="fact")
    post_form(client, url, {}, action=url + "finish")   # finished between the answer's read and its write
    with app.app_context():
        item = db.session.scalar(select(models.AttemptItem).where(models.AttemptItem.position == 1))
        stored = service.record_answer(db.session, item.attempt_id, item.id, service.item_question(item), ["a"])
        db.session.commit()
    assert not stored and answers_stored(app) == 1


def test_someone_elses_attempt_and_review_answer_404(app, sample_set):
    owner, stranger = app.test_client(), app.test_client()
    url = start(owner)
    answer(owner, url, 0, label="fact")
    assert stranger.get(url).status_code == 404
    assert stranger.get(url + "review").status_code == 404
    token = csrf_token(stranger, "/sets/sample/")
    assert stranger.post(url, data={"csrf_token": token, "position": "1", "option": "a"}).status_code == 404
    assert answers_stored(app) == 1


def test_a_learner_never_sees_another_learners_attempt(app, sample_set, make_class):
    make_class(assign="sample")
    alice, bob = app.test_client(), app.test_client()
    join_as(alice, "alice")
    join_as(bob, "bob")
    url = start(alice)
    assert bob.get(url).status_code == 404 and bob.get(url + "review").status_code == 404


def test_missing_or_forged_csrf_token_is_refused_and_nothing_is_stored(client, sample_set, app):
    url = start(client)
    assert client.post(url, data={"position": "0", "label": "fact"}).status_code == 400
    refused = client.post(url, data={"position": "0", "label": "fact", "csrf_token": "forged"})
    assert refused.status_code == 400 and "This form has expired" in refused.get_data(as_text=True)
    assert answers_stored(app) == 0


def test_forged_answers_get_a_clear_message_and_store_nothing(client, sample_set, app):
    url = start(client)
    bad = answer(client, url, 0, label="propaganda")
    assert bad.status_code == 422 and "Choose one of the labels" in bad.get_data(as_text=True)
    assert answer(client, url, 99, label="fact").status_code == 400
    assert answer(client, url, "x", label="fact").status_code == 400
    answer(client, url, 0, label="fact")
    answer(client, url, 1, option="a")
    assert answer(client, url, 2, word=["999"]).status_code == 422
    assert answer(client, url, 3, **{"item-0": "fact"}).status_code == 422
    assert answers_stored(app) == 2


def test_set_text_with_markup_is_shown_as_text(client, app, tmp_path):
    from quiz.importer import import_paths

    path = tmp_path / "xss.yaml"
    path.write_text("""format: 1
id: xss
title: "<script>alert(1)</script> {{ 7*7 }}"
questions:
  - id: q
    type: label
    statement: "<img src=x onerror=alert(1)> said {{ 7*7 }}"
    answer: fact
    why: "<b>Step 3</b>"
""", encoding="utf-8")
    with app.app_context():
        import_paths(db.session, [path])
    page = client.get("/sets/xss/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in page and "<script>alert" not in page
    assert "49" not in page
    url = start(client, "xss")
    question = client.get(url).get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt; said {{ 7*7 }}" in question and "<img src=x" not in question
    answer(client, url, 0, label="fact")
    assert "&lt;b&gt;Step 3&lt;/b&gt;" in client.get(url + "?q=0").get_data(as_text=True)


def test_set_text_stored_with_direction_controls_is_isolated_where_it_sits_beside_page_text(client, app,
                                                                                           sample_set):
    """The loader refuses U+202A-202E and U+2066-2069 now; a set stored before that still cannot
    turn the page text around it backwards: inline set text is shown inside <bdi>."""
    override = "\u202e"
    with app.app_context():
        qset = db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == "sample"))
        qset.title = f"Sample {override}set"
        qset.source = {"headline": f"Putin {override}says"}
        for question in qset.current_questions:
            version = question.current
            asked = dict(version.asked)
            if asked["type"] == "choice":
                asked["options"] = [f"{override}{text}" for text in asked["options"]]
            if asked["type"] == "sort":
                asked["items"] = [dict(item, text=f"{override}{item['text']}") for item in asked["items"]]
            version.asked = asked
        db.session.commit()
    assert f"<bdi>Sample {override}set</bdi>" in client.get("/").get_data(as_text=True)
    assert f"<bdi>Putin {override}says</bdi>" in client.get("/sets/sample/").get_data(as_text=True)
    url = start(client)
    answer(client, url, 0, label="fact")
    choice = client.get(url).get_data(as_text=True)
    assert choice.count(f"</span> <bdi>{override}") == 2  # both options
    answer(client, url, 1, option="a")
    answer(client, url, 2, word=["3"])
    sort = client.get(url).get_data(as_text=True)
    assert sort.count(f"<bdi>{override}") == 2 and "Sentence 1: </span><bdi>" in sort

@pytest.mark.parametrize("path", ["/", "/login", "/join", "/sets/sample/", "/nowhere"])
def test_every_page_sends_a_strict_content_security_policy(client, sample_set, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_class_only_sets_are_hidden_from_those_not_assigned(app, tmp_path, make_class):
    from quiz.importer import import_paths
    from support import SAMPLE_SET

    path = tmp_path / "hidden.yaml"
    path.write_text(SAMPLE_SET.replace("id: sample", "id: hidden\nvisibility: classes", 1), encoding="utf-8")
    with app.app_context():
        import_paths(db.session, [path])
    make_class(assign="hidden")
    make_class(name="Other", code="OTHER234")
    anonymous, outsider, member = app.test_client(), app.test_client(), app.test_client()
    join_as(outsider, "outsider", code="OTHER234")
    join_as(member, "member")
    assert anonymous.get("/sets/hidden/").status_code == 404
    assert "/sets/hidden/" not in anonymous.get("/").get_data(as_text=True)
    assert outsider.get("/sets/hidden/").status_code == 404
    assert member.get("/sets/hidden/").status_code == 200
    assert "Assigned to you" in member.get("/").get_data(as_text=True)


def test_one_learner_joins_a_second_class_with_only_a_code(app, sample_set, make_class):
    make_class()
    second = make_class(name="Debate club", code="DEBATE23")
    client = app.test_client()
    join_as(client, "sam")
    form = client.get("/join").get_data(as_text=True)
    assert 'name="username"' not in form  # signed in: only the code
    response = post_form(client, "/join", {"code": "debate-23"})
    assert response.status_code == 302
    assert "You joined Debate club." in client.get("/").get_data(as_text=True)
    with app.app_context():
        sam = db.session.scalar(select(models.User).where(models.User.username == "sam"))
        assert {m.classroom_id for m in sam.memberships} == {1, second} or len(sam.memberships) == 2


def test_join_refuses_a_wrong_code_and_a_taken_username(app, make_class):
    make_class()
    client = app.test_client()
    wrong = post_form(client, "/join", {"code": "NOPE", "username": "kim", "password": "long-enough",
                                        "confirm": "long-enough"})
    assert "No open class has that code" in wrong.get_data(as_text=True)
    join_as(app.test_client(), "kim")
    taken = join_as(app.test_client(), "KIM")
    assert "That username is taken" in taken.get_data(as_text=True)


def test_passwords_are_hashed_and_login_rotates_the_session(app, make_class):
    make_class()
    client = app.test_client()
    join_as(client, "lee")
    with app.app_context():
        user = db.session.scalar(select(models.User).where(models.User.username == "lee"))
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:")) and "learner-password" not in user.password_hash
    post_form(client, "/", {}, action="/logout")
    with client.session_transaction() as session:
        session["practice_token"] = "from-before"
    post_form(client, "/login", {"username": "lee", "password": "learner-password"})
    with client.session_transaction() as session:
        assert "practice_token" not in session and session.get("_user_id")
    bad = post_form(app.test_client(), "/login", {"username": "lee", "password": "wrong"})
    assert "do not match" in bad.get_data(as_text=True)


@pytest.mark.parametrize("target,expected", [
    ("/progress", "/progress"), ("https://evil.example/", "/"), ("//evil.example/", "/"),
    ("/\\evil.example", "/"), ("javascript:alert(1)", "/")])
def test_login_next_only_goes_to_local_paths(app, make_class, target, expected):
    make_class()
    join_as(app.test_client(), "ria")
    client = app.test_client()
    page = f"/login?next={target}"
    response = post_form(client, page, {"username": "ria", "password": "learner-password"})
    assert response.headers["Location"] == expected


def test_changing_the_password_signs_out_other_devices(app, make_class):
    make_class()
    phone, laptop = app.test_client(), app.test_client()
    join_as(phone, "noor")
    post_form(laptop, "/login", {"username": "noor", "password": "learner-password"})
    post_form(phone, "/account", {"current": "learner-password", "password": "a-new-password",
                                  "confirm": "a-new-password"})
    assert phone.get("/account").status_code == 200
    assert laptop.get("/account").status_code == 302
    assert post_form(app.test_client(), "/login", {"username": "noor", "password": "a-new-password"}).status_code == 302


def test_progress_lists_attempts_and_practises_mistakes(app, sample_set, make_class):
    make_class(assign="sample")
    client = app.test_client()
    join_as(client, "ola")
    url = start(client)
    answer(client, url, 0, label="opinion")  # wrong
    answer(client, url, 1, option="a")
    answer(client, url, 2, word=[])
    answer(client, url, 3, **{"item-0": "opinion", "item-1": "opinion"})
    post_form(client, url, {}, action=url + "finish")
    page = client.get("/progress").get_data(as_text=True)
    assert "Sample set" in page and "<svg" in page
    assert "Your most common confusion now: reported facts taken for opinions (2 sentences in your latest answers)." in page
    practice = post_form(client, "/progress", {}, action="/progress/mistakes")
    mistakes = practice.headers["Location"]
    assert "Question 1 of 3" in client.get(mistakes).get_data(as_text=True)  # met, staged, passage
    with app.app_context():   # a mistakes attempt has no set: each item's set is read with it
        from quiz.attempts import attempt_state

        state = attempt_state(db.session, int(mistakes.split("?")[0].strip("/").split("/")[-1]))
        qset = db.session.scalar(select(models.QuestionSet).where(models.QuestionSet.slug == "sample"))
        assert state.set_id is None and {(i.set_id, i.digest) for i in state.items} == {(qset.id, qset.digest)}


def test_progress_says_what_is_true_now_once_every_mistake_is_practised(app, sample_set, make_class):
    make_class(assign="sample")
    client = app.test_client()
    join_as(client, "pia")
    url = start(client)
    answer(client, url, 0, label="opinion")  # wrong: a reported fact taken for an opinion
    answer(client, url, 1, option="a")
    answer(client, url, 2, word=["3", "4", "7", "8", "9"])
    answer(client, url, 3, **{"item-0": "fact", "item-1": "opinion"})
    post_form(client, url, {}, action=url + "finish")
    page = client.get("/progress").get_data(as_text=True)
    assert "reported facts taken for opinions (1 sentence in your latest answers)" in page
    assert "1 question is still wrong in your latest answers." in page
    assert re.search(r"1 finished attempt, on \d+ \w+ \d{4}\.", page)
    mistakes = post_form(client, "/progress", {}, action="/progress/mistakes").headers["Location"]
    answer(client, mistakes, 0, label="fact")  # put right
    post_form(client, mistakes, {}, action=mistakes + "finish")
    page = client.get("/progress").get_data(as_text=True)
    assert "most common confusion" not in page
    assert "nothing to practise now" in page and "Practise my mistakes</button>" not in page
    assert "2 finished attempts" in page
    again = post_form(client, "/progress", {}, action="/progress/mistakes", follow_redirects=True)
    assert "Nothing to practise" in again.get_data(as_text=True)


def test_the_site_icon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00"
    assert client.get("/static/favicon.svg").status_code == 200


def test_assignment_limits_attempts(app, sample_set, make_class):
    make_class(assign="sample", attempts_allowed=1)
    client = app.test_client()
    join_as(client, "max")
    url = start(client)
    answer(client, url, 0, label="fact")
    post_form(client, url, {}, action=url + "finish")
    again = post_form(client, "/sets/sample/", {}, action="/sets/sample/start", follow_redirects=True)
    assert "You have used every attempt" in again.get_data(as_text=True)


def test_assignment_feedback_after_the_attempt_hides_answers_until_the_end(app, sample_set, make_class):
    make_class(assign="sample", feedback="after")
    client = app.test_client()
    join_as(client, "zoe")
    url = start(client)
    response = answer(client, url, 0, label="opinion")
    assert response.headers["Location"] == url + "?q=1"  # the next question, by its own address
    assert "Question 2 of 4" in client.get(url).get_data(as_text=True)
    assert "Not quite" not in client.get(url + "?q=0").get_data(as_text=True)


def test_shuffled_order_is_stable_across_refreshes(app, sample_set, make_class):
    make_class(assign="sample", shuffle=True)
    client = app.test_client()
    join_as(client, "ivy")
    url = start(client)
    first = client.get(url).get_data(as_text=True)
    assert client.get(url).get_data(as_text=True) == first.replace(
        re.search(r'value="([^"]+)"', first).group(1), re.search(r'value="([^"]+)"', first).group(1))


PINNED = """format: 1
id: pinned
title: Options in a new order every time
questions:
  - id: which
    type: choice
    prompt: "Which sentence reports a fact?"
    options: ["Opt one.", "Opt two.", "Opt three.", "Opt four.", "Opt five.", "None of these."]
    answer: c
    pin: f
    why: "Step 3."
"""


def test_practice_shuffles_choice_options_keeps_pinned_ones_and_scores_author_letters(client, app, tmp_path):
    from quiz.importer import import_paths

    path = tmp_path / "pinned.yaml"
    path.write_text(PINNED, encoding="utf-8")
    with app.app_context():
        import_paths(db.session, [path])
    orders = set()
    for _ in range(8):  # 5! orders of the free options: 8 attempts all alike would be a 1 in 120^7 chance
        url = start(client, "pinned")
        page = client.get(url).get_data(as_text=True)
        shown = re.findall(r'value="([a-f])"', page)
        assert sorted(shown) == list("abcdef") and shown[-1] == "f"  # "None of these." stays last
        assert page.index("Opt three.") < page.index("None of these.")
        orders.add("".join(shown))
        answer(client, url, 0, option="c")  # the author's letter, wherever it is shown
        post_form(client, url, {}, action=url + "finish")
    assert len(orders) > 1
    with app.app_context():
        assert set(db.session.scalars(select(models.Attempt.points))) == {1.0}


def test_practice_attempts_are_deleted_after_seven_days(app, sample_set):
    old = app.test_client()
    url = start(old)
    answer(old, url, 0, label="fact")
    with app.app_context():
        attempt = db.session.scalar(select(models.Attempt))
        attempt.started_at = models.utcnow() - timedelta(days=8)
        db.session.commit()
    app.extensions["quiz_purge"]["due"] = 0.0  # an hour has passed since this process last purged
    app.test_client().get("/").close()  # any page view then clears the old ones, once it has gone out
    with app.app_context():
        assert db.session.scalar(select(func.count(models.Attempt.id))) == 0
        assert db.session.scalar(select(func.count(models.Answer.id))) == 0
    assert old.get(url).status_code == 404


def test_healthz_says_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok"


def test_gunicorn_refuses_to_start_without_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "FLASK_RUN_FROM_CLI")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'quiz.db'}"
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    result = subprocess.run([gunicorn, "--bind", "127.0.0.1:0", "quiz:create_app()"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr



def test_back_after_answering_shows_that_question_again_without_javascript(app, sample_set):
    """What Back loads is the address before the answer (no-store: the server is asked again)."""
    client = app.test_client()
    first = post_form(client, "/sets/sample/", {}, action="/sets/sample/start").headers["Location"]
    assert first.endswith("?q=0")
    assert "Question 1 of 4" in client.get(first).get_data(as_text=True)
    answered = post_form(client, first, {"position": "0", "label": "opinion"})
    assert answered.status_code == 200 and 'id="feedback"' in answered.get_data(as_text=True)
    back = client.get(first).get_data(as_text=True)  # Back from the feedback
    assert "Question 1 of 4" in back and 'id="feedback"' in back and "Putin met U.S. envoys" in back


def test_back_in_whole_attempt_mode_shows_the_saved_answer_not_the_next_question(app, sample_set, make_class):
    make_class(assign="sample", feedback="after")
    client = app.test_client()
    join_as(client, "ivy")
    first = post_form(client, "/sets/sample/", {}, action="/sets/sample/start").headers["Location"]
    saved = post_form(client, first, {"position": "0", "label": "fact"})
    assert saved.headers["Location"].endswith("?q=1")
    assert "Question 2 of 4" in client.get(saved.headers["Location"]).get_data(as_text=True)
    back = client.get(first).get_data(as_text=True)
    assert "Question 1 of 4" in back and "Your answer is saved" in back


def test_each_learner_sees_feedback_on_their_own_answer_and_a_reimport_at_once(app, sample_set, tmp_path):
    """Question parts are kept rendered per version and answer: one learner's answer never shows
    in another's feedback, and a reworded `why` or article shows on the next page after its re-import."""
    from quiz.importer import import_paths
    from support import SAMPLE_SET

    pages = {}
    for label in ("fact", "opinion", "fact"):
        client = app.test_client()
        url = start(client)
        answer(client, url, 0, label=label)
        pages.setdefault(label, []).append(client.get(url + "?q=0").get_data(as_text=True))
    right, wrong = pages["fact"][0], pages["opinion"][0]
    assert "Right." in right and "the answer." in right and "Not quite." not in right
    assert "Not quite." in wrong and "Right." not in wrong and "You chose" in wrong and "Opinion" in wrong
    def without_attempt_ids(page: str) -> str:
        return re.sub(r"/attempts/\d+/", "/attempts/N/", page)

    assert without_attempt_ids(pages["fact"][1]) == without_attempt_ids(right)  # the same answer, the same page
    path = tmp_path / "sample.yaml"
    assert "Read the article" in right and "The talks ran late." not in right
    path.write_text(SAMPLE_SET.replace("Step 3: a meeting can be checked against records.",
                                       "Step 3: the meeting is on the record.")
                    .replace("choreographed performance.\nquestions:",
                             "choreographed performance. The talks ran late.\nquestions:"), encoding="utf-8")
    with app.app_context():
        assert import_paths(db.session, [path]).updated
    client = app.test_client()
    url = start(client)
    answer(client, url, 0, label="fact")
    shown = client.get(url + "?q=0").get_data(as_text=True)
    assert "Step 3: the meeting is on the record." in shown and "checked against records" not in shown
    assert "The talks ran late." in shown
