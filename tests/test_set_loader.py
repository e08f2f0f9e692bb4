"""The set loader as teachers meet it: one clear line per fault, good files load, warnings, limits.

Every file under tests/fixtures/bad/ holds one fault (named in its first line) and is listed in
`BAD` with the exact lines `quiz check` must print for it. Lines are written without the
`tests/fixtures/bad/NAME.yaml:` prefix, which the test adds: the comparison is of full lines.
"""
from __future__ import annotations

import signal
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from quiz.cli import main
from quiz.sets import LoadedSet, SetFileError, check_paths, load_path, load_set
from quiz.sets.reading import reading_grade

ROOT = Path(__file__).resolve().parent.parent
BAD_DIR = "tests/fixtures/bad"
GOOD_DIR = "tests/fixtures/good"

STEP_LIST = "format, id, title, summary, level, language, visibility, source, labels, article, questions"
LABEL_KEYS = "id, type, prompt, statement, answer, accept, why, cues"
ID_RULE = ("breaks the id pattern: lower-case letters, digits and hyphens, starting with a letter or "
           "digit, at most 64 characters")
NOT_IN_STATEMENT = "is not a part of the statement: copy whole words exactly as they appear in it"

BAD: dict[str, list[str]] = {
    # YAML reads a word or a number as something other than text
    "language_no": ['5: language: `no` reads as false here, not text: put it in quotes ("no")'],
    "option_yes": [('9: question checkable: options entry: `Yes` reads as true here, not text: '
                    'put it in quotes ("Yes")')],
    "option_time": [('11: question meeting-length: options entry: `1:30` reads as a number here, not text: '
                     'put it in quotes ("1:30")')],
    "title_number": ['4: title: `2025` reads as a number here, not text: put it in quotes ("2025")'],
    "statement_null": ["8: question envoys-met: statement is empty: write its text"],
    "statement_empty": ["8: question envoys-met: statement is empty: write its text"],
    # duplicate keys
    "duplicate_top_key": ["5: duplicate key 'title' (first at line 4)"],
    "duplicate_question_key": ["11: question envoys-met: duplicate key 'answer' (first at line 9)"],
    # faults of the YAML itself: refused before anything is built
    "tab_indent": ["10: a tab character: use spaces, not tabs (for indenting too)"],
    "anchor": ["10: anchor &step3 is not allowed: write each value out in full"],
    "alias": ["10: alias *step3 is not allowed: write the value out in full"],
    "tag_str": ["9: tag !!str is not allowed: write plain values (quote text if needed)"],
    "tag_python": [("8: tag !!python/object/apply:os.system is not allowed: "
                    "write plain values (quote text if needed)")],
    "two_documents": [("11: a set file holds one YAML document: remove the `---` line and what follows, "
                       "or put the second set in a file of its own")],
    "not_utf8": ["8: the file is not UTF-8 text: save it as UTF-8 and try again"],
    "empty": ["1: the file is empty: a set starts with `format: 1`"],
    "list_not_mapping": ["2: the set file must be a mapping of keys and values: start it with `format: 1`"],
    "nesting_too_deep": ["10: nesting is deeper than 20 levels: check the brackets and indentation"],
    "colon_in_text": ["10: a colon followed by a space inside text: put the whole text in quotes"],
    # keys
    "unknown_top_key": [f"5: unknown key 'sumary' (did you mean 'summary'?); allowed here: {STEP_LIST}"],
    "unknown_question_key": [(f"10: question envoys-met: unknown key 'acept' (did you mean 'accept'?); "
                              f"allowed here: {LABEL_KEYS}")],
    "missing_format": ["2: missing required key 'format'"],
    "missing_id": ["2: missing required key 'id'"],
    "missing_title": ["2: missing required key 'title'"],
    "missing_questions": ["2: missing required key 'questions'"],
    "missing_why": ["6: question envoys-met: missing required key 'why'"],
    "missing_statement": ["6: question envoys-met: missing required key 'statement'"],
    "missing_options": ["6: question which-is-fact: missing required key 'options'"],
    "missing_item_why": ["12: question summary-sort: item 2: missing required key 'why'"],
    "question_missing_type": [("6: question envoys-met: missing required key 'type' "
                               "(one of: label, choice, spot, sort)")],
    "source_missing_headline": ["6: source: missing required key 'headline'"],
    # values
    "format_2": ["2: format `2` is not supported: this release reads format 1 (write `format: 1`)"],
    "format_quoted": ["2: format must be the number 1, not text: write `format: 1` without quotes"],
    "set_id_pattern": [f"3: set id 'Putin_Peace_Proposal' {ID_RULE}"],
    "question_id_pattern": [f"6: question #1: question id 'envoys met' {ID_RULE}"],
    "duplicate_question_id": ["11: question envoys-met: duplicate question id 'envoys-met' (first at line 6)"],
    "empty_questions": ["5: the set has no questions: add at least one under `questions:`"],
    "answer_not_label": [("9: question envoys-met: answer 'facts' is not one of: fact, commentary, opinion "
                          "(did you mean 'fact'?)")],
    "accept_not_label": [("10: question calling-for: accept 'comment' is not one of: fact, commentary, opinion "
                          "(did you mean 'commentary'?)")],
    "choice_answer_number": [("13: question which-is-fact: answer 2 is a number, but options are lettered "
                              "a, b, c ...; write 'b' for option 2")],
    "choice_letter_out_of_range": [("13: question which-is-fact: answer 'd' is not one of the option letters: "
                                    "a, b, c")],
    "pin_not_letter": ["14: question which-is-fact: pin 'e' is not one of the option letters: a, b, c"],
    "choice_one_option": ["9: question which-is-fact: options has 1 option; a choice needs 2 to 26"],
    "select_all_empty": [("13: question which-are-opinion: answer lists no letters: "
                          "name at least one right option")],
    "spot_answer_not_in_statement": [(f"9: question staged: answer 'carefully choreographed preformance' "
                                      f"{NOT_IN_STATEMENT}")],
    "cue_not_in_statement": [f"11: question charade: cue 'farce' {NOT_IN_STATEMENT}"],
    "unknown_type": [("7: question envoys-met: type 'lable' is not one of: label, choice, spot, sort "
                      "(did you mean 'label'?)")],
    "unknown_level": ["5: level 'medium' is not one of: beginner, intermediate, advanced"],
    "unknown_visibility": ["5: visibility 'private' is not one of: public, classes"],
    "language_not_bcp47": ["5: language 'English' is not a BCP 47 tag such as en, fr or pt-BR"],
    "labels_unknown_name": [("5: labels 'pew' is not known: write `labels: standard` or a mapping of your "
                             "own labels, each with a name and a definition")],
    "url_ftp": ["7: source url 'ftp://news.example.org/putin.txt' is not an http:// or https:// address"],
    "url_javascript": ["7: source url 'javascript:alert(document.cookie)' is not an http:// or https:// address"],
    "statement_too_long": ["8: question core-of-issue: statement is 1,010 characters long; the limit is 1,000"],
    "labels_only_one": ["6: labels needs at least two labels to choose between"],
    "sort_answer_not_own_label": [("17: question summary-sort: item 2 answer 'commentary' is not one of: "
                                   "factual, opinion")],
    "sort_empty_items": [("9: question summary-sort: items must be a list of sentences, "
                          "each `- {text: ..., answer: ..., why: ...}`")],
    "question_not_mapping": ["6: question #1: a question must be a mapping starting with `- id: ...`"],
    # once known bugs, now fixed: the line of the offending entry, the allowed values named
    "answer_no": [("9: question envoys-met: answer: `no` reads as false here, not text; answer must be one of: "
          "fact, commentary, opinion")],
    "visibility_on": ["5: visibility: `on` reads as true here, not text; visibility must be one of: public, classes"],
    "control_character": ["8: the file holds a character YAML does not allow (U+000C): remove it"],
    "unclosed_quote": ["8: not valid YAML: found unexpected end of stream (while scanning a quoted scalar)"],
    "accept_block_second_entry": [("12: question calling-for: accept 'opnion' is not one of: fact, commentary, opinion "
          "(did you mean 'opinion'?)")],
    "spot_block_second_entry": [f"11: question staged: answer 'carefully staged performance' {NOT_IN_STATEMENT}"],
    "set_id_too_long": [f"3: set id '{'putin-' * 50}' {ID_RULE}"],
    "source_date_number": ['7: source date: `2025` reads as a number here, not text: put it in quotes ("2025")'],
    # a file with several faults reports every one, in line order
    "three_faults": [
        f"5: unknown key 'levle' (did you mean 'level'?); allowed here: {STEP_LIST}",
        "10: question envoys-met: answer 'Fact' is not one of: fact, commentary, opinion (did you mean 'fact'?)",
        "12: question staged: missing required key 'why'",
    ],
}



