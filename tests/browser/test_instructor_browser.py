"""The instructor's side in a real browser (Chromium through Playwright).

An instructor uploads a set (a broken file first: errors by line), creates a class, assigns the
set; four learners join in their own browsers and answer with known answers; the class matrix,
the set report and both CSV exports must hold the numbers those answers imply. Then a key fix is
uploaded and regraded, and every number moves as it should. Expected numbers are worked out here
from the set text and DESIGN.md's rules (scoring, "counts best", the confusion matrix where an
accepted second label is right and no confusion), never through the app's own functions.

A second test runs axe-core on every /teach/ page and checks "hide names".
"""
from __future__ import annotations

import csv
import io
import re

import yaml
from support import join_as, post_form
from test_learner_browser import (
    expect,
    follow,
    join_with_mouse,
    radio,
    run_axe,
    sentence_group,
)

TEACHER, TEACHER_PASSWORD = "ms-rivera", "rivera-password"
CLASS_NAME = "Year 10 media"
SLUG, TITLE = "envoy-talks", "The envoys' visit"
FILE_NAME = "envoys.yaml"

# The set as first uploaded, with one wrong key: `fighting` is a reported fact, keyed commentary.
SET_WRONG_KEY = """\
format: 1
id: envoy-talks
title: The envoys' visit
summary: Six questions on one short report.
visibility: classes
article:
  - section: Report
    text: |
      Putin met U.S. envoys Steve Witkoff and Jared Kushner in Moscow. The talks were a shameful charade. The Kremlin is clearly stalling to win more ground. Fighting went on overnight in the east. Europe and China watched closely. Nobody should trust a word of it. The visit is really about buying time.
questions:
  - id: met
    type: label
    statement: "Putin met U.S. envoys Steve Witkoff and Jared Kushner in Moscow."
    answer: fact
    why: "Step 3: a meeting can be checked against records."
  - id: charade
    type: label
    statement: "The talks were a shameful charade."
    answer: opinion
    why: "Step 1: 'shameful' and 'charade' judge."
    cues: [shameful, charade]
  - id: stalling
    type: label
    statement: "The Kremlin is clearly stalling to win more ground."
    answer: commentary
    accept: [opinion]
    why: "Step 2: a motive the evidence cannot settle; 'clearly' leans towards judging."
  - id: fighting
    type: label
    statement: "Fighting went on overnight in the east."
    answer: commentary
    why: "Step 3: fighting can be observed and recorded."
  - id: which
    type: choice
    prompt: "Which sentence reports a fact?"
    options: ["The talks were a shameful charade.", "Putin met the envoys in Moscow.", "The Kremlin is stalling."]
    answer: b
    why: "Step 3: a meeting is on the record."
  - id: passage
    type: sort
    items:
      - {text: "Europe and China watched closely.", answer: fact, why: "Step 3: observable."}
      - {text: "Nobody should trust a word of it.", answer: opinion, why: "Step 1: says what should be done."}
      - {text: "The visit is really about buying time.", answer: commentary, why: "Step 2: what it is really about."}
"""


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} should occur once"
    return text.replace(old, new)


# The key fix: same id, same wording, only `fighting`'s answer changes.
SET_FIXED = replace_once(SET_WRONG_KEY, '"Fighting went on overnight in the east."\n    answer: commentary\n',
                         '"Fighting went on overnight in the east."\n    answer: fact\n')
# Two faults: a label that does not exist, a choice answer written as a number.
SET_BROKEN = replace_once(replace_once(SET_WRONG_KEY, "    answer: fact\n    why: \"Step 3: a meeting can",
                                       "    answer: fakt\n    why: \"Step 3: a meeting can"),
                          "    answer: b\n", "    answer: 2\n")

LABEL_NAMES = {"fact": "Reported fact", "commentary": "Commentary", "opinion": "Opinion"}
PLURALS = {"fact": "reported facts", "commentary": "commentary sentences", "opinion": "opinions"}


def answered(**answers) -> dict:  # type: ignore[no-untyped-def]
    return answers


