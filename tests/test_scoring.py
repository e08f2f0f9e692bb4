"""Scoring, worked by hand: what a learner earns for each kind of answer (DESIGN.md, "Scoring").

Spot cases use real sentences of the seed article; the comments number their words as the
matching rules split them (runs of letters and digits, inner apostrophes and hyphens kept).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from quiz.scoring import (
    percent,
    score,
    score_choice,
    score_label,
    score_sort,
    score_spot,
    spot_answer_words,
)
from quiz.sets import SortItem, load_path

GOOD = Path(__file__).resolve().parent / "fixtures" / "good"

# 0 This 1 whole 2 thing 3 feels 4 staged 5 like 6 a 7 carefully 8 choreographed 9 performance
# 10 complete 11 with 12 a 13 villain 14 who’s 15 not 16 quite 17 ready 18 to 19 take 20 his
# 21 final 22 bow
STAGED = ("This whole thing feels staged, like a carefully choreographed performance, complete with "
          "a villain who\u2019s not quite ready to take his final bow.")
STAGED_ANSWER = ("feels staged", "carefully choreographed performance")  # words 3, 4, 7, 8, 9

# 0 It’s 1 clear 2 that 3 he’s 4 not 5 looking 6 to 7 compromise 8 he’s 9 looking 10 to 11 win
LOOKING = "It\u2019s clear that he\u2019s not looking to compromise, he\u2019s looking to win."

# 0 The 1 relentless 2 back-and-forth 3 the 4 press 5 conferences 6 and 7 the 8 shuttle
# 9 diplomacy 10 aren’t 11 producing 12 the 13 desired 14 results
RELENTLESS = ("The relentless back-and-forth, the press conferences, and the shuttle diplomacy "
              "aren\u2019t producing the desired results.")

# 0 The 1 fact 2 that 3 the 4 proposed 5 peace 6 treaty 7 was 8 so 9 heavily 10 in 11 Russia’s
# 12 favor 13 yet 14 even 15 that 16 wasn’t 17 good 18 enough 19 speaks 20 volumes
TREATY = ("The fact that the proposed \u201cpeace treaty\u201d was so heavily in Russia\u2019s favor, "
          "yet even that wasn\u2019t good enough, speaks volumes.")


# -- label ---------------------------------------------------------------------------------------

def test_label_scores_the_answer_and_an_accepted_label_alike():
    assert score_label("fact", ("commentary",), "fact") == 1
    assert score_label("fact", ("commentary",), "commentary") == 1


def test_label_scores_zero_for_another_label_or_no_choice():
    assert score_label("fact", ("commentary",), "opinion") == 0
    assert score_label("fact", (), "commentary") == 0
    assert score_label("fact", ("commentary",), None) == 0


# -- choice --------------------------------------------------------------------------------------

def test_single_choice_is_all_or_nothing():
    assert score_choice(("b",), False, ["b"]) == 1
    assert score_choice(("b",), False, ["a"]) == 0
    assert score_choice(("b",), False, []) == 0


def test_single_choice_picking_two_options_including_the_right_one_scores_zero():
    assert score_choice(("b",), False, ["a", "b"]) == 0


def test_select_all_every_right_option_and_nothing_else_scores_one():
    assert score_choice(("a", "c", "d"), True, ["d", "a", "c"]) == 1


def test_select_all_each_right_pick_earns_a_share():
    # 3 right options; 2 picked, none wrong: 2/3
    assert score_choice(("a", "c", "d"), True, ["a", "c"]) == pytest.approx(2 / 3)


def test_select_all_wrong_pick_cancels_a_right_one():
    # right a, c, d; picks a, c (right) and b (wrong): (2 - 1) / 3
    assert score_choice(("a", "c", "d"), True, ["a", "c", "b"]) == pytest.approx(1 / 3)


def test_select_all_more_wrong_than_right_scores_zero_not_negative():
    # right a, c, d; picks a (right), b and e (wrong): max(0, (1 - 2) / 3) = 0
    assert score_choice(("a", "c", "d"), True, ["a", "b", "e"]) == 0


def test_select_all_ticking_every_box_is_not_a_free_point():
    # 5 options, 3 right: (3 - 2) / 3
    assert score_choice(("a", "c", "d"), True, ["a", "b", "c", "d", "e"]) == pytest.approx(1 / 3)


def test_select_all_nothing_ticked_scores_zero():
    assert score_choice(("a", "c", "d"), True, []) == 0


# -- spot ----------------------------------------------------------------------------------------

def test_spot_answer_marks_every_word_its_phrases_cover():
    assert spot_answer_words(STAGED, STAGED_ANSWER) == {3, 4, 7, 8, 9}


def test_spot_exact_words_score_one():
    assert score_spot(STAGED, STAGED_ANSWER, [3, 4, 7, 8, 9]) == 1


def test_spot_partial_marking_scores_word_level_f1():
    # marked: staged, choreographed, performance, villain = {4, 8, 9, 13}; answer {3, 4, 7, 8, 9}
    # overlap {4, 8, 9} = 3; F1 = 2 * 3 / (4 + 5) = 2/3
    assert score_spot(STAGED, STAGED_ANSWER, [4, 8, 9, 13]) == pytest.approx(2 / 3)


def test_spot_marking_only_wrong_words_or_nothing_scores_zero():
    assert score_spot(STAGED, STAGED_ANSWER, [13, 14]) == 0
    assert score_spot(STAGED, STAGED_ANSWER, []) == 0


def test_spot_phrase_that_occurs_twice_marks_both_occurrences():
    # "looking to" is words 5-6 and 9-10; with "It’s clear" (0, 1) the answer is 6 words
    answer = ("It\u2019s clear", "looking to")
    assert spot_answer_words(LOOKING, answer) == {0, 1, 5, 6, 9, 10}
    # marking only the first occurrence: overlap 4, F1 = 2 * 4 / (4 + 6) = 0.8
    assert score_spot(LOOKING, answer, [0, 1, 5, 6]) == pytest.approx(0.8)
    assert score_spot(LOOKING, answer, [0, 1, 9, 10]) == pytest.approx(0.8)
    assert score_spot(LOOKING, answer, [0, 1, 5, 6, 9, 10]) == 1


def test_spot_hyphenated_word_is_one_word():
    # answer "relentless back-and-forth" = words 1, 2; marking only 2: F1 = 2 * 1 / (1 + 2)
    answer = ("relentless back-and-forth",)
    assert spot_answer_words(RELENTLESS, answer) == {1, 2}
    assert score_spot(RELENTLESS, answer, [2]) == pytest.approx(2 / 3)


def test_spot_straight_quotes_in_the_answer_match_curly_ones_in_the_statement():
    assert spot_answer_words(STAGED, ("villain who's",)) == {13, 14}
    assert spot_answer_words(TREATY, ('"peace treaty"', "wasn't good enough")) == {5, 6, 16, 17, 18}
    assert score_spot(TREATY, ('"peace treaty"', "wasn't good enough"), [5, 6, 16, 17, 18]) == 1


def test_spot_curly_quotes_in_the_answer_match_straight_ones_in_the_statement():
    straight = STAGED.replace("\u2019", "'")
    assert spot_answer_words(straight, ("villain who\u2019s",)) == {13, 14}
    assert score_spot(straight, ("villain who\u2019s",), [13, 14]) == 1


def test_spot_empty_answer_scores_one_when_nothing_is_marked():
    assert score_spot(STAGED, (), []) == 1


def test_spot_empty_answer_scores_zero_when_anything_is_marked():
    assert score_spot(STAGED, (), [4]) == 0
    assert score_spot(STAGED, (), list(range(23))) == 0


# -- sort ----------------------------------------------------------------------------------------

ITEMS = (
    SortItem(text="Despite the diplomatic efforts, fighting continued.", answer="fact", why="Step 3."),
    SortItem(text="This whole thing feels staged.", answer="opinion", why="Step 1.", accept=("commentary",)),
    SortItem(text="He wants it all, the whole country.", answer="commentary", why="Step 2."),
    SortItem(text="Are these guys even qualified?", answer="opinion", why="Step 1."),
)


def test_sort_scores_the_share_of_items_right_with_accepted_labels_counting():
    # fact: right; commentary: accepted; opinion for commentary: wrong; commentary for opinion: wrong
    assert score_sort(ITEMS, ["fact", "commentary", "opinion", "commentary"]) == 0.5
    assert score_sort(ITEMS, ["fact", "opinion", "commentary", "opinion"]) == 1


def test_sort_items_left_unanswered_count_as_wrong():
    assert score_sort(ITEMS, ["fact", "opinion"]) == 0.5
    assert score_sort(ITEMS, []) == 0


# -- whole questions from a set file, and the quiz percentage -------------------------------------

def questions(name: str) -> dict:
    return {question.id: question for question in load_path(GOOD / f"{name}.yaml").set.questions}


def test_questions_loaded_from_a_file_score_by_their_type():
    q = questions("all_types")
    assert score(q["calling-for"], "commentary") == 1           # accepted label
    assert score(q["calling-for"], "opinion") == 0
    assert score(q["calling-for"], None) == 0                  # not answered
    assert score(q["which-is-fact"], "b") == 1                 # one letter as a plain string
    assert score(q["which-is-fact"], ["b"]) == 1
    assert score(q["staged"], [3, 4, 7, 8, 9]) == 1
    assert score(q["commentary-sort"], ["opinion", "commentary", "commentary"]) == 1  # last accepted
    assert score(q["commentary-sort"], ["fact", "commentary", "fact"]) == pytest.approx(2 / 3)


def test_file_spot_answers_with_straight_quotes_score_curly_statements():
    q = questions("curly_quotes")
    assert score(q["peace-treaty"], [5, 6, 16, 17, 18]) == 1
    assert score(q["peace-treaty"], [5, 6]) == pytest.approx(2 * 2 / (2 + 5))
    assert score(q["villain"], [13, 14, 15, 16, 17]) == 1


def test_file_spot_with_empty_answer_wants_nothing_marked():
    q = questions("spot_none")
    assert score(q["plain-report"], []) == 1
    assert score(q["plain-report"], [0]) == 0


def test_select_all_from_a_file_takes_off_for_wrong_picks():
    q = questions("select_all")
    assert score(q["which-are-opinion"], ["a", "c", "b"]) == pytest.approx(1 / 3)
    assert score(q["which-is-fact"], ["b"]) == 1


def test_quiz_percent_is_points_over_possible_rounded_to_whole_percent():
    # label 1 + select-all 1/3 + spot 0.8 + sort 1/2 = 2.6333 of 4 = 65.8% -> 66
    points = 1 + 1 / 3 + 0.8 + 0.5
    assert percent(points, 4) == 66
    assert percent(2, 3) == 67
    assert percent(1, 3) == 33
    assert percent(4, 4) == 100
    assert percent(0, 4) == 0


def test_quiz_without_questions_shows_zero_percent():
    assert percent(0, 0) == 0


def test_quiz_percent_rounds_halves_up():
    assert [percent(n, 8) for n in (1, 3, 5, 7)] == [13, 38, 63, 88]