def _cases():
    for name, lines in sorted(BAD.items()):
        yield pytest.param(name, lines, id=name)


@pytest.fixture
def in_repo(monkeypatch):
    """Run from the repository root, so file names print as teachers type them."""
    monkeypatch.chdir(ROOT)


@contextmanager
def within(seconds: float):
    """Stops a runaway loader (a hang or an expansion bomb) instead of letting the suite hang.

    A guard, not a timing: the budget is far above what the work needs, in CPU time, so a busy
    machine cannot fail the test. Speed is measured in benchmarks/, never asserted here.
    """
    def stop(_signum, _frame):
        raise TimeoutError(f"took more than {seconds} s of CPU time")
    previous = signal.signal(signal.SIGVTALRM, stop)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


def problems_of(data: bytes | str, file: str = "set.yaml") -> list[str]:
    with pytest.raises(SetFileError) as caught:
        load_set(data, file)
    return [str(problem) for problem in caught.value.problems]


# -- (a) bad files: exactly their lines ---------------------------------------------------------

@pytest.mark.parametrize("name, lines", list(_cases()))
def test_bad_file_reports_exactly_its_faults(in_repo, name, lines):
    path = f"{BAD_DIR}/{name}.yaml"
    with pytest.raises(SetFileError) as caught:
        load_path(path)
    assert [str(problem) for problem in caught.value.problems] == [f"{path}:{line}" for line in lines]