# Known answers: learner -> attempts (in order) -> question id -> answer. dev takes it twice.
ANSWERS = {
    "ann": [answered(met="fact", charade="opinion", stalling="commentary", fighting="fact", which="b",
                     passage=["fact", "opinion", "commentary"])],
    "ben": [answered(met="fact", charade="commentary", stalling="opinion", fighting="commentary", which="a",
                     passage=["fact", "fact", "opinion"])],
    "cara": [answered(met="opinion", charade="opinion", stalling="opinion", fighting="fact", which="b",
                      passage=["commentary", "opinion", "commentary"])],
    "dev": [answered(met="fact", charade="opinion", stalling="commentary", fighting="commentary", which="c",
                     passage=["fact", "opinion", "commentary"]),
            answered(met="fact", charade="opinion", stalling="commentary", fighting="fact", which="b",
                     passage=["commentary", "opinion", "fact"])],
}


# -- the numbers, worked out independently ---------------------------------------------------

def questions_of(text: str) -> list[dict]:
    return yaml.safe_load(text)["questions"]


def is_right(chosen: str, item: dict) -> bool:
    return chosen == item["answer"] or chosen in item.get("accept", [])


def points(question: dict, answer) -> float:  # type: ignore[no-untyped-def]
    """DESIGN.md: label 1 if the answer or an accepted label, choice 1 or 0, sort share right."""
    if question["type"] == "label":
        return 1.0 if is_right(answer, question) else 0.0
    if question["type"] == "choice":
        return 1.0 if answer == question["answer"] else 0.0
    assert question["type"] == "sort"
    return sum(is_right(label, item) for label, item in zip(answer, question["items"])) / len(question["items"])


def decisions(question: dict, answer) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(right label, label shown in the confusion matrix): an accepted label is no confusion."""
    if question["type"] == "label":
        pairs = [(question, answer)]
    elif question["type"] == "sort":
        pairs = list(zip(question["items"], answer))
    else:
        return []
    return [(item["answer"], item["answer"] if is_right(chosen, item) else chosen) for item, chosen in pairs]


def percent(value: float) -> int:
    assert abs(value - int(value) - 0.5) > 1e-6, f"pick answers whose percentage {value} is not a tie"
    return round(value)


def cell_percent(n: int, total: int) -> set[str]:
    """A cell's share as shown; at an exact half either rounding is accepted (DESIGN.md names none)."""
    exact = 100 * n / total
    if abs(exact - int(exact) - 0.5) < 1e-9:
        return {f"{int(exact)}%", f"{int(exact) + 1}%"}
    return {f"{round(exact)}%"}


