"""The learner's side in a real browser (Chromium through Playwright).

Covers what HTTP tests cannot: the word toggles of `spot` questions, focus moving to the
feedback, a keyboard-only run, JavaScript switched off, and axe-core on every learner page.
The score a learner should see is worked out here from SAMPLE_SET and DESIGN.md's scoring
rules, not read from the app's own scoring code.
"""
from __future__ import annotations

import re

import yaml
from support import SAMPLE_SET
from sqlalchemy import select

PASSWORD = "learner-password"
SAMPLE = yaml.safe_load(SAMPLE_SET)
QUESTIONS = {q["id"]: q for q in SAMPLE["questions"]}
# DESIGN.md's words: runs of letters, digits, apostrophes and inner hyphens.
WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")
ATTEMPT_URL = re.compile(r"/attempts/(\d+)/")


# Options are shuffled in every attempt: the letter shown before an option varies.
MET = re.compile(r"^[ab]\. Putin met U\.S\. envoys\.$")
STAGED = re.compile(r"^[ab]\. This whole thing feels staged\.$")


def expect(target):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


# -- the score, worked out independently -----------------------------------------------------

def statement_words(statement: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in WORD.finditer(statement)]


def phrase_word_indexes(statement: str, phrases: list[str]) -> set[int]:
    """Every word a phrase overlaps, at every place it occurs (case aside)."""
    found: set[int] = set()
    haystack = statement.lower()
    for phrase in phrases:
        start = haystack.find(phrase.lower())
        while start != -1:
            end = start + len(phrase)
            found |= {i for i, (_w, a, b) in enumerate(statement_words(statement)) if a < end and start < b}
            start = haystack.find(phrase.lower(), start + 1)
    return found


def expected_points(chosen: dict) -> float:
    """Points for the sample set: label and choice 1 or 0, spot word-level F1, sort share right."""
    total = 0.0
    for qid, question in QUESTIONS.items():
        answer = chosen[qid]
        if question["type"] == "label":
            total += 1.0 if answer == question["answer"] or answer in question.get("accept", []) else 0.0
        elif question["type"] == "choice":
            total += 1.0 if [answer] == [question["answer"]] else 0.0
        elif question["type"] == "spot":
            texts = [w for w, _a, _b in statement_words(question["statement"])]
            picked = {texts.index(word) for word in answer}
            target = phrase_word_indexes(question["statement"], question["answer"])
            overlap = len(picked & target)
            total += 2 * overlap / (len(picked) + len(target)) if overlap else 0.0
        elif question["type"] == "sort":
            right = [label == item["answer"] or label in item.get("accept", [])
                     for label, item in zip(answer, question["items"])]
            total += sum(right) / len(question["items"])
    return total


def score_text(points: float) -> tuple[str, str]:
    """What the review shows: "95%" and "3.8 of 4 points" (points to one decimal, no ".0")."""
    possible = len(QUESTIONS)
    exact = 100 * points / possible
    assert abs(exact - int(exact) - 0.5) > 1e-6, "pick answers whose percentage is not a tie"
    assert abs(10 * points - int(10 * points) - 0.5) > 1e-6, "pick answers whose points are not a tie"
    shown = f"{round(points, 1):g}"
    return f"{round(exact)}%", f"{shown} of {possible} points"


# -- the app's database ------------------------------------------------------------------------

def stored_answers(live, attempt_id: int) -> dict[int, list]:  # type: ignore[no-untyped-def]
    """Position -> every stored response for it (a list, to catch duplicates)."""
    from quiz import models
    from quiz.db import db

    with live.app.app_context():
        rows = db.session.execute(
            select(models.AttemptItem.position, models.Answer.response)
            .join(models.Answer, models.Answer.item_id == models.AttemptItem.id)
            .where(models.AttemptItem.attempt_id == attempt_id)).all()
        db.session.remove()
    found: dict[int, list] = {}
    for position, response in rows:
        found.setdefault(position, []).append(response)
    return found


def attempt_id(page) -> int:  # type: ignore[no-untyped-def]
    match = ATTEMPT_URL.search(page.url)
    assert match, page.url
    return int(match.group(1))