def test_every_bad_fixture_has_its_expected_lines():
    on_disk = {path.stem for path in (ROOT / BAD_DIR).glob("*.yaml")}
    assert on_disk == set(BAD)
    assert len(on_disk) >= 34


def test_bad_fixture_given_as_bytes_reports_the_same_lines(in_repo):
    data = (ROOT / BAD_DIR / "three_faults.yaml").read_bytes()
    assert problems_of(data, "upload.yaml") == [f"upload.yaml:{line}" for line in BAD["three_faults"]]


def test_every_problem_line_names_file_and_line(in_repo):
    result = check_paths([BAD_DIR])
    assert result.errors
    for problem in result.errors:
        text = str(problem)
        assert text.startswith(f"{problem.file}:{problem.line}: ")
        assert "\n" not in text


def test_a_bad_file_never_stops_the_good_ones_loading(in_repo):
    result = check_paths([GOOD_DIR, f"{BAD_DIR}/answer_not_label.yaml", f"{BAD_DIR}/tab_indent.yaml"])
    assert sorted(loaded.set.id for loaded in result.loaded) == sorted(GOOD.values())
    assert {problem.file for problem in result.errors} == {f"{BAD_DIR}/answer_not_label.yaml",
                                                           f"{BAD_DIR}/tab_indent.yaml"}


# -- (b) good files load ------------------------------------------------------------------------

# file stem -> set id, then (question id, type, answer) in order
GOOD: dict[str, str] = {
    "minimal": "minimal",
    "all_types": "putin-peace-proposal",
    "pew_two_way": "pew-two-way",
    "select_all": "select-all-opinions",
    "spot_none": "spot-nothing",
    "curly_quotes": "curly-quotes",
    "article_and_source": "fighting-continues",
    "windows_bom_crlf": "windows-notepad",
}
GOOD_QUESTIONS: dict[str, list[tuple[str, str, object]]] = {
    "minimal": [("envoys-met", "label", "fact")],
    "all_types": [
        ("envoys-met", "label", "fact"),
        ("charade", "label", "opinion"),
        ("core-of-issue", "label", "commentary"),
        ("calling-for", "label", "fact"),
        ("which-is-fact", "choice", ("b",)),
        ("staged", "spot", ("feels staged", "carefully choreographed performance")),
        ("commentary-sort", "sort", ""),
    ],
    "pew_two_way": [("fighting-continued", "label", "factual"), ("empty-gestures", "label", "opinion"),
                    ("mixed-sort", "sort", "")],
    "select_all": [("which-are-opinion", "choice", ("a", "c", "d")), ("which-is-fact", "choice", ("b",))],
    "spot_none": [("plain-report", "spot", ()), ("mind-boggling", "spot", ("mind-boggling",))],
    "curly_quotes": [("peace-treaty", "spot", ('"peace treaty"', "wasn't good enough")),
                     ("villain", "spot", ("villain who\u2019s not quite ready",)),
                     ("useful", "label", "fact")],
    "article_and_source": [("unacceptable", "label", "fact"), ("not-working", "label", "opinion"),
                           ("china-involved", "label", "fact"), ("missing-exits", "label", "opinion"),
                           ("summary-sort", "sort", "")],
    "windows_bom_crlf": [("staged", "label", "opinion"), ("fighting-continued", "label", "fact")],
}


def load_good(name: str) -> LoadedSet:
    return load_path(ROOT / GOOD_DIR / f"{name}.yaml")


def test_every_good_fixture_is_listed():
    assert {path.stem for path in (ROOT / GOOD_DIR).glob("*.yaml")} == set(GOOD)


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_file_loads_with_its_questions_and_answers(name):
    loaded = load_good(name)
    assert loaded.set.id == GOOD[name]
    assert [(q.id, q.type, q.answer) for q in loaded.set.questions] == GOOD_QUESTIONS[name]


