"""Every page as teachers and learners meet it, on a phone (390x844) and a laptop (1280x800).

Each page a test visits is checked at both sizes: nothing wider than the screen (a wide table
scrolls inside its own box, never the page), and axe-core finds no violation at all. Each is
saved as a screenshot in screenshots/ (git-ignored), NAME-phone.png and NAME-laptop.png.
Then what only a browser shows: a six-sentence sort fits a phone, Back after answering shows
the answered question, the spot words are one toolbar, the class page lists and removes
assignments, and the teacher's preview shows every accepted label.
"""
from __future__ import annotations

import re

from test_instructor_browser import SET_BROKEN, make_instructor, sign_in, take_sample_set_over_http, upload
from test_learner_browser import (
    MET,
    answer_whatever_is_asked,
    attempt_id,
    expect,
    follow,
    join_with_mouse,
    radio,
    run_axe,
    sentence_group,
)

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
WIDTHS = """() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"""


class PageCheck:
    """Checks the page on screen at both sizes, collects every problem, saves the screenshots."""

    def __init__(self, page, screenshot):  # type: ignore[no-untyped-def]
        self.page, self.screenshot, self.problems, self.seen = page, screenshot, [], []

    def __call__(self, name: str) -> None:
        page = self.page
        expect(page.locator("main")).to_be_visible()
        for size, viewport in (("phone", PHONE), ("laptop", LAPTOP)):
            page.set_viewport_size(viewport)
            widths = page.evaluate(WIDTHS)
            if widths["scroll"] > widths["inner"]:
                self.problems.append(f"{name} ({page.url}) at {size}: {widths['scroll']} px wide on a "
                                     f"{widths['inner']} px screen")
            self.screenshot(page, f"{name}-{size}.png")
        page.set_viewport_size(PHONE)
        for violation in run_axe(page):
            targets = [node["target"] for node in violation["nodes"]][:3]
            self.problems.append(f"{name} ({page.url}): axe {violation['id']} [{violation['impact']}] "
                                 f"{violation['help']} at {targets}")
        self.seen.append(name)

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def font_px(locator) -> float:  # type: ignore[no-untyped-def]
    return float(locator.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))


def phone_page(new_context):  # type: ignore[no-untyped-def]
    page = new_context(viewport=PHONE).new_page()
    page.set_default_timeout(10_000)
    return page


# -- learners ----------------------------------------------------------------------------------

LONG_TITLE = "Disinformationsbekämpfungsmaßnahmenverordnungsentwurfsbegründungsabschnittsüberschrift"


