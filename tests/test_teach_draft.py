"""Draft from an article on the instructor's sets page: paste text, download a draft set file,
behind the licence note, CSRF-protected and for instructors only; on both databases."""
from __future__ import annotations

import re

from quiz import accounts
from quiz.db import db
from quiz.draft import licence_note
from quiz.sets import load_set

from support import csrf_token, join_as, make_classroom, post_form

ARTICLE = """The council voted 7-2 on Tuesday to close the Elm Street library, said Mayor Ana Ruiz.
Well, isn't that just wonderful? The decision seems designed to sell the land.
"""


def teacher(app):
    with app.app_context():
        accounts.create_user(db.session, "teacher", "teacher-password", role="instructor")
        db.session.commit()
    client = app.test_client()
    assert post_form(client, "/login", {"username": "teacher", "password": "teacher-password"}).status_code == 302
    return client


def test_sets_page_offers_draft_from_an_article_behind_the_licence_note(app):
    page = teacher(app).get("/teach/sets/").get_data(as_text=True)
    assert "Draft from an article" in page
    assert 'action="/teach/sets/draft"' in page
    note = licence_note()
    assert note and "CC BY-NC-SA" in note
    assert note in page.replace("&#39;", "'")


def test_pasted_article_downloads_a_draft_that_passes_the_loader(app):
    client = teacher(app)
    token = csrf_token(client, "/teach/sets/")
    response = client.post("/teach/sets/draft", data={"draft-csrf_token": token, "draft-article": ARTICLE,
                                                      "draft-title": "Elm Street library", "draft-licence": "y"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="elm-street-library.yaml"'
    text = response.get_data(as_text=True)
    assert "# Model: " + licence_note() in text
    loaded = load_set(text, "draft.yaml")
    assert loaded.set.title == "Elm Street library"
    statements = [q.statement for q in loaded.set.questions if q.type == "label"]
    assert "Well, isn't that just wonderful?" in statements
    assert "CHECK FIRST" in text or "Check first" not in text


def test_draft_needs_the_licence_ticked_and_keeps_the_pasted_text(app):
    client = teacher(app)
    token = csrf_token(client, "/teach/sets/")
    response = client.post("/teach/sets/draft", data={"draft-csrf_token": token, "draft-article": ARTICLE})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tick the box to confirm you have read the licence note." in page
    assert "Well, isn&#39;t that just wonderful?" in page


def test_draft_without_a_csrf_token_is_refused(app):
    client = teacher(app)
    response = client.post("/teach/sets/draft", data={"draft-article": ARTICLE, "draft-licence": "y"})
    assert response.status_code == 400
    assert "attachment" not in response.headers.get("Content-Disposition", "")


def test_learners_and_strangers_cannot_draft(app):
    make_classroom(app)
    learner = app.test_client()
    join_as(learner, "lena")
    assert learner.get("/teach/sets/draft").status_code == 404
    token = csrf_token(learner, "/account")
    assert learner.post("/teach/sets/draft", data={"draft-csrf_token": token, "draft-article": ARTICLE,
                                                   "draft-licence": "y"}).status_code == 404
    anonymous = app.test_client().get("/teach/sets/draft")
    assert anonymous.status_code == 302 and re.search(r"/login", anonymous.headers["Location"])


def test_an_article_over_the_limit_gets_the_forms_own_message_not_a_413(app):
    client = teacher(app)
    token = csrf_token(client, "/teach/sets/")
    too_long = "\u2019" * 100_001  # 900 KB once form-encoded: the size limit must not answer first
    response = client.post("/teach/sets/draft", data={"draft-csrf_token": token, "draft-article": too_long,
                                                      "draft-licence": "y"})
    assert response.status_code == 422
    assert "An article holds at most 100,000 characters" in response.get_data(as_text=True)


def test_a_paste_with_no_words_gets_a_sentence_not_a_draft(app):
    client = teacher(app)
    token = csrf_token(client, "/teach/sets/")
    response = client.post("/teach/sets/draft", data={"draft-csrf_token": token, "draft-article": "<p></p><div> </div>",
                                                      "draft-licence": "y"})
    assert response.status_code == 422
    assert "The article has no text to draft from: paste the article&#39;s words, not only its markup." in \
        response.get_data(as_text=True)