def test_all_types_keeps_every_optional_key():
    qset = load_good("all_types").set
    assert (qset.summary, qset.level, qset.language, qset.visibility) == (
        "A news summary and a commentary that look alike at a glance.", "intermediate", "en", "public")
    assert qset.source is not None
    assert qset.source.date == "2025-12-03"
    assert qset.source.url == "https://news.example.org/2025/12/03/putin-peace-proposal"
    assert qset.source.publisher is None
    assert [section.section for section in qset.article] == ["News summary", "Commentary"]
    assert qset.article[0].text.startswith("Russian President Vladimir Putin acknowledged")
    assert "Make your own table" in qset.article[1].text
    questions = {q.id: q for q in qset.questions}
    assert questions["calling-for"].accept == ("commentary",)
    assert questions["charade"].cues == ("charade",)
    assert questions["core-of-issue"].prompt == "What kind of statement is this?"
    assert questions["envoys-met"].prompt == "Is this a reported fact, commentary or opinion?"
    assert questions["which-is-fact"].options[1] == "Despite the diplomatic efforts, fighting continued."
    items = questions["commentary-sort"].items
    assert [(i.answer, i.accept) for i in items] == [("opinion", ()), ("commentary", ()),
                                                     ("fact", ("commentary",))]
    assert items[1].cues == ("wants it all",)


def test_defaults_apply_when_optional_keys_are_left_out():
    qset = load_good("minimal").set
    assert (qset.summary, qset.level, qset.language, qset.visibility, qset.source) == ("", None, "en",
                                                                                      "public", None)
    assert qset.standard_labels and list(qset.labels) == ["fact", "commentary", "opinion"]


def test_own_labels_replace_the_standard_three():
    qset = load_good("pew_two_way").set
    assert not qset.standard_labels
    assert {key: label.name for key, label in qset.labels.items()} == {
        "factual": "Factual statement", "opinion": "Opinion statement"}
    assert qset.label_counts() == {"factual": 2, "opinion": 2}


def test_choice_answer_list_means_select_all_and_letters_ignore_case():
    questions = load_good("select_all").set.questions
    assert [(q.answer, q.select_all) for q in questions] == [(("a", "c", "d"), True), (("b",), False)]


def test_source_date_and_url_with_query_are_kept_as_written():
    qset = load_good("article_and_source").set
    assert qset.source is not None
    assert (qset.source.publisher, qset.source.author, qset.source.date, qset.source.url, qset.source.licence) == (
        "Example News", "A. Reporter", "2025-12-03", "https://news.example.org/world/putin-proposal?src=quiz#summary",
        "CC BY 4.0")
    assert qset.visibility == "classes"
    assert [section.section for section in qset.article] == ["News summary", None]
    assert qset.questions[1].accept == ("commentary",)


def test_good_files_have_no_warnings_unless_a_guesser_would_pass():
    for name in GOOD:
        warnings = [str(w) for w in load_good(name).warnings]
        if name == "minimal":
            assert warnings == [(f"{ROOT / GOOD_DIR}/minimal.yaml:5: warning: a blind strategy scores 100% "
                                 "(over 50%): one label for everything, option a of every choice, nothing "
                                 "marked on spots; balance the labels and the answer letters (label counts: "
                                 "fact 1, commentary 0, opinion 0)")]
        else:
            assert warnings == [], name


# -- (c) warnings -------------------------------------------------------------------------------

ARTICLE_SET = """format: 1
id: paraphrase
title: Paraphrased statements
article:
  - section: News summary
    text: |
      Despite the diplomatic efforts, fighting continued, with ongoing attacks on Ukrainian
      cities resulting in casualties and infrastructure damage. This whole thing feels staged,
      like a carefully choreographed performance.
questions:
  - id: word-for-word
    type: label
    statement: "despite the diplomatic efforts, fighting continued, with ongoing attacks on Ukrainian cities"
    answer: fact
    why: "Step 3."
  - id: paraphrased
    type: label
    statement: "Fighting went on despite the diplomacy."
    answer: fact
    why: "Step 3."
  - id: both-kinds
    type: sort
    items:
      - {text: "This whole thing feels staged, like a carefully choreographed performance.", answer: opinion, why: "Step 1."}
      - {text: "The whole thing feels staged.", answer: commentary, why: "Step 2."}
  - id: staged-spot
    type: spot
    statement: "Not from the article at all, and that is fine for spot."
    answer: [fine]
    why: "Step 1."
  - id: staged-choice
    type: choice
    prompt: "Which is opinion?"
    options: ["Fighting continued.", "It feels staged."]
    answer: b
    why: "Step 1."
"""


