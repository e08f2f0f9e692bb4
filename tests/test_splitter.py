"""Sentence splitting and article cleaning for `quiz draft`: the hard cases teachers' articles hold.

Every test sentence here is written for this project; none comes from a data set.
"""
from __future__ import annotations

import pytest

from quiz.draft import clean_article, split_sentences


@pytest.mark.parametrize("paragraph, expected", [
    ("Dr. Jane Roe of the U.S. Navy met Mr. Alan Smith in Ohio on Monday. They spoke for an hour.",
     ["Dr. Jane Roe of the U.S. Navy met Mr. Alan Smith in Ohio on Monday.", "They spoke for an hour."]),
    ("J.K. Rowling signed copies. E. B. White did not.",
     ["J.K. Rowling signed copies.", "E. B. White did not."]),
    ("It was 9 a.m. when the ferry left. Nobody was hurt.",
     ["It was 9 a.m. when the ferry left.", "Nobody was hurt."]),
    ("Prices rose 3.5% last year, according to the St. Louis office of Acme Inc. Shares fell.",
     ["Prices rose 3.5% last year, according to the St. Louis office of Acme Inc.", "Shares fell."]),
])
def test_abbreviations_and_initials_do_not_end_sentences(paragraph, expected):
    assert split_sentences(paragraph) == expected


def test_quote_that_ends_a_sentence_ends_it():
    assert split_sentences("She said, “We are done.” The room went quiet.") == [
        "She said, “We are done.”", "The room went quiet."]
    assert split_sentences('He said, "It is over." Then he left.') == [
        'He said, "It is over."', "Then he left."]


def test_quoted_word_with_comma_inside_does_not_end_the_sentence():
    assert split_sentences("The mayor called the plan “useful,” and left early. Critics disagreed.") == [
        "The mayor called the plan “useful,” and left early.", "Critics disagreed."]


def test_quote_opening_a_sentence_stays_with_its_speaker():
    assert split_sentences("“We are done,” she said. The room went quiet.") == [
        "“We are done,” she said.", "The room went quiet."]


def test_ellipses():
    assert split_sentences("He paused... Then he spoke again.") == ["He paused...", "Then he spoke again."]
    assert split_sentences("And then... nothing happened at all.") == ["And then... nothing happened at all."]


def test_question_answered_at_once_stays_one_statement():
    assert split_sentences("The aim? To win the vote. Who knows?") == ["The aim? To win the vote.", "Who knows?"]


def test_sentences_are_exact_substrings_of_the_paragraph():
    paragraph = "Mr. Lee (the chair) said: “No.” Then, at 5 p.m., the vote went ahead! Was it fair?"
    sentences = split_sentences(paragraph)
    assert len(sentences) >= 2
    for sentence in sentences:
        assert sentence in paragraph


def test_headline_without_full_stop_is_its_own_paragraph():
    article = clean_article("Council closes the old library\nThe council voted on Tuesday. The library shuts in May.\n")
    assert article.paragraphs[0] == "Council closes the old library"
    assert split_sentences(article.paragraphs[0]) == ["Council closes the old library"]
    assert split_sentences(article.paragraphs[1]) == ["The council voted on Tuesday.", "The library shuts in May."]


def test_list_items_become_sentences_of_their_own():
    article = clean_article("The plan has three parts:\n\n- a new bus route\n- two more teachers\n3. a longer school day\n")
    assert article.paragraphs == ["The plan has three parts:", "a new bus route", "two more teachers",
                                  "a longer school day"]


def test_markdown_is_cleaned_to_text():
    article = clean_article("# Big news today\n\nThe council **voted** to close the [library](https://example.org).\n\n"
                            "> A quoted line, _stressed_.\n\n![a photo](x.png)\n")
    assert article.title == "Big news today"
    assert article.paragraphs == ["Big news today", "The council voted to close the library.",
                                  "A quoted line, stressed."]


def test_simple_html_is_cleaned_to_text():
    article = clean_article("<html><head><title>Town &amp; gown</title><style>p {color: red}</style></head>"
                            "<body><h1>Town news</h1><p>One &ldquo;two&rdquo; three.<br>Four five.</p>"
                            "<script>var x = 1;</script><ul><li>Item one</li><li>Item two</li></ul></body></html>")
    assert article.title == "Town & gown"
    assert article.paragraphs == ["Town news", "One “two” three.", "Four five.", "Item one", "Item two"]
    assert "var x" not in " ".join(article.paragraphs)


def test_hard_wrapped_text_is_joined_into_paragraphs():
    article = clean_article(
        "This is a hard wrapped paragraph that goes on and on for a while and\n"
        "then continues on the next line until it ends here. Another sentence\n"
        "follows it.\n\n"
        "Second paragraph starts here and is also wrapped at a narrow width\n"
        "so it looks like the text of an email.\n")
    assert len(article.paragraphs) == 2
    assert article.paragraphs[0].endswith("Another sentence follows it.")


def test_one_paragraph_per_line_in_news_copy():
    article = clean_article("First paragraph has one sentence. And a second one.\nSecond paragraph here.\n")
    assert article.paragraphs == ["First paragraph has one sentence. And a second one.", "Second paragraph here."]