def expected_numbers(set_text: str) -> dict:
    questions = questions_of(set_text)
    possible = len(questions)
    by_id = {q["id"]: q for q in questions}
    attempts = {name: [sum(points(by_id[qid], answer) for qid, answer in attempt.items()) for attempt in tries]
                for name, tries in ANSWERS.items()}
    counted = {}
    for name, scores in attempts.items():  # "counts best"; the earlier attempt on a tie
        best = max(range(len(scores)), key=lambda n: (scores[n], -n))
        assert scores.count(scores[best]) == 1, "pick answers without a tie for the best attempt"
        counted[name] = best
    percents = {name: 100 * attempts[name][counted[name]] / possible for name in ANSWERS}
    facility = {q["id"]: sum(points(q, ANSWERS[name][counted[name]][q["id"]]) for name in ANSWERS) / len(ANSWERS)
                for q in questions}
    cells: dict[tuple[str, str], int] = {}
    for name in ANSWERS:
        for q in questions:
            for right, shown in decisions(q, ANSWERS[name][counted[name]][q["id"]]):
                cells[(right, shown)] = cells.get((right, shown), 0) + 1
    rows = {right: sum(n for (r, _c), n in cells.items() if r == right) for right in LABEL_NAMES}
    confusions = sorted(((n / rows[r], r, c) for (r, c), n in cells.items() if r != c), reverse=True)
    assert confusions[0][0] > confusions[1][0], "pick answers with one largest confusion"
    share, right, chosen = confusions[0]
    distribution = [0] * 10
    for value in percents.values():
        distribution[min(int(value // 10), 9)] += 1
    return {"questions": questions, "possible": possible, "attempts": attempts, "counted": counted,
            "percents": percents, "facility": facility, "cells": cells, "rows": rows,
            "average": percent(sum(percents.values()) / len(percents)), "distribution": distribution,
            "largest": f"{percent(100 * share)}% of {PLURALS[right]} were taken for {PLURALS[chosen]}."}


def score_percent(numbers: dict, total: float) -> str:
    """An attempt's score as shown: points over possible points, as a whole percentage."""
    return f"{percent(100 * total / numbers['possible'])}%"


def right_answer_text(question: dict) -> str:
    if question["type"] == "sort":
        return " / ".join(item["answer"] for item in question["items"])
    return question["answer"]


def given_text(answer) -> str:  # type: ignore[no-untyped-def]
    return " / ".join(answer) if isinstance(answer, list) else answer


def expected_results_rows(numbers: dict) -> list[tuple]:
    rows = []
    for name in sorted(ANSWERS):
        for n, total in enumerate(numbers["attempts"][name], start=1):
            rows.append((CLASS_NAME, name, SLUG, str(n), score_percent(numbers, total), total,
                         str(numbers["possible"])))
    return rows


def expected_response_rows(numbers: dict, versions: dict[str, int]) -> list[tuple]:
    rows = []
    for name in sorted(ANSWERS):
        for attempt in ANSWERS[name]:
            for q in numbers["questions"]:
                rows.append((name, SLUG, q["id"], str(versions.get(q["id"], 1)), q["type"],
                             given_text(attempt[q["id"]]), right_answer_text(q), points(q, attempt[q["id"]])))
    return rows


# -- browser helpers ---------------------------------------------------------------------------

TABLE_TEXT = """table => Array.from(table.querySelectorAll("tr")).map(
    tr => Array.from(tr.cells).map(cell => cell.innerText.replace(/\\s+/g, " ").trim()))"""
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def table_rows(page, selector: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return page.locator(selector).evaluate(TABLE_TEXT)


def make_instructor(live, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    from quiz import accounts
    from quiz.db import db

    with live.app.app_context():
        accounts.create_user(db.session, username, password, role="instructor")
        db.session.commit()
        db.session.remove()


def sign_in(page, base: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    follow(page, page.get_by_role("button", name="Sign in"))
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Teaching")).to_be_visible()


def upload(page, base: str, text: str, name: str = FILE_NAME) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/teach/sets/")
    page.get_by_label("Set file (.yaml)").set_input_files(
        {"name": name, "mimeType": "application/x-yaml", "buffer": text.encode("utf-8")})
    follow(page, page.get_by_role("button", name="Check and upload"))


def take_set(page, base: str, attempt: dict, questions: list[dict], first: bool) -> str:  # type: ignore[no-untyped-def]
    """Starts the assigned set, answers every question as `attempt` says, finishes; the score shown."""
    if first:
        expect(page.get_by_role("heading", name="Assigned to you")).to_be_visible()
        follow(page, page.get_by_role("link", name=TITLE))
    else:
        page.goto(f"{base}/sets/{SLUG}/")
    expect(page.locator("main")).to_contain_text(f"Assigned in {CLASS_NAME}.")
    follow(page, page.get_by_role("button", name="Start", exact=True))
    for n, question in enumerate(questions, start=1):
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Question {n} of {len(questions)}")
        answer = attempt[question["id"]]
        if question["type"] == "label":
            expect(page.locator("blockquote.statement")).to_have_text(question["statement"])
            radio(page, LABEL_NAMES[answer]).check()
        elif question["type"] == "choice":
            text = question["options"]["abcdefgh".index(answer)]
            # options are shuffled: the letter shown is the position, not the author's letter
            page.get_by_role("radio", name=re.compile(rf"^[a-h]\. {re.escape(text)}$")).check()
        else:
            for position, label in enumerate(answer, start=1):
                radio(page, LABEL_NAMES[label], sentence_group(page, position)).check()
        # feedback "after the whole attempt": no verdict now, straight on to the next question
        follow(page, page.get_by_role("button", name="Save and continue"))
    expect(page.get_by_role("heading", level=1)).to_have_text("You answered every question")
    follow(page, page.get_by_role("button", name="See my result"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Your result: {TITLE}")
    return page.locator(".score").inner_text()


def download_csv(page, link_name: str, file_name: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    download = info.value
    assert download.suggested_filename == file_name
    with open(download.path(), "rb") as handle:
        raw = handle.read()
    assert raw.startswith(b"\xef\xbb\xbf"), "the CSV should start with a UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(raw.decode("utf-8").removeprefix("\ufeff"), newline="")))


def check_everything_shown(page, base: str, class_id: int, numbers: dict, versions: dict[str, int],
                           screenshots=None) -> None:  # type: ignore[no-untyped-def]
    """The class matrix, the set report and both CSVs against the numbers worked out here."""
    page.goto(f"{base}/teach/classes/{class_id}/")
    rows = table_rows(page, "table.matrix")
    header, body, foot = rows[0], rows[1:-1], rows[-1]
    assert header[0] == "Learner" and header[1].startswith(TITLE) and "(counts best)" in header[1], header
    shown = {row[0]: row[1] for row in body}
    assert shown == {name: f"{percent(value)}% done" for name, value in numbers["percents"].items()}, shown
    assert foot[:2] == ["Class average", f"{numbers['average']}%"], foot
    if screenshots:
        screenshots(page, "matrix.png")
    check_csv_exports(page, class_id, numbers, versions)

    follow(page, page.locator("table.matrix thead").get_by_role("link", name=TITLE, exact=True))
    expect(page).to_have_url(f"{base}/teach/classes/{class_id}/sets/{SLUG}/")
    mean = percent(sum(numbers["percents"].values()) / len(ANSWERS))
    summary = page.locator("main > p").filter(has_text="counted attempts")
    expect(summary).to_contain_text(f"{len(ANSWERS)} learners' counted attempts (counts the best attempt)")
    expect(summary).to_contain_text(f"mean score {mean}%")
    expect(page.locator("#largest-confusion")).to_have_text(numbers["largest"])
    for right in LABEL_NAMES:
        for chosen in LABEL_NAMES:
            n = numbers["cells"].get((right, chosen), 0)
            text = page.locator(f'[data-cell="{right}-{chosen}"]').inner_text().strip()
            assert text in {f"{n} ({p})" for p in cell_percent(n, numbers["rows"][right])}, (right, chosen, text)
    totals = {row[0]: row[-1] for row in table_rows(page, "table.confusion")[1:]}
    assert totals == {LABEL_NAMES[k]: str(v) for k, v in numbers["rows"].items()}, totals
    facility = {qid: page.locator(f'tr[data-question="{qid}"] .facility').inner_text()
                for qid in numbers["facility"]}
    assert facility == {qid: f"{percent(100 * value)}%" for qid, value in numbers["facility"].items()}, facility
    # a question is shown by its words, its id in brackets after them
    answered = {re.search(r"\((\S+)\)$", row[0]).group(1): row[1] for row in table_rows(page, "table.questions")[1:]}
    assert answered == {qid: str(len(ANSWERS)) for qid in numbers["facility"]}, answered
    assert table_rows(page, "table.distribution")[1] == [str(n) for n in numbers["distribution"]]
    if screenshots:
        screenshots(page, "set-report.png")


def check_csv_exports(page, class_id: int, numbers: dict, versions: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    """results.csv and responses.csv, downloaded through the class page's links."""
    results = download_csv(page, "Download results (CSV)", f"class-{class_id}-results.csv")
    assert results[0] == ["class", "learner", "set", "attempt", "started", "finished", "score", "points", "possible"]
    got = [(r[0], r[1], r[2], r[3], r[6], float(r[7]), r[8]) for r in results[1:]]
    wanted = expected_results_rows(numbers)
    assert len(got) == len(wanted), results
    for have, want in zip(got, wanted):
        assert have[:5] == want[:5] and have[6] == want[6] and abs(have[5] - want[5]) < 1e-4, (have, want)
    for row in results[1:]:
        assert ISO.match(row[4]) and ISO.match(row[5]) and row[4] <= row[5], row

    responses = download_csv(page, "Download every answer (CSV)", f"class-{class_id}-responses.csv")
    assert responses[0] == ["learner", "set", "question", "version", "type", "given answer", "right answer",
                            "score", "time"]
    wanted = expected_response_rows(numbers, versions)
    assert len(responses) - 1 == len(wanted), responses
    for row, want in zip(responses[1:], wanted):
        assert tuple(row[:7]) == want[:7] and abs(float(row[7]) - want[7]) < 1e-4 and ISO.match(row[8]), (row, want)


# -- 1. upload, class, learners, numbers, key fix --------------------------------------------

def test_upload_class_results_exports_and_a_key_fix_hold_the_numbers_the_answers_imply(
        live_server, page, new_context, screenshot):
    live = live_server
    base = live.url
    make_instructor(live, TEACHER, TEACHER_PASSWORD)
    sign_in(page, base, TEACHER, TEACHER_PASSWORD)

    # A broken file: every fault by line, the lines marked in the file's text, nothing saved.
    upload(page, base, SET_BROKEN)
    lines = SET_BROKEN.splitlines()
    fakt = next(n for n, line in enumerate(lines, start=1) if line.strip() == "answer: fakt")
    number = next(n for n, line in enumerate(lines, start=1) if line.strip() == "answer: 2")
    problems = page.locator("section.problems")
    expect(problems.get_by_role("heading", level=2)).to_have_text("2 problems: nothing was saved")
    expect(page.locator("#problems-title")).to_be_focused()
    listed = problems.locator("ul > li")
    expect(listed).to_have_count(2)
    expect(listed.nth(0)).to_have_text(re.compile(
        "^" + re.escape(f"{FILE_NAME}:{fakt}: question met: answer 'fakt' is not one of: fact, commentary, opinion")))
    expect(listed.nth(1)).to_have_text(re.compile(
        "^" + re.escape(f"{FILE_NAME}:{number}: question which: answer 2 is a number")))
    expect(listed.nth(0).get_by_role("link")).to_have_attribute("href", f"#line-{fakt}")
    source = problems.locator("ol.source > li")
    expect(source).to_have_count(len(lines))
    expect(problems.locator("ol.source > li.bad")).to_have_count(2)
    for line_number, message in [(fakt, "question met: answer 'fakt'"), (number, "question which: answer 2")]:
        marked = page.locator(f"#line-{line_number}")
        expect(marked).to_have_class(re.compile(r"\bbad\b"))
        expect(marked.locator("code")).to_have_text(lines[line_number - 1])
        expect(marked.locator("strong.error")).to_contain_text(message)
    expect(page.locator(f"#line-{fakt - 1}")).not_to_have_class(re.compile(r"\bbad\b"))
    expect(page.get_by_role("link", name=TITLE)).to_have_count(0)

    # The good file (with a wrong key nobody has noticed yet).
    upload(page, base, SET_WRONG_KEY)
    expect(page).to_have_url(f"{base}/teach/sets/{SLUG}/")
    expect(page.locator(".flash.info")).to_have_text(f"Uploaded: {TITLE} is ready to preview and assign.")
    expect(page.locator(".flash.warning")).to_have_count(0)
    preview = page.locator("ol.review > li")
    expect(preview).to_have_count(6)
    expect(preview.nth(3).locator("h3")).to_contain_text("(fighting, label, v1)")

    # A class, its code read from the page, the set assigned: feedback after the attempt, counts best.
    page.goto(base + "/teach/")
    page.get_by_label("Class name").fill(CLASS_NAME)
    follow(page, page.get_by_role("button", name="Create class"))
    match = re.search(r"/teach/classes/(\d+)/$", page.url)
    assert match, page.url
    class_id = int(match.group(1))
    code = page.locator("strong.code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code), code
    expect(page.locator(".flash")).to_have_text(f"Class {CLASS_NAME} created. Give learners the code {code}.")
    page.get_by_label("Set", exact=True).select_option(label=TITLE)
    page.get_by_label("After the whole attempt").check()
    page.get_by_label("Best", exact=True).check()
    follow(page, page.get_by_role("button", name="Assign"))
    expect(page.locator(".flash")).to_have_text(f"{TITLE} is assigned to {CLASS_NAME}.")
    expect(page.locator("main")).to_contain_text("No learner has joined yet.")

    # Four learners, each in a browser of their own; dev takes the set twice.
    before = expected_numbers(SET_WRONG_KEY)
    for name, attempts in ANSWERS.items():
        learner = new_context().new_page()
        join_with_mouse(learner, base, name, code=code)
        for n, attempt in enumerate(attempts):
            score = take_set(learner, base, attempt, before["questions"], first=n == 0)
            assert score.startswith(score_percent(before, before["attempts"][name][n]) + " · "), (name, n, score)
        learner.context.close()

    check_everything_shown(page, base, class_id, before, {}, screenshots=screenshot)

    # dev's own page: both attempts, and the first one's answers with verdicts.
    page.goto(f"{base}/teach/classes/{class_id}/")
    follow(page, page.locator("table.matrix tbody").get_by_role("link", name="dev", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("dev")
    scores = [row[3] for row in table_rows(page, "table.data")[1:]]
    assert scores == [score_percent(before, total) for total in before["attempts"]["dev"]], scores
    follow(page, page.get_by_role("link", name=TITLE).first)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"dev: {TITLE}")
    expect(page.locator("main")).to_contain_text("Score: " + score_percent(before, before["attempts"]["dev"][0]))
    right = [points(q, ANSWERS["dev"][0][q["id"]]) == 1 for q in before["questions"]]
    verdicts = page.locator("ol.review > li > .verdict")
    expect(verdicts).to_have_count(len(right))
    assert [("right" in (verdicts.nth(n).get_attribute("class") or "").split()) for n in range(len(right))] == right

    # The key fix: same id and wording, one key changed; regrading moves and re-scores answers.
    upload(page, base, SET_FIXED)
    expect(page).to_have_url(f"{base}/teach/sets/{SLUG}/")
    expect(page.locator(".flash.info")).to_have_text(
        f"Replaced: {TITLE} is updated; changed questions got a new version.")
    after = expected_numbers(SET_FIXED)
    changed_questions = {q["id"] for q, old in zip(after["questions"], before["questions"]) if q != old}
    assert changed_questions == {"fighting"}
    heads = page.locator("ol.review > li h3")
    for n, q in enumerate(after["questions"]):
        expect(heads.nth(n)).to_contain_text(f"({q['id']}, {q['type']}, v{2 if q['id'] in changed_questions else 1})")
    # Nothing moves until the instructor regrades: the matrix still shows the old key's numbers.
    page.goto(f"{base}/teach/classes/{class_id}/")
    assert {r[0]: r[1] for r in table_rows(page, "table.matrix")[1:-1]} == {
        name: f"{percent(v)}% done" for name, v in before["percents"].items()}

    page.goto(f"{base}/teach/sets/{SLUG}/")
    follow(page, page.get_by_role("button", name="Regrade after a key fix"))
    olds = {q["id"]: q for q in before["questions"]}
    news = {q["id"]: q for q in after["questions"]}
    answers_moved = sum(len(tries) for tries in ANSWERS.values()) * len(changed_questions)
    scores_changed = sum(1 for tries in ANSWERS.values() for attempt in tries for qid in changed_questions
                         if points(olds[qid], attempt[qid]) != points(news[qid], attempt[qid]))
    assert scores_changed == 5  # ann, cara and dev's second attempt gain the point; ben and dev's first lose it
    message = page.locator(".flash.info")
    expect(message).to_contain_text(f"Regraded: {answers_moved} answers to earlier versions")
    expect(message).to_contain_text(f"; {scores_changed} scores changed.")
    assert after["counted"]["dev"] != before["counted"]["dev"], "the fix should change dev's best attempt"
    assert after["largest"] != before["largest"]

    check_everything_shown(page, base, class_id, after, {qid: 2 for qid in changed_questions})

    # Regrading again changes nothing more.
    page.goto(f"{base}/teach/sets/{SLUG}/")
    follow(page, page.get_by_role("button", name="Regrade after a key fix"))
    expect(page.locator(".flash.info")).to_contain_text("; 0 scores changed.")


# -- 2. axe-core on every /teach/ page, and hiding names ------------------------------------

def take_sample_set_over_http(live, username: str, answers: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """A learner joins and takes the sample set through HTTP: quick background for the axe checks
    (the learner's side in the browser is test_learner_browser.py's)."""
    client = live.app.test_client()
    assert join_as(client, username).status_code == 302
    url = post_form(client, "/sets/sample/", {}, action="/sets/sample/start").headers["Location"].split("?")[0]
    for position, fields in enumerate(answers):
        assert post_form(client, url, dict(fields, position=str(position))).status_code == 200   # the feedback page
    assert post_form(client, url, {}, action=url + "finish").status_code == 302


def test_no_accessibility_violations_on_teach_pages_and_names_can_be_hidden(live_server, page):
    live = live_server
    base = live.url
    class_id = live.make_class(assign="sample")  # taught by "teacher"
    take_sample_set_over_http(live, "zoe", [{"label": "fact"}, {"option": "b"}, {"word": ["3", "4"]},
                                            {"item-0": "fact", "item-1": "commentary"}])
    take_sample_set_over_http(live, "yuri", [{"label": "opinion"}, {"option": "a"}, {"word": ["0"]},
                                             {"item-0": "opinion", "item-1": "fact"}])
    sign_in(page, base, "teacher", "teacher-password")
    problems: list[str] = []

    def check(name: str) -> None:
        expect(page.locator("main")).to_be_visible()
        for violation in run_axe(page):  # every impact counts
            targets = [node["target"] for node in violation["nodes"]]
            problems.append(f"{name} ({page.url}): {violation['id']} [{violation['impact']}] "
                            f"{violation['help']} at {targets}")

    page.goto(base + "/teach/")
    check("teaching home")
    page.goto(base + "/teach/sets/")
    check("sets")
    upload(page, base, SET_BROKEN)
    expect(page.locator("ol.source li.bad")).to_have_count(2)
    check("sets, with upload errors by line")
    page.goto(base + "/teach/sets/sample/")
    expect(page.get_by_role("button", name="Regrade after a key fix")).to_have_count(0)  # a site set: quiz regrade
    expect(page.locator("ol.review > li")).to_have_count(4)
    check("set detail and preview")

    page.goto(f"{base}/teach/classes/{class_id}/")
    matrix_names = page.locator("table.matrix tbody th[scope=row]")
    expect(matrix_names).to_have_text(["yuri", "zoe"])
    check("class page")
    follow(page, page.locator("table.matrix thead").get_by_role("link", name="Sample set", exact=True))
    expect(page.locator("table.confusion")).to_be_visible()
    check("set report")
    page.goto(f"{base}/teach/classes/{class_id}/")
    follow(page, page.get_by_role("link", name="zoe", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("zoe")
    check("learner page")
    follow(page, page.get_by_role("link", name="Sample set").first)
    expect(page.locator("ol.review > li")).to_have_count(4)
    check("attempt page")
    page.goto(f"{base}/teach/classes/{class_id}/")
    follow(page, page.get_by_role("link", name="Remove zoe"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove zoe from Year 9?")
    check("remove confirmation")
    page.goto(f"{base}/teach/classes/{class_id}/")
    follow(page, page.get_by_role("button", name="Password reset code for yuri"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Password reset code for yuri")
    check("reset code")

    # Hide names (projector): the class page and a learner's pages show "Learner N" (by joining order).
    page.goto(f"{base}/teach/classes/{class_id}/")
    toggle = page.get_by_role("button", name="Hide names (projector)")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    follow(page, toggle)
    expect(page).to_have_url(f"{base}/teach/classes/{class_id}/")
    expect(page.get_by_role("button", name="Hide names (projector)")).to_have_attribute("aria-pressed", "true")
    expect(matrix_names).to_have_text(["Learner 1", "Learner 2"])  # zoe joined first
    main_text = page.locator("main").inner_text()
    assert not re.search(r"\b(zoe|yuri)\b", main_text), main_text
    follow(page, page.get_by_role("link", name="Learner 1", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Learner 1")
    assert "zoe" not in page.locator("main").inner_text()
    follow(page, page.get_by_role("button", name="Hide names (projector)"))
    expect(page.get_by_role("heading", level=1)).to_have_text("zoe")
    page.goto(f"{base}/teach/classes/{class_id}/")
    expect(matrix_names).to_have_text(["yuri", "zoe"])

    assert not problems, "axe-core found violations:\n" + "\n".join(problems)