def test_statement_not_word_for_word_in_article_warns_with_its_line():
    loaded = load_set(ARTICLE_SET, "paraphrase.yaml")
    assert [str(w) for w in loaded.warnings] == [
        ("paraphrase.yaml:16: warning: question paraphrased: the statement is not word for word in the "
         "article (a paraphrase can change the label): copy it exactly"),
        ("paraphrase.yaml:21: warning: question both-kinds: item 2 is not word for word in the article "
         "(a paraphrase can change the label): copy it exactly"),
    ]


def test_curly_quotes_case_and_line_breaks_do_not_count_as_paraphrase():
    text = ("format: 1\nid: quotes\ntitle: Quotes\narticle:\n  - text: |\n"
            "      Although Putin described the talks as \u201cnecessary\u201d and\n"
            "      \u201cuseful,\u201d he also indicated that the process is still early.\n"
            "questions:\n"
            "  - {id: q1, type: label, answer: fact, why: Step 3.,\n"
            "     statement: 'ALTHOUGH Putin described the talks as \"necessary\" and \"useful,\" he'}\n"
            "  - {id: q2, type: label, answer: opinion, why: Step 1., statement: 'something else'}\n")
    assert [w.question for w in load_set(text, "q.yaml").warnings] == ["q2"]


def test_warnings_do_not_stop_a_set_loading():
    loaded = load_set(ARTICLE_SET, "paraphrase.yaml")
    assert [q.id for q in loaded.set.questions] == ["word-for-word", "paraphrased", "both-kinds",
                                                    "staged-spot", "staged-choice"]


HAND_WORKED = """format: 1
id: hand-worked
title: Every kind of point a blind guesser can earn
questions:
  - {id: a, type: label, statement: "A.", answer: fact, why: "Step 3."}
  - {id: b, type: label, statement: "B.", answer: opinion, accept: [commentary], why: "Step 1."}
  - id: c
    type: sort
    items:
      - {text: "C1.", answer: fact, why: "."}
      - {text: "C2.", answer: commentary, why: "."}
      - {text: "C3.", answer: commentary, accept: [opinion], why: "."}
      - {text: "C4.", answer: opinion, why: "."}
  - {id: d, type: choice, prompt: "Which?", options: ["x", "y"], answer: a, why: "."}
  - {id: e, type: choice, prompt: "Which?", options: ["x", "y"], answer: b, why: "."}
  - {id: f, type: choice, prompt: "Which?", options: ["x", "y", "z"], answer: [a, c], why: "."}
  - {id: g, type: spot, statement: "Plain words.", answer: [], why: "."}
  - {id: h, type: spot, statement: "A loaded word.", answer: [loaded], why: "."}
"""


def test_blind_score_adds_the_best_label_option_a_and_nothing_marked():
    # one label: fact a 1 + c 1/4 = 1.25; commentary b 1 (accepted) + c 2/4 = 1.5;
    #            opinion b 1 + c 2/4 (C3 accepts it) = 1.5  -> best 1.5
    # option a:  d 1 + e 0 + f 1/2 (one of two right options) = 1.5
    # nothing marked: g 1 + h 0 = 1
    # blind = (1.5 + 1.5 + 1) / 8 = 50%; guess (labels only) = 1.5 / 8
    qset = load_set(HAND_WORKED, "hand.yaml").set
    assert qset.blind_score() == 0.5
    assert qset.guess_score() == 1.5 / 8
    assert qset.sorts_won_by_one_label() == []
    assert load_set(HAND_WORKED, "hand.yaml").warnings == ()


def test_set_a_blind_guesser_passes_warns_with_the_blind_score():
    text = HAND_WORKED.replace('"C1.", answer: fact', '"C1.", answer: commentary').replace(
        '"C4.", answer: opinion', '"C4.", answer: commentary')
    # commentary now wins the sort outright: b 1 + c 1 = 2; blind = (2 + 1.5 + 1) / 8 = 56.25%
    loaded = load_set(text, "hand.yaml")
    assert loaded.set.blind_score() == 4.5 / 8
    assert [str(w) for w in loaded.warnings] == [
        ("hand.yaml:4: warning: a blind strategy scores 56% (over 50%): one label for everything, option a "
         "of every choice, nothing marked on spots; balance the labels and the answer letters "
         "(label counts: fact 1, commentary 4, opinion 1)"),
        ("hand.yaml:7: warning: question c: answering commentary for every item gets this whole sort "
         "right: mix in sentences with other labels")]