# -- browser helpers ---------------------------------------------------------------------------

def join_with_mouse(page, base: str, username: str, code: str = "K7QXM2PA") -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/join")
    page.get_by_label("Class code").fill(code)
    page.get_by_label("Choose a username").fill(username)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Join the class"))
    expect(page.locator(".flash")).to_contain_text("You joined")


def follow(page, target, double: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Clicks (or double-clicks) something that loads a page, and waits for it to load.

    Waiting for the load event, rather than polling for what the next page shows, keeps each
    step as fast as the app.
    """
    with page.expect_navigation():
        target.dblclick() if double else target.click()


def press_and_load(page, key: str = "Enter") -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.keyboard.press(key)


def radio(page, name_start: str, within=None):  # type: ignore[no-untyped-def]
    """A label radio by the label's name (its accessible name also holds the definition)."""
    scope = within if within is not None else page
    return scope.get_by_role("radio", name=re.compile("^" + re.escape(name_start)))


def sentence_group(page, n: int):  # type: ignore[no-untyped-def]
    return page.get_by_role("group", name=re.compile(f"^Sentence {n}: "))


def focused_id(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate("document.activeElement && document.activeElement.id")


def expect_feedback_focused(page) -> None:  # type: ignore[no-untyped-def]
    expect(page.locator("#feedback")).to_be_focused(timeout=5_000)
    assert focused_id(page) == "feedback"


FOCUSED = """() => {
    const el = document.activeElement;
    const box = el.getBoundingClientRect();
    const visible = box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
        && box.left < window.innerWidth && el.checkVisibility();
    return {tag: el.tagName.toLowerCase(), id: el.id, type: el.type || "", name: el.name || "",
            cls: el.className || "", href: el.getAttribute("href") || "",
            text: (el.innerText || "").trim().slice(0, 60), visible: visible};
}"""


def tab_to(page, wanted, key: str = "Tab", limit: int = 60) -> list[dict]:  # type: ignore[no-untyped-def]
    """Presses Tab (or Shift+Tab) until the focused element matches `wanted(stop)`.

    A stop describes the focused element (tag, id, type, name, cls, href, text) and whether it
    can be seen on screen; all stops are returned, so a test can check none was hidden.
    """
    stops = []
    for _ in range(limit):
        page.keyboard.press(key)
        stop = page.evaluate(FOCUSED)
        stops.append(stop)
        if wanted(stop):
            return stops
    raise AssertionError(f"{key} never reached the element wanted; focus went through {stops}")


def button(text: str):  # type: ignore[no-untyped-def]
    return lambda stop: stop["tag"] == "button" and stop["text"] == text


def with_id(ident: str):  # type: ignore[no-untyped-def]
    return lambda stop: stop["id"] == ident


def named(name: str):  # type: ignore[no-untyped-def]
    return lambda stop: stop["name"] == name


def run_axe(page, context: str | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    """axe-core's violations on the page (or on the part `context` selects)."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe().run(page, context=context).response["violations"]


# -- 1. the whole flow with a mouse ----------------------------------------------------------

def test_a_learner_joins_takes_every_type_resumes_and_finds_the_attempt(live_server, page, screenshot):
    live = live_server
    base = live.url
    live.make_class(assign="sample")
    join_with_mouse(page, base, "ada")
    expect(page.get_by_role("heading", name="Assigned to you")).to_be_visible()
    follow(page, page.get_by_role("link", name="Sample set").first)
    follow(page, page.get_by_role("button", name="Start"))

    # 1. label, answered with a double click on Check: one answer stored, feedback focused.
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 1 of 4")
    ident = attempt_id(page)
    expect(page.locator("blockquote.statement")).to_have_text(QUESTIONS["met"]["statement"])
    screenshot(page, "question.png")
    radio(page, "Reported fact").check()
    follow(page, page.get_by_role("button", name="Check"), double=True)
    expect(page.locator("#feedback .verdict").first).to_have_text(re.compile("Right."))
    expect_feedback_focused(page)
    assert [len(v) for v in stored_answers(live, ident).values()] == [1]
    screenshot(page, "feedback.png")
    follow(page, page.get_by_role("link", name="Next question"))

    # 2. choice, also sent from a second tab left open on the same question: the first answer
    # is kept, exactly one is stored, and the second tab says so.
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 2 of 4")
    stale = page.context.new_page()
    stale.goto(page.url)
    expect(stale.get_by_role("heading", level=1)).to_have_text("Question 2 of 4")
    page.get_by_role("radio", name=MET).check()
    follow(page, page.get_by_role("button", name="Check"))
    expect(page.locator("#feedback .verdict")).to_have_text(re.compile("Right."))
    expect_feedback_focused(page)
    stale.get_by_role("radio", name=STAGED).check()
    follow(stale, stale.get_by_role("button", name="Check"))
    expect(stale.locator(".flash")).to_contain_text("your first answer is kept")
    expect(stale.locator("#feedback .verdict")).to_have_text(re.compile("Right."))
    stale.close()
    assert stored_answers(live, ident)[1] == [["a"]]
    # the feedback came as the answer's reply; quiz.js put the question's own address in the
    # address bar, so reloading asks for that page and sends nothing again
    expect(page).to_have_url(re.compile(r"/attempts/\d+/\?q=1$"))
    page.reload()
    expect(page.locator("#feedback .verdict")).to_have_text(re.compile("Right."))
    expect(page.locator(".flash")).to_have_count(0)   # a resent answer would say "your first answer is kept"
    assert sum(len(v) for v in stored_answers(live, ident).values()) == 2
    follow(page, page.get_by_role("link", name="Next question"))

    # Mid-quiz: a refresh, and coming back through the set page, both land on question 3.
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 3 of 4")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 3 of 4")
    page.goto(base + "/sets/sample/")
    follow(page, page.get_by_role("button", name="Continue where you left off"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 3 of 4")
    assert attempt_id(page) == ident

    # 3. spot: tap words; each toggle flips aria-pressed and its (hidden) checkbox.
    spot_words = ["whole", "feels", "staged", "carefully", "choreographed"]
    toggles = page.locator("button.word-toggle")
    expect(toggles).to_have_count(len(statement_words(QUESTIONS["staged"]["statement"])))
    like = page.get_by_role("button", name="like", exact=True)
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    assert page.locator(".word", has=like).locator("input[type=checkbox]").is_checked()
    like.click()
    expect(like).to_have_attribute("aria-pressed", "false")
    assert not page.locator(".word", has=like).locator("input[type=checkbox]").is_checked()
    for word in spot_words:
        button = page.get_by_role("button", name=word, exact=True)
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
    follow(page, page.get_by_role("button", name="Check"))
    expect(page.locator("#feedback .verdict")).to_have_text(re.compile("Partly right: 80% of the point."))
    expect_feedback_focused(page)
    expect(page.locator("#feedback mark").first).to_be_visible()
    follow(page, page.get_by_role("link", name="Next question"))

    # 4. sort: one label radio group per sentence.
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 4 of 4")
    radio(page, "Reported fact", sentence_group(page, 1)).check()
    radio(page, "Commentary", sentence_group(page, 2)).check()
    follow(page, page.get_by_role("button", name="Check"))
    expect_feedback_focused(page)
    expect(page.locator("#feedback")).to_contain_text("a second label a teacher can defend here")
    follow(page, page.get_by_role("button", name="See my result"))

    # The result: the score worked out here, the cues marked and named in words.
    chosen = {"met": "fact", "which": "a", "staged": spot_words, "passage": ["fact", "commentary"]}
    percent, points = score_text(expected_points(chosen))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your result: Sample set")
    expect(page.locator(".score")).to_have_text(f"{percent} · {points}")
    review = page.locator("ol.review > li")
    expect(review).to_have_count(4)
    spot, sort = review.nth(2), review.nth(3)
    expect(spot.locator("mark")).to_have_text(["feels staged", "carefully choreographed performance"])
    expect(spot.locator(".cues").last).to_have_text("Giveaway words: “feels staged”")
    expect(sort.locator("mark")).to_have_text(["staged"])
    expect(sort.locator(".cues")).to_have_text("Giveaway words: “staged”")
    screenshot(page, "review.png")
    assert {p: len(v) for p, v in stored_answers(live, ident).items()} == {0: 1, 1: 1, 2: 1, 3: 1}

    follow(page, page.get_by_role("link", name="My progress").last)
    expect(page).to_have_url(base + "/progress")
    row = page.locator("table.data tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("Sample set")
    expect(row.locator("td").nth(2)).to_have_text(percent)
    screenshot(page, "progress.png")
    follow(page, row.get_by_role("link", name="Sample set"))
    expect(page).to_have_url(f"{base}/attempts/{ident}/review")


# -- 2. the same flow with the keyboard only ------------------------------------------------

def press_check_and_expect_feedback(page) -> None:  # type: ignore[no-untyped-def]
    tab_to(page, button("Check"))
    press_and_load(page)
    expect_feedback_focused(page)


def next_question_by_keyboard(page) -> None:  # type: ignore[no-untyped-def]
    stops = tab_to(page, lambda stop: stop["tag"] == "a" and stop["text"] == "Next question")
    assert len(stops) == 1, f"the next step should be the first stop after the feedback: {stops}"
    press_and_load(page)


def test_the_same_flow_by_keyboard_only(live_server, page):
    live = live_server
    base = live.url
    live.make_class(assign="sample")

    page.goto(base + "/join")
    for field, text in [("code", "K7QX-M2PA"), ("username", "kai"), ("password", PASSWORD), ("confirm", PASSWORD)]:
        tab_to(page, with_id(field))
        page.keyboard.type(text)
    tab_to(page, lambda stop: stop["type"] == "submit" and stop["name"] == "submit")
    press_and_load(page)
    expect(page.locator(".flash")).to_contain_text("You joined Year 9.")

    tab_to(page, lambda stop: stop["tag"] == "a" and stop["text"] == "Sample set")
    press_and_load(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sample set")
    tab_to(page, button("Start"))
    press_and_load(page)

    # 1. label: arrow keys move through the radio group, choosing as they go.
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 1 of 4")
    ident = attempt_id(page)
    tab_to(page, named("label"))
    assert focused_id(page) == "label-fact"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#label-opinion")).to_be_checked()
    press_check_and_expect_feedback(page)
    expect(page.locator("#feedback .verdict")).to_have_text(re.compile("Not quite."))
    next_question_by_keyboard(page)

    # 2. choice: Space picks, an arrow changes it, Shift+Tab goes back from the button.
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 2 of 4")
    tab_to(page, named("option"))
    page.keyboard.press("Space")
    expect(page.locator(f"#{focused_id(page)}")).to_be_checked()
    page.keyboard.press("ArrowDown")  # the options are shown shuffled: arrows go on until b is chosen
    if focused_id(page) != "option-b":
        page.keyboard.press("ArrowDown")
    expect(page.locator("#option-b")).to_be_checked()
    tab_to(page, button("Check"))
    tab_to(page, named("option"), key="Shift+Tab", limit=1)
    assert focused_id(page) == "option-b"
    press_check_and_expect_feedback(page)
    expect(page.locator("#feedback .verdict")).to_have_text(re.compile("Not quite."))
    next_question_by_keyboard(page)

    # 3. spot: the word toggles are one toolbar: Tab reaches its first word, arrows move along,
    # Space presses, and no focus stop on the way is hidden off-screen.
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 3 of 4")
    stops = tab_to(page, lambda stop: stop["cls"] == "word-toggle" and stop["text"] == "This")
    hidden = [s for s in stops if not s["visible"]]
    assert not hidden, f"keyboard focus went to elements nobody can see: {hidden}"
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    staged = page.get_by_role("button", name="staged", exact=True)
    expect(staged).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")  # Enter presses a button too: off again
    expect(staged).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Space")
    expect(staged).to_have_attribute("aria-pressed", "true")
    press_check_and_expect_feedback(page)
    next_question_by_keyboard(page)

    # 4. sort: Space in the first group, arrows in the second.
    expect(page.get_by_role("heading", level=1)).to_have_text("Question 4 of 4")
    tab_to(page, named("item-0"))
    page.keyboard.press("Space")
    tab_to(page, named("item-1"), limit=1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#item-0-fact")).to_be_checked()
    expect(page.locator("#item-1-opinion")).to_be_checked()
    press_check_and_expect_feedback(page)
    stops = tab_to(page, button("See my result"))
    assert len(stops) == 1, stops
    press_and_load(page)

    chosen = {"met": "opinion", "which": "b", "staged": ["staged"], "passage": ["fact", "opinion"]}
    percent, points = score_text(expected_points(chosen))
    expect(page.locator(".score")).to_have_text(f"{percent} · {points}")
    assert {p: len(v) for p, v in stored_answers(live, ident).items()} == {0: 1, 1: 1, 2: 1, 3: 1}

    tab_to(page, lambda stop: stop["tag"] == "a" and stop["href"] == "/progress")
    press_and_load(page)
    expect(page).to_have_url(base + "/progress")
    expect(page.locator("table.data tbody tr td").nth(2)).to_have_text(percent)


# -- 3. practice without an account ---------------------------------------------------------

KIND_OF_QUESTION = """() => {
    const form = document.querySelector("form.question");
    if (form.querySelector("input[name=label]")) return "label";
    if (form.querySelector("input[name=option]")) return "choice";
    if (form.querySelector("[data-spot]")) return "spot";
    if (form.querySelector("ol.sort")) return "sort";
    return "unknown";
}"""


def answer_whatever_is_asked(page) -> str:  # type: ignore[no-untyped-def]
    """Answers the question on screen with the first choice(s); returns its type."""
    kind = page.evaluate(KIND_OF_QUESTION)
    form = page.locator("form.question")
    if kind == "label":
        form.locator("input[name=label]").first.check()
    elif kind == "choice":
        form.locator("input[name=option]").first.check()
    elif kind == "spot":
        form.locator("button.word-toggle").first.click()
    elif kind == "sort":
        for group in form.locator("ol.sort fieldset").all():
            group.locator("input[type=radio]").first.check()
    else:
        raise AssertionError(f"an unknown kind of question on {page.url}")
    return kind


def test_practice_mode_without_an_account(live_server, page):
    base = live_server.url
    page.goto(base + "/")
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    follow(page, page.get_by_role("link", name="Putin and the U.S. peace proposal: first steps"))
    expect(page.locator(".hint")).to_contain_text("Practice mode")
    follow(page, page.get_by_role("button", name="Start practising"))
    seen, answered = set(), 0
    total = int(re.fullmatch(r"Question 1 of (\d+)", page.get_by_role("heading", level=1).inner_text()).group(1))
    while True:
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Question {answered + 1} of {total}")
        seen.add(answer_whatever_is_asked(page))
        answered += 1
        follow(page, page.get_by_role("button", name="Check"))
        expect(page.locator("#feedback .why").first).to_be_visible()
        next_link = page.get_by_role("link", name="Next question")
        if next_link.count():
            follow(page, next_link)
        else:
            follow(page, page.get_by_role("button", name="See my result"))
            break
    assert answered == total and seen == {"label", "choice", "spot", "sort"}
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your result")
    expect(page.locator(".score")).to_have_text(re.compile(rf"^\d+% · [\d.]+ of {total} points$"))
    expect(page.get_by_role("link", name="More quizzes")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()  # still signed out


# -- 4. a second class ---------------------------------------------------------------------

def test_a_second_class_needs_only_its_code_and_both_assignments_show(live_server, page):
    live = live_server
    base = live.url
    live.make_class(assign="sample")
    live.make_class(name="Debate club", code="DEBATE23", assign="putin-peace-proposal-beginner")
    join_with_mouse(page, base, "sam")

    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Join a class"))
    expect(page.get_by_label("Class code")).to_be_visible()
    expect(page.locator("form.narrow input:not([type=hidden])")).to_have_count(2)  # the code and the button
    expect(page.get_by_label("Choose a username")).to_have_count(0)
    page.get_by_label("Class code").fill("debate-23")
    follow(page, page.get_by_role("button", name="Join the class"))
    expect(page.locator(".flash")).to_have_text("You joined Debate club.")

    cards = page.locator("h2:text-is('Assigned to you') + ul.cards > li")
    expect(cards).to_have_count(2)
    titles = {cards.nth(n).locator("h3").inner_text(): cards.nth(n).locator(".meta").inner_text()
              for n in range(2)}
    assert titles == {"Sample set": "Year 9",
                      "Putin and the U.S. peace proposal: first steps": "Debate club"}, titles


# -- 5. JavaScript switched off -------------------------------------------------------------

def test_spot_works_with_checkboxes_when_javascript_is_off(live_server, new_context):
    live = live_server
    page = new_context(java_script_enabled=False).new_page()
    page.goto(live.url + "/sets/sample/")
    follow(page, page.get_by_role("button", name="Start practising"))
    ident = attempt_id(page)
    radio(page, "Reported fact").check()
    follow(page, page.get_by_role("button", name="Check"))
    follow(page, page.get_by_role("link", name="Next question"))
    page.get_by_role("radio", name=MET).check()
    follow(page, page.get_by_role("button", name="Check"))
    follow(page, page.get_by_role("link", name="Next question"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Question 3 of 4")
    expect(page.locator("button.word-toggle")).to_have_count(0)
    feels, staged = page.get_by_role("checkbox", name="feels"), page.get_by_role("checkbox", name="staged")
    expect(feels).to_be_visible()
    feels.check()
    page.get_by_text("staged", exact=True).click()  # clicking the word's label ticks its box
    expect(staged).to_be_checked()
    follow(page, page.get_by_role("button", name="Check"))
    # "feels staged": 2 of the answer's 5 words, none wrong: F1 = 2*2/(2+5)
    expect(page.locator("#feedback .verdict")).to_have_text(re.compile(r"Partly right: 57% of the point\."))
    expect(page.locator("#feedback")).to_contain_text("You selected: “feels” “staged”")
    expect_feedback_focused(page)  # the section's autofocus does it without the script
    assert stored_answers(live, ident)[2] == [[3, 4]]


# -- 6. axe-core on every learner page ------------------------------------------------------

def test_no_accessibility_violations_on_learner_pages(live_server, page):
    live = live_server
    base = live.url
    live.make_class(assign="sample")
    problems: list[str] = []

    def check(name: str, context: str | None = None) -> None:
        expect(page.locator("main")).to_be_visible()
        for violation in run_axe(page, context):  # every impact counts
            targets = [node["target"] for node in violation["nodes"]]
            problems.append(f"{name} ({page.url}): {violation['id']} [{violation['impact']}] "
                            f"{violation['help']} at {targets}")

    for path, name in [("/", "start page, signed out"), ("/login", "sign in"), ("/join", "join, signed out")]:
        page.goto(base + path)
        check(name)

    join_with_mouse(page, base, "axel")
    check("start page, signed in, with a message")
    for path, name in [("/account", "account"), ("/sets/sample/", "set page")]:
        page.goto(base + path)
        check(name)

    follow(page, page.get_by_role("button", name="Start"))
    answers = [lambda: radio(page, "Reported fact").check(),
               lambda: page.get_by_role("radio", name=MET).check(),
               lambda: page.get_by_role("button", name="staged", exact=True).click(),
               lambda: (radio(page, "Reported fact", sentence_group(page, 1)).check(),
                        radio(page, "Opinion", sentence_group(page, 2)).check())]
    for kind, answer in zip(["label", "choice", "spot", "sort"], answers):
        check(f"{kind} question")
        answer()
        follow(page, page.get_by_role("button", name="Check"))
        expect_feedback_focused(page)
        # The first feedback page whole; after that only what differs: the feedback itself.
        check(f"{kind} feedback", None if kind == "label" else "#feedback")
        if kind != "sort":
            follow(page, page.get_by_role("link", name="Next question"))

    page.goto(page.url.split("?")[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("You answered every question")
    check("finish page")
    follow(page, page.get_by_role("button", name="See my result"))
    check("review")
    page.goto(base + "/progress")
    check("progress")
    page.goto(base + "/attempts/999/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    check("404")
    assert not problems, "axe-core found violations:\n" + "\n".join(problems)
