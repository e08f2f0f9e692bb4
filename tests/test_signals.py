"""The signal engine: each kind of signal is found, named, located, and pointed at its step.

Test sentences are written for this project; none comes from a data set.
"""
from __future__ import annotations

import pytest

from quiz import signals
from quiz.signals import COMMENTARY, OPINION, REPORTING, find_signals


def names(sentence: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for signal in find_signals(sentence):
        found.setdefault(signal.name, []).append(signal.phrase)
    return found


@pytest.mark.parametrize("sentence, name, phrase", [
    ("The new stadium is a ridiculous waste of money.", "judging word", "ridiculous"),
    ("The whole launch was a charade from start to finish.", "judging word", "charade"),
    ("The council was incredibly slow to answer the letters.", "intensifier", "incredibly"),
    ("The council was very slow to answer the letters.", "intensifier", "very slow"),
    ("Well, what a surprise that was.", "sarcasm marker", "Well,"),
    ("Could the board be any more out of touch?", "rhetorical question",
     "Could the board be any more out of touch?"),
    ("The mayor lost again!", "exclamation", "again!"),
    ("The so-called “reform” changed nothing for pupils.", "scare quotes", "“reform”"),
    ("The school board should resign at once.", "prescription", "should"),
    ("It's time to stop paying for empty buildings.", "prescription", "It's time to"),
    ("Parents need to speak up about the closures.", "prescription", "need to"),
])
def test_opinion_signals(sentence, name, phrase):
    found = names(sentence)
    assert phrase in found.get(name, []), found
    assert all(s.kind == OPINION and s.step == 1 for s in find_signals(sentence) if s.name == name)


@pytest.mark.parametrize("sentence, name, phrase", [
    ("It seems the council has changed its mind.", "hedge", "seems"),
    ("The new rule may cut bus fares next spring.", "hedge", "may"),
    ("It's as if the board never read the report.", "hedge", "It's as if"),
    ("The delay suggests that the board is hiding something.", "hedge", "suggests"),
    ("The plan was designed to keep the press away.", "claim about intent or hidden meaning", "designed to"),
    ("This is really about who controls the budget.", "claim about intent or hidden meaning", "really about"),
])
def test_commentary_signals(sentence, name, phrase):
    found = names(sentence)
    assert phrase in found.get(name, []), found
    assert all(s.kind == COMMENTARY and s.step == 2 for s in find_signals(sentence) if s.name == name)


def test_reporting_signals_name_source_numbers_dates_and_places():
    found = names("Mayor Ana Ruiz said on Tuesday that 42 buses will run in Leeds from March 2026.")
    assert "said" in found["attribution to a named source"]
    assert "42" in found["number"]
    assert "Tuesday" in found["date or time"]
    assert any("Ana Ruiz" in p for p in found["named person or place"])
    assert "Leeds" in found["named person or place"]
    assert "2026" in found["date or time"]


def test_according_to_and_acknowledged_are_attribution():
    assert "according to" in names("Fares rose by a third, according to the city.")["attribution"]
    assert "acknowledged" in names("The head teacher acknowledged the error.")["attribution"]


def test_judging_words_in_quotes_belong_to_the_source():
    found = find_signals("The minister described the talks as “useful” and “honest”.")
    assert not [s for s in found if s.kind == OPINION]
    assert [s.phrase for s in found if s.name == "quotation"] == ["“useful”", "“honest”"]


def test_judging_word_in_reported_speech_is_the_speakers():
    found = find_signals("The minister said the terms were unacceptable.")
    assert not [s for s in found if s.kind == OPINION]
    assert any(s.name == "judging word in reported speech" and s.phrase == "unacceptable" for s in found)


def test_short_unattributed_quote_is_a_scare_quote():
    assert [s.phrase for s in find_signals("The “peace plan” was nothing of the kind.")
            if s.name == "scare quotes"] == ["“peace plan”"]


def test_may_the_month_is_not_a_hedge():
    assert "hedge" not in names("The library shuts in May after the vote.")


def test_every_signal_is_an_exact_span_of_its_sentence():
    sentence = ("Honestly, it seems the so-called “plan” was designed to fail, said Dr. Omar Haddad "
                "on 3 June, and the board should apologise!")
    found = find_signals(sentence)
    assert {s.kind for s in found} == {OPINION, COMMENTARY, REPORTING}
    for signal in found:
        assert sentence[signal.start:signal.end] == signal.phrase


def test_plain_report_has_no_opinion_or_commentary_signal():
    found = find_signals("The bridge reopened to traffic on Friday after four months of repairs.")
    assert found and all(s.kind == REPORTING for s in found)


def test_strongest_kind_follows_the_deciding_order():
    assert signals.strongest_kind(find_signals("It seems the plan is a disgrace.")) == OPINION
    assert signals.strongest_kind(find_signals("It seems the plan was changed.")) == COMMENTARY
    assert signals.strongest_kind(find_signals("The plan was changed on Monday.")) == REPORTING


def test_masked_tokens_keep_style_words_and_hide_topics():
    tokens = [t for t, _s, _e in signals.masked_tokens("The council surely wasted 40 pounds in Leeds.")]
    assert tokens[:3] == ["the", "<w>", "surely"]
    assert "<num>" in tokens and "<name>" in tokens
    assert "council" not in tokens and "leeds" not in tokens


def test_features_carry_spans_of_the_sentence():
    sentence = "It seems the plan failed."
    for feature in signals.features(sentence):
        assert 0 <= feature.start <= feature.end <= len(sentence)


def test_lexicons_load_from_package_data():
    lex = signals.lexicons()
    assert lex.judging("ridiculous")
    assert not lex.judging("former")
    assert lex.valence["good"] > 0