def test_a_sort_counts_as_won_when_accepted_labels_cover_every_item():
    text = HAND_WORKED.replace('"C1.", answer: fact', '"C1.", answer: opinion, accept: [commentary]').replace(
        '"C4.", answer: opinion', '"C4.", answer: opinion, accept: [commentary]')
    qset = load_set(text, "hand.yaml").set
    assert [(q.id, label) for q, label in qset.sorts_won_by_one_label()] == [("c", "commentary")]


def test_option_a_is_the_authors_first_option_for_select_all_too():
    qset = load_set(HAND_WORKED.replace("answer: [a, c]", "answer: [b, c]"), "hand.yaml").set
    assert qset.blind_score() == 3.5 / 8


def test_reading_grade_is_flesch_kincaid_on_a_hand_counted_text():
    # 9 words of one syllable each ("home", "late": silent e), 2 sentences:
    # 0.39 x 9/2 + 11.8 x 9/9 - 15.59 = -2.035
    assert reading_grade(["The dog ran home. It was late at night."]) == pytest.approx(-2.035)
    # a text is a sentence even without a full stop: 3 words of 1 + 1 ("one") + 3 syllables
    assert reading_grade(["Step one: evidence"]) == pytest.approx(0.39 * 3 + 11.8 * 5 / 3 - 15.59)
    assert reading_grade(["", "..."]) is None


def test_long_words_read_at_a_higher_grade_than_plain_ones():
    plain = reading_grade(["Step 2: it guesses what Putin wants. No record of his words says so."])
    hard = reading_grade(["Step 2: it insinuates an unverifiable, value-laden characterisation of intentions."])
    assert plain is not None and hard is not None and plain < 8 < hard


# -- (d) limits: big, deep and explosive files fail fast and clearly ---------------------------

MINIMAL = (ROOT / GOOD_DIR / "minimal.yaml").read_bytes()


def test_file_over_one_mebibyte_is_refused_before_parsing():
    data = MINIMAL + b"#" + b"x" * (1024 * 1024 - len(MINIMAL) - 1) + b"\n"
    assert len(data) == 1024 * 1024 + 1
    with within(30):
        assert problems_of(data, "big.yaml") == [
            "big.yaml:1: the file is 1,048,577 bytes; the limit is 1,048,576 (1 MiB)"]


def test_file_of_exactly_one_mebibyte_is_not_refused_for_its_size():
    data = MINIMAL + b"#" + b"x" * (1024 * 1024 - len(MINIMAL) - 2) + b"\n"
    assert len(data) == 1024 * 1024
    assert load_set(data, "big.yaml").set.id == "minimal"