def add_set_with_a_long_unbroken_title(live, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from quiz.db import db
    from quiz.importer import import_paths
    from support import SAMPLE_SET

    path = tmp_path / "long.yaml"
    path.write_text(SAMPLE_SET.replace("id: sample", "id: long-title", 1).replace("title: Sample set", f"title: {LONG_TITLE}", 1),
                    encoding="utf-8")
    with live.app.app_context():
        assert not import_paths(db.session, [path]).errors
        db.session.remove()


def test_every_learner_page_fits_a_phone_and_passes_axe(live_server, new_context, screenshot, tmp_path):
    live = live_server
    base = live.url
    live.make_class(assign="sample")
    page = phone_page(new_context)
    check = PageCheck(page, screenshot)

    page.goto(base + "/")
    source = page.locator("ul.cards > li").filter(has_text="first steps").locator(".source")
    expect(source).to_contain_text("From: “Putin says there are points")
    check("home-signed-out")
    add_set_with_a_long_unbroken_title(live, tmp_path)
    page.reload()
    card = page.locator("ul.cards > li").filter(has_text=LONG_TITLE)
    expect(card).to_contain_text("4 questions")
    expect(card).to_contain_text("about 3 minutes")
    assert card.evaluate("card => card.scrollWidth <= card.clientWidth"), "a long title overflows its card"
    check("home-long-title")
    page.goto(base + "/login")
    check("login")
    page.goto(base + "/join")
    check("join")
    page.goto(base + "/nowhere")
    check("not-found")

    join_with_mouse(page, base, "ada")
    check("home-signed-in")
    page.goto(base + "/account")
    check("account")
    page.goto(base + "/sets/sample/")
    check("set")
    # the start action comes before the article, which is folded
    start = page.get_by_role("button", name="Start")
    assert start.bounding_box()["y"] < page.locator("details.article").bounding_box()["y"]
    expect(page.locator("details.article")).not_to_have_attribute("open", "")
    assert start.bounding_box()["y"] + start.bounding_box()["height"] < PHONE["height"]
    follow(page, start)

    answers = [lambda: radio(page, "Reported fact").check(),
               lambda: page.get_by_role("radio", name=MET).check(),
               lambda: page.get_by_role("button", name="staged", exact=True).click(),
               lambda: (radio(page, "Reported fact", sentence_group(page, 1)).check(),
                        radio(page, "Opinion", sentence_group(page, 2)).check())]
    for kind, answer in zip(["label", "choice", "spot", "sort"], answers):
        check(f"question-{kind}")
        answer()
        follow(page, page.get_by_role("button", name="Check"))
        check(f"feedback-{kind}")
        if kind != "sort":
            follow(page, page.get_by_role("link", name="Next question"))
    page.goto(page.url.split("?")[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("You answered every question")
    check("finish")
    follow(page, page.get_by_role("button", name="See my result"))
    expect(page.locator(".result .score strong")).to_have_text(re.compile(r"^\d+%$"))
    check("result")
    page.goto(base + "/progress")
    expect(page.locator("svg.chart text").filter(has_text="100%")).to_have_count(1)
    check("progress")
    page.goto(base + "/attempts/999/")
    check("attempt-not-found")
    check.assert_clean()
    assert len(check.seen) == 20


SIX_SENTENCES = """\
format: 1
id: six-sentences
title: Six sentences
questions:
  - id: opening
    type: sort
    prompt: "Label each sentence of the opening paragraph of the commentary."
    items:
      - {text: "Putin says there are points he can’t agree to in the U.S. proposal to end Ukraine war.", answer: fact, why: "Step 3: what Putin said is on the record."}
      - {text: "Well, isn’t that just a surprise?", answer: opinion, why: "Step 1: sarcasm."}
      - {text: "It seems the whole charade surrounding the potential peace agreement, allegedly crafted with U.S. input, has hit a snag.", answer: opinion, why: "Step 1: 'charade' judges."}
      - {text: "And by snag, I mean the guy who supposedly masterminded the whole thing, Putin himself, has some serious reservations.", answer: opinion, accept: [commentary], why: "Step 1: 'the guy' mocks."}
      - {text: "This whole thing feels staged, like a carefully choreographed performance, complete with a villain who’s not quite ready to take his final bow.", answer: opinion, why: "Step 1: 'staged' judges."}
      - {text: "It’s almost comical, if the stakes weren’t so incredibly high.", answer: opinion, why: "Step 1: 'comical' mocks."}
"""


def test_a_six_sentence_sort_fits_a_phone(live_server, new_context, screenshot, tmp_path):
    """Six long sentences from the seed article: the label definitions once, one compact row each."""
    from quiz.db import db
    from quiz.importer import import_paths

    (tmp_path / "six.yaml").write_text(SIX_SENTENCES, encoding="utf-8")
    with live_server.app.app_context():
        assert not import_paths(db.session, [tmp_path / "six.yaml"]).errors
        db.session.remove()
    page = phone_page(new_context)
    page.goto(live_server.url + "/sets/six-sentences/")
    follow(page, page.get_by_role("button", name="Start practising"))
    rows = page.locator("ol.sort > li")
    expect(rows).to_have_count(6)
    expect(page.locator("details.legend")).to_have_count(1)  # the definitions, once
    expect(page.locator("ol.sort .definition")).to_have_count(0)
    expect(sentence_group(page, 1)).to_be_visible()  # "Sentence 1: ..." for screen readers, "1" on screen
    # numbered once on screen: "Sentence 1:" is for screen readers only, and the list has no markers
    expect(rows.first.locator(".n")).to_have_text("1")
    expect(rows.first.locator(".visually-hidden")).to_have_text("Sentence 1:")
    assert page.locator("ol.sort").evaluate("list => getComputedStyle(list).listStyleType") == "none"
    height = page.evaluate("document.documentElement.scrollHeight")
    screenshot(page, "sort-six-phone.png")
    assert height <= 1500, f"the sort is {height} px tall on a phone"
    assert page.evaluate(WIDTHS)["scroll"] <= PHONE["width"]
    for n in range(1, 7):
        radio(page, "Commentary", sentence_group(page, n)).check()
    follow(page, page.get_by_role("button", name="Check"))
    after = page.evaluate("document.documentElement.scrollHeight")
    screenshot(page, "sort-six-feedback-phone.png")
    print(f"six-sentence sort on a 390 px phone: {height} px to answer, {after} px with its feedback")


def test_back_after_answering_shows_the_answered_question(live_server, page):
    base = live_server.url
    page.goto(base + "/sets/sample/")
    follow(page, page.get_by_role("button", name="Start practising"))
    ident = attempt_id(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 1 of 4")
    radio(page, "Opinion").check()
    follow(page, page.get_by_role("button", name="Check"))
    follow(page, page.get_by_role("link", name="Next question"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 2 of 4")
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 1 of 4")
    expect(page.locator("#feedback .verdict")).to_have_text(re.compile("Not quite."))
    expect(page.locator("#label-opinion")).to_be_checked()
    expect(page.locator("#label-opinion")).to_be_disabled()  # the answer stays final
    page.go_back()  # one step further back: the same question, answered, never a new form
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 1 of 4")
    expect(page.locator("form.question")).to_have_count(0)
    expect(page.locator("#feedback")).to_be_visible()
    assert f"/attempts/{ident}/" in page.url


def test_whole_attempt_feedback_says_each_answer_is_saved(live_server, page):
    live = live_server
    live.make_class(assign="sample", feedback="after")
    join_with_mouse(page, live.url, "sol")
    page.goto(live.url + "/sets/sample/")
    follow(page, page.get_by_role("button", name="Start"))
    radio(page, "Reported fact").check()
    follow(page, page.get_by_role("button", name="Save and continue"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 2 of 4")
    expect(page.locator(".flash")).to_have_text("Your answer to question 1 is saved.")
    expect(page.locator(".progress-line")).to_contain_text("1 of 4 answered")
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 1 of 4")
    expect(page.locator("#feedback")).to_contain_text("Your answer is saved")
    expect(page.locator("#feedback .verdict")).to_have_count(0)  # no verdict before the end


FOCUS = "() => ({text: document.activeElement.textContent, cls: document.activeElement.className})"


def test_spot_words_are_one_toolbar_moved_through_with_arrow_keys(live_server, page):
    base = live_server.url
    page.goto(base + "/sets/sample/")
    follow(page, page.get_by_role("button", name="Start practising"))
    for _ in range(2):
        answer_whatever_is_asked(page)
        follow(page, page.get_by_role("button", name="Check"))
        follow(page, page.get_by_role("link", name="Next question"))
    toolbar = page.get_by_role("toolbar")
    expect(toolbar).to_have_count(1)
    expect(toolbar).to_have_accessible_name(re.compile("^Select the words that signal opinion or commentary"))
    toggles = toolbar.get_by_role("button")
    expect(toggles).to_have_count(10)
    assert [t.get_attribute("tabindex") for t in toggles.all()].count("0") == 1  # roving tabindex
    # one instruction, and punctuation stays with its word
    expect(page.get_by_text("Select the words", exact=False)).to_have_count(1)
    assert page.locator(".spot-words .token").last.inner_text() == "performance."

    page.locator("details.article summary").focus()  # the last stop before the words
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS) == {"text": "This", "cls": "word-toggle"}
    page.keyboard.press("Tab")  # one stop for all the words: Tab leaves the group
    assert page.evaluate(FOCUS)["text"] == "Check"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUS)["text"] == "This"
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.evaluate(FOCUS)["text"] == "feels"
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="feels", exact=True)).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="staged", exact=True)).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(FOCUS)["text"] == "feels"
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")  # coming back lands on the word last visited
    assert page.evaluate(FOCUS)["text"] == "feels"
    page.keyboard.press("End")
    assert page.evaluate(FOCUS)["text"] == "performance"
    page.keyboard.press("Home")
    assert page.evaluate(FOCUS)["text"] == "This"
    assert [t.get_attribute("tabindex") for t in toggles.all()].count("0") == 1
    follow(page, page.get_by_role("button", name="Check"))
    expect(page.locator("#feedback")).to_contain_text("You selected: “feels” “staged”")


# -- instructors -------------------------------------------------------------------------------

def test_every_teaching_page_fits_a_phone_and_passes_axe(live_server, new_context, screenshot):
    live = live_server
    base = live.url
    class_id = live.make_class(assign="sample")  # taught by "teacher"
    take_sample_set_over_http(live, "zoe", [{"label": "fact"}, {"option": "b"}, {"word": ["3", "4"]},
                                            {"item-0": "fact", "item-1": "commentary"}])
    take_sample_set_over_http(live, "yuri-with-a-rather-long-nickname", [
        {"label": "opinion"}, {"option": "a"}, {"word": ["0"]}, {"item-0": "opinion", "item-1": "fact"}])
    page = phone_page(new_context)
    sign_in(page, base, "teacher", "teacher-password")
    check = PageCheck(page, screenshot)

    page.goto(base + "/teach/")
    check("teach-home")
    page.goto(base + "/teach/sets/")
    check("teach-sets")
    upload(page, base, SET_BROKEN)
    expect(page.locator("ol.source li.bad")).to_have_count(2)
    # the file's structure stays visible: its indentation is kept, in a monospace font
    text, white_space, font = page.locator("ol.source li.bad code").first.evaluate(
        "code => [code.textContent, getComputedStyle(code).whiteSpace, getComputedStyle(code).fontFamily]")
    assert text.startswith("    answer: ") and white_space == "pre" and "mono" in font.lower(), (text, white_space, font)
    check("teach-upload-errors")
    page.goto(base + "/teach/sets/sample/")
    check("teach-preview")
    page.goto(f"{base}/teach/classes/{class_id}/")
    expect(page.locator("#join-code")).to_have_text("K7QX-M2PA")
    expect(page.locator(".joinbox")).to_contain_text(f"{base}/join")
    assert font_px(page.locator("#join-code")) >= 32
    check("teach-class")
    follow(page, page.get_by_role("link", name="Show join code full screen"))
    page.set_viewport_size(LAPTOP)
    assert font_px(page.locator(".join-projection .code")) >= 96  # readable from the back of a room
    check("teach-join-code")
    page.goto(f"{base}/teach/classes/{class_id}/")
    follow(page, page.locator("table.matrix thead").get_by_role("link", name="Sample set", exact=True))
    # questions by their words, wrong answers by the option's text, statistics withheld alike
    which = page.locator('tr[data-question="which"]')
    expect(which.locator("th")).to_have_text("Which sentence reports a fact? (which)")
    expect(which).to_contain_text("b. This whole thing feels staged. (50%)")
    expect(page.locator('tr[data-question="staged"] th')).to_contain_text("This whole thing feels staged, like")
    expect(page.locator('tr[data-question="met"]')).to_contain_text("Opinion (50%)")
    expect(page.locator("#reliability")).to_have_text("KR-20: needs 5 learners")
    expect(which).to_contain_text("needs 5 learners")
    check("teach-set-report")
    page.goto(f"{base}/teach/classes/{class_id}/")
    follow(page, page.get_by_role("link", name="zoe", exact=True))
    check("teach-learner")
    follow(page, page.get_by_role("link", name="Sample set").first)
    check("teach-attempt")
    page.goto(f"{base}/teach/classes/{class_id}/")
    follow(page, page.get_by_role("link", name="Change Sample set"))
    check("teach-assignment-settings")
    page.goto(f"{base}/teach/classes/{class_id}/")
    follow(page, page.get_by_role("link", name="Remove Sample set"))
    check("teach-unassign")
    page.goto(f"{base}/teach/classes/{class_id}/")
    follow(page, page.get_by_role("link", name="Remove zoe"))
    check("teach-remove-learner")
    page.goto(f"{base}/teach/classes/{class_id}/")
    follow(page, page.get_by_role("button", name="Password reset code for zoe"))
    check("teach-reset-code")
    check.assert_clean()


def test_the_class_page_lists_assignments_changes_and_removes_them(live_server, page):
    live = live_server
    base = live.url
    make_instructor(live, "ms-rivera", "rivera-password")
    sign_in(page, base, "ms-rivera", "rivera-password")
    page.get_by_label("Class name").fill("Year 8")
    follow(page, page.get_by_role("button", name="Create class"))
    class_url = page.url
    for title, feedback in [("Sample set", "After each question"),
                            ("Putin and the U.S. peace proposal: first steps", "After the whole attempt"),
                            ("Putin and the U.S. peace proposal", "After each question")]:
        page.get_by_label("Set", exact=True).select_option(label=title)
        page.get_by_label(feedback).check()
        if title == "Sample set":
            page.get_by_label("Attempts allowed (leave empty for unlimited)").fill("2")
            page.get_by_label("Shuffle the order of questions").check()
        follow(page, page.get_by_role("button", name="Assign"))
        expect(page.locator(".flash")).to_have_text(f"{title} is assigned to Year 8.")
    rows = page.locator("table.assignments tbody tr")
    expect(rows).to_have_count(3)
    sample = page.locator('tr[data-assignment="sample"]')
    expect(sample).to_contain_text("feedback after each question")
    expect(sample).to_contain_text("2 attempts; best counts")
    expect(sample).to_contain_text("questions shuffled")
    expect(page.locator('tr[data-assignment="putin-peace-proposal-beginner"]')).to_contain_text(
        "feedback after the whole attempt")

    # Assigning it again says so, and keeps the settings.
    page.get_by_label("Set", exact=True).select_option(label="Sample set (assigned)")
    follow(page, page.get_by_role("button", name="Assign"))
    expect(page.locator(".flash.error")).to_contain_text("Sample set is already assigned to Year 8; its settings are unchanged.")
    expect(sample).to_contain_text("2 attempts; best counts")

    # Change one setting.
    follow(page, page.get_by_role("link", name="Change Sample set"))
    expect(page.get_by_label("Attempts allowed (leave empty for unlimited)")).to_have_value("2")
    expect(page.get_by_label("Shuffle the order of questions")).to_be_checked()
    page.get_by_label("Last", exact=True).check()
    follow(page, page.get_by_role("button", name="Save settings"))
    expect(page.locator(".flash")).to_have_text("The settings of Sample set are saved.")
    expect(sample).to_contain_text("2 attempts; last counts")

    # Remove one: a confirmation, then it is gone from the list and from the learners' start page.
    follow(page, page.get_by_role("link", name="Remove Putin and the U.S. peace proposal: first steps"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Remove Putin and the U.S. peace proposal: first steps from Year 8?")
    expect(page.locator("main")).to_contain_text("Nobody has started it yet")
    follow(page, page.get_by_role("button", name="Remove the assignment"))
    assert page.url.startswith(class_url)
    expect(page.locator(".flash")).to_have_text(
        "Putin and the U.S. peace proposal: first steps is no longer assigned to Year 8.")
    expect(rows).to_have_count(2)
    expect(page.locator('tr[data-assignment="putin-peace-proposal-beginner"]')).to_have_count(0)


def test_the_preview_shows_the_question_first_then_every_accepted_label(live_server, page):
    base = live_server.url
    live_server.make_class()  # makes the instructor "teacher"
    sign_in(page, base, "teacher", "teacher-password")
    page.goto(base + "/teach/sets/sample/")
    questions = page.locator("ol.review > li")
    expect(questions).to_have_count(4)
    sort = questions.nth(3)
    # as a learner sees it first: the radios, none chosen, no verdict
    expect(sort.locator("ol.sort input[type=radio]:checked")).to_have_count(0)
    expect(sort.locator(".verdict, .mini")).to_have_count(0)
    key = sort.locator(".key")
    expect(key).to_be_visible()
    second = key.locator("ol.sort-outcomes > li").nth(1)
    expect(second).to_contain_text("Answer: Opinion")
    expect(second).to_contain_text("also accepted: Commentary")
    expect(second).to_contain_text("Step 1: 'staged' judges.")
    assert sort.locator("ol.sort").bounding_box()["y"] < key.bounding_box()["y"]
    label = questions.nth(0)
    expect(label.get_by_role("radio", name=re.compile("^Reported fact"))).not_to_be_checked()
    expect(label.locator(".key")).to_contain_text("Answer: Reported fact")


def test_favicon_is_served(live_server, page):
    response = page.request.get(live_server.url + "/favicon.ico")
    assert response.status == 200 and response.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