def test_huge_file_on_disk_is_refused_by_its_size(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("huge.yaml").write_bytes(b"format: 1\n" + b"# padding\n" * 200_000)
    with within(30), pytest.raises(SetFileError) as caught:
        load_path("huge.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "huge.yaml:1: the file is 2,000,010 bytes; the limit is 1,048,576 (1 MiB)"]


def test_deeply_nested_file_is_refused_quickly():
    data = "format: 1\nid: deep\ntitle: Deep\nquestions: " + "[" * 200_000 + "]" * 200_000 + "\n"
    with within(30):
        assert problems_of(data, "deep.yaml") == ["deep.yaml:4: nesting is deeper than 20 levels: check the brackets and indentation"]


def test_nesting_of_twenty_levels_is_not_refused_for_depth():
    # the set mapping, the questions list and the question make 3 levels; 17 lists in `why` make 20
    text = MINIMAL.decode().replace('why: "Step 3: what Putin said is on the record."',
                                    "why: " + "[" * 17 + "x" + "]" * 17)
    assert problems_of(text, "q.yaml") == ["q.yaml:10: question envoys-met: why must be text, not a list"]
    deeper = text.replace("why: [", "why: [[").replace("]\n", "]]\n")
    assert problems_of(deeper, "q.yaml") == ["q.yaml:10: nesting is deeper than 20 levels: check the brackets and indentation"]


def test_billion_laughs_is_refused_before_any_expansion():
    lols = ["format: 1", "id: lol", "title: Laughs", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(ord("b"), ord("j") + 1):
        prev = chr(n - 1)
        lols.append(f"{chr(n)}: &{chr(n)} [" + ",".join([f"*{prev}"] * 9) + "]")
    lols.append("questions: *j")
    with within(30):
        assert problems_of("\n".join(lols) + "\n", "lol.yaml") == [
            "lol.yaml:4: anchor &a is not allowed: write each value out in full"]


def test_more_than_500_questions_is_refused():
    question = '  - {{id: q{n}, type: label, statement: "S.", answer: fact, why: "W."}}\n'
    text = "format: 1\nid: many\ntitle: Many\nquestions:\n" + "".join(question.format(n=n) for n in range(501))
    assert problems_of(text, "many.yaml") == ["many.yaml:5: the set has 501 questions; the limit is 500"]


def test_choice_answer_of_a_huge_number_is_an_error_line_not_a_crash():
    text = MINIMAL.decode().replace(
        "    type: label\n    statement: \"Putin says there are points he can\u2019t agree to in the U.S. "
        "proposal to end Ukraine war.\"\n    answer: fact\n",
        "    type: choice\n    prompt: Which?\n    options: [x, y]\n    answer: " + "1" * 5000 + "\n")
    problems = problems_of(text, "q.yaml")
    assert len(problems) == 1 and problems[0].startswith("q.yaml:10: question envoys-met: answer ")


def test_error_about_a_value_with_a_line_break_stays_on_one_line():
    text = MINIMAL.decode().replace("answer: fact", "answer: >\n      facts")
    problems = problems_of(text, "q.yaml")
    assert len(problems) == 1 and problems[0].startswith("q.yaml:9: question envoys-met: answer ")
    assert len(problems[0].splitlines()) == 1


def test_a_long_article_with_many_sort_items_is_checked_without_hanging():
    article = "Despite the diplomatic efforts, fighting continued in many places today. " * 1200
    items = "".join(f"      - {{text: 'sentence {i}', answer: fact, why: w}}\n" for i in range(100))
    questions = "".join(f"  - id: q{n}\n    type: sort\n    items:\n{items}" for n in range(3))
    text = f"format: 1\nid: s\ntitle: T\narticle:\n  - text: '{article}'\nquestions:\n{questions}"
    assert len(text.encode()) < 1024 * 1024
    with within(30):
        loaded = load_set(text, "big.yaml")
    # 300 paraphrase warnings, the blind score, and each of the 3 sorts won by `fact`
    assert len(loaded.warnings) == 304


# -- (e) several files ---------------------------------------------------------------------------

def test_same_set_id_in_two_files_is_an_error_on_the_second(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("sets").mkdir()
    Path("sets/a.yaml").write_bytes(MINIMAL)
    Path("sets/b.yaml").write_bytes(MINIMAL.replace(b"title: One statement", b"title: A copy"))
    Path("sets/c.yaml").write_bytes(MINIMAL.replace(b"id: minimal", b"id: another"))
    result = check_paths(["sets"])
    assert [str(problem) for problem in result.errors] == [
        "sets/b.yaml:3: duplicate set id 'minimal' (also in sets/a.yaml:3)"]
    assert [(loaded.file, loaded.set.id) for loaded in result.loaded] == [
        ("sets/a.yaml", "minimal"), ("sets/c.yaml", "another")]


def test_check_paths_finds_yaml_and_yml_in_folders_and_skips_other_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("sets/deeper").mkdir(parents=True)
    Path("sets/a.yaml").write_bytes(MINIMAL)
    Path("sets/deeper/b.yml").write_bytes(MINIMAL.replace(b"id: minimal", b"id: other"))
    Path("sets/notes.txt").write_text("not a set")
    result = check_paths(["sets"])
    assert result.errors == []
    assert [loaded.file for loaded in result.loaded] == ["sets/a.yaml", "sets/deeper/b.yml"]


# -- (f) quiz check ------------------------------------------------------------------------------

def test_quiz_check_on_good_files_lists_each_set_and_says_ok(in_repo):
    result = CliRunner().invoke(main, ["check", GOOD_DIR])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        (f"{GOOD_DIR}/all_types.yaml: putin-peace-proposal: 7 questions; "
         "labels fact 3, commentary 2, opinion 2; guess score 38%; blind score 38%; whys at reading grade 5.2"),
        "  one label per sort: commentary-sort 67%",
        (f"{GOOD_DIR}/article_and_source.yaml: fighting-continues: 5 questions; "
         "labels fact 3, commentary 0, opinion 3; guess score 50%; blind score 50%; whys at reading grade 4.5"),
        "  one label per sort: summary-sort 50%",
        (f"{GOOD_DIR}/curly_quotes.yaml: curly-quotes: 3 questions; "
         "labels fact 1, commentary 0, opinion 0; guess score 33%; blind score 33%; whys at reading grade 4.5"),
        (f"{GOOD_DIR}/minimal.yaml: minimal: 1 question; labels fact 1, commentary 0, opinion 0; "
         "guess score 100%; blind score 100%; whys at reading grade 2.3"),
        (f"{GOOD_DIR}/pew_two_way.yaml: pew-two-way: 3 questions; labels factual 2, opinion 2; "
         "guess score 50%; blind score 50%; whys at reading grade 4.9"),
        "  one label per sort: mixed-sort 50%",
        # select-all [a, c, d] earns 1/3 for a alone; the other choice is keyed b: 1/3 of 2 questions
        (f"{GOOD_DIR}/select_all.yaml: select-all-opinions: 2 questions; "
         "labels fact 0, commentary 0, opinion 0; guess score 0%; blind score 17%; whys at reading grade 6.3"),
        # one spot keyed `[]` is won by marking nothing
        (f"{GOOD_DIR}/spot_none.yaml: spot-nothing: 2 questions; labels fact 0, commentary 0, opinion 0; "
         "guess score 0%; blind score 50%; whys at reading grade 3.7"),
        (f"{GOOD_DIR}/windows_bom_crlf.yaml: windows-notepad: 2 questions; "
         "labels fact 1, commentary 0, opinion 1; guess score 50%; blind score 50%; whys at reading grade 5.1"),
        (f"{GOOD_DIR}/minimal.yaml:5: warning: a blind strategy scores 100% (over 50%): one label for "
         "everything, option a of every choice, nothing marked on spots; balance the labels and the answer "
         "letters (label counts: fact 1, commentary 0, opinion 0)"),
        "OK: 8 sets, 25 questions",
    ]


def test_quiz_check_on_a_bad_file_prints_its_lines_and_exits_1(in_repo):
    path = f"{BAD_DIR}/three_faults.yaml"
    result = CliRunner().invoke(main, ["check", path])
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"{path}:{line}" for line in BAD["three_faults"]] + [
        "FAILED: 3 problems in 1 file"]


def test_quiz_check_reports_bad_files_and_still_lists_good_ones(in_repo):
    bad = f"{BAD_DIR}/answer_not_label.yaml"
    result = CliRunner().invoke(main, ["check", f"{GOOD_DIR}/select_all.yaml", bad])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        (f"{GOOD_DIR}/select_all.yaml: select-all-opinions: 2 questions; "
         "labels fact 0, commentary 0, opinion 0; guess score 0%; blind score 17%; whys at reading grade 6.3"),
        f"{bad}:{BAD['answer_not_label'][0]}",
        "FAILED: 1 problem in 1 file",
    ]


def test_quiz_check_dash_reads_a_set_from_stdin():
    result = CliRunner().invoke(main, ["check", "-"], input=(ROOT / GOOD_DIR / "select_all.yaml").read_bytes())
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        ("<stdin>: select-all-opinions: 2 questions; labels fact 0, commentary 0, opinion 0; guess score 0%; "
         "blind score 17%; whys at reading grade 6.3"),
        "OK: 1 set, 2 questions"]


def test_quiz_check_dash_reports_stdin_faults_as_stdin():
    result = CliRunner().invoke(main, ["check", "-"], input=(ROOT / BAD_DIR / "unknown_type.yaml").read_bytes())
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"<stdin>:{BAD['unknown_type'][0]}", "FAILED: 1 problem in 1 file"]


def test_quiz_check_on_a_missing_path_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "no-such.yaml"])
    assert result.exit_code == 2
    assert "no such file or folder: no-such.yaml" in result.output


def test_quiz_check_on_a_folder_without_sets_fails(tmp_path):
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == ["No set files found (they end in .yaml or .yml)."]


def test_direction_controls_in_set_text_are_warned_of_by_line_and_named_readably():
    """A warning, not an error: format 1 files that held them loaded before (DESIGN's compatibility
    rule), right-to-left text may need the isolates, and every page shows set text inside <bdi>."""
    from support import SAMPLE_SET

    override = "\u202e"
    text = (SAMPLE_SET.replace("title: Sample set", f"title: Sample {override}tes", 1)
            .replace('statement: "Putin met', f'statement: "Putin{override} met', 1)
            .replace("feels staged, like a carefully choreographed performance.\n",
                     "feels staged, like a carefully choreographed performance.\n      Second\u2067 line.\n", 1))
    loaded = load_set(text, "bidi.yaml")
    lines = [str(p) for p in loaded.warnings if "direction control" in p.message]
    control = ("holds the invisible direction control U+{}, which can make text read in another order than it is "
               "written: remove it unless the text needs it")
    assert lines == ["bidi.yaml:3: warning: title " + control.format("202E"),
                     "bidi.yaml:9: warning: article text " + control.format("2067"),
                     "bidi.yaml:13: warning: question met: statement " + control.format("202E")]
    assert all(override not in line and "\u2067" not in line for line in lines)
    assert loaded.set.title == f"Sample {override}tes"  # kept as written; pages isolate it
    # marks that only set a direction (U+200E, U+200F) are ordinary text
    assert load_set(SAMPLE_SET.replace("title: Sample set", "title: Sample\u200f set", 1), "marks.yaml")
