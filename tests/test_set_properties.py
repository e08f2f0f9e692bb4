"""Whatever a teacher uploads, the loader answers with a set or with error lines, never a crash.

Anything fed to `load_set` (text, bytes, YAML structures, real sets with random damage) either
loads a consistent set or raises `SetFileError` whose every problem is one `FILE:LINE: message`
line. A set that loads never carries a broken answer key: the file never half-loads.
"""
from __future__ import annotations

import copy
import datetime
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.sets import LoadedSet, SetFileError, load_set
from quiz.sets import text as matching

GOOD = Path(__file__).resolve().parent / "fixtures" / "good"
GOOD_TEXTS = {path.name: path.read_text(encoding="utf-8-sig") for path in sorted(GOOD.glob("*.yaml"))}

PROBLEM_LINE = re.compile(r"^.+:\d+: .+$")
YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # what YAML counts as a new line
ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
FILE = "fuzz.yaml"

FAST = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])

KEYS = ["format", "id", "title", "summary", "level", "language", "visibility", "source", "labels",
        "article", "questions", "headline", "publisher", "date", "url", "section", "text", "name",
        "definition", "type", "prompt", "statement", "answer", "accept", "why", "cues", "options",
        "items", "fact", "commentary", "opinion", "label", "choice", "spot", "sort", "standard"]

# Values are echoed into error lines; a line break inside one splits the line. That is a known
# bug pinned by test_set_loader.py::test_error_about_a_value_with_a_line_break_stays_on_one_line,
# so the generated strings here leave line breaks out. Put them back when that test passes.
NO_BREAKS = st.characters(blacklist_characters="\n\r\x85\u2028\u2029", blacklist_categories=("Cs",))
words = st.text(NO_BREAKS, max_size=20)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(),
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 1, 1)),
    words, st.sampled_from(KEYS + ["a", "b", "z", "1", "yes", "no", "1:30", "~", ""]),
)
keys = st.one_of(st.sampled_from(KEYS), words)
structures = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(keys, children, max_size=5)),
    max_leaves=15,
)
# mostly mappings at the top, as a set file is one
documents = st.one_of(st.dictionaries(keys, structures, max_size=8), structures)


DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter: the same YAML, faster


def dump(data: object) -> str:
    return yaml.dump(data, Dumper=DUMPER, allow_unicode=True, sort_keys=False)


def outcome(data: str | bytes) -> LoadedSet | None:
    """Loads `data`, checking that failure is a list of well-formed lines, success a sound set."""
    try:
        loaded = load_set(data, FILE)
    except SetFileError as error:
        assert error.problems, "a SetFileError must say what is wrong"
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        last_line = len(YAML_LINE_BREAK.split(text))
        for problem in error.problems:
            assert PROBLEM_LINE.match(str(problem)), str(problem)
            assert str(problem).startswith(f"{FILE}:{problem.line}: ")
            assert 1 <= problem.line <= last_line, str(problem)
            assert not problem.warning
        return None
    assert_sound(loaded)
    return loaded


def assert_sound(loaded: LoadedSet) -> None:
    """Everything a learner's score depends on is valid in a set that loaded."""
    qset = loaded.set
    assert ID.fullmatch(qset.id) and qset.title.strip() and qset.questions
    assert len(qset.labels) >= 2
    ids = [question.id for question in qset.questions]
    assert len(ids) == len(set(ids)) and all(ID.fullmatch(qid) for qid in ids)
    for question in qset.questions:
        if question.type == "label":
            assert question.statement.strip() and question.answer in qset.labels
            assert set(question.accept) <= set(qset.labels)
        elif question.type == "choice":
            assert 2 <= len(question.options) <= 26
            letters = "abcdefghijklmnopqrstuvwxyz"[:len(question.options)]
            assert question.answer and set(question.answer) <= set(letters)
            assert question.select_all or len(question.answer) == 1
        elif question.type == "spot":
            assert all(matching.contains(question.statement, phrase) for phrase in question.answer)
        else:
            assert question.type == "sort" and question.items
            for item in question.items:
                assert item.answer in qset.labels and set(item.accept) <= set(qset.labels)
        for cue in question.cues:
            assert matching.contains(question.statement, cue)
    for warning in loaded.warnings:
        assert warning.warning and PROBLEM_LINE.match(str(warning))


# -- raw input ----------------------------------------------------------------------------------

@FAST
@given(st.text(max_size=400))
def test_any_text_loads_or_gives_error_lines(text):
    outcome(text)


@FAST
@given(st.binary(max_size=400))
def test_any_bytes_load_or_give_error_lines(data):
    outcome(data)


@FAST
@given(st.sampled_from(sorted(GOOD_TEXTS)), st.data())
def test_good_file_with_characters_inserted_or_deleted_loads_or_gives_error_lines(name, data):
    text = GOOD_TEXTS[name]
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        if data.draw(st.booleans()):
            text = text[:at] + text[at + data.draw(st.integers(1, 30)):]
        else:
            inserted = data.draw(st.text(st.sampled_from(list(" :-'\"[]{}&*!#|>?,\t\nx1%@`")) | NO_BREAKS,
                                         min_size=1, max_size=5))
            text = text[:at] + inserted + text[at:]
    outcome(text)


# -- YAML structures ----------------------------------------------------------------------------

@FAST
@given(documents)
def test_any_yaml_structure_loads_or_gives_error_lines(data):
    outcome(dump(data))


def _paths(node: object, here: tuple = ()) -> list[tuple]:
    """Every place in a structure: the keys and indexes that lead to it."""
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, here + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, here + (index,))
    return found


def _mutate(data: object, draw) -> object:
    """One random act of damage: replace a value, drop or rename a key, add one, repeat an entry."""
    path = draw(st.sampled_from(_paths(data)))
    if not path:
        return draw(structures)
    parent = data
    for step in path[:-1]:
        parent = parent[step]  # type: ignore[index]
    last = path[-1]
    action = draw(st.sampled_from(["replace", "replace", "drop", "rename", "add", "repeat"]))
    if action == "replace":
        parent[last] = draw(structures)  # type: ignore[index]
    elif action == "drop":
        del parent[last]  # type: ignore[arg-type]
    elif action == "rename" and isinstance(parent, dict):
        parent[draw(keys)] = parent.pop(last)
    elif action == "add" and isinstance(parent, dict):
        parent[draw(keys)] = draw(structures)
    elif action == "repeat" and isinstance(parent, list):
        parent.insert(last, copy.deepcopy(parent[last]))
    return data


REAL_SETS = {name: yaml.safe_load(text) for name, text in GOOD_TEXTS.items()}


@FAST
@given(st.sampled_from(sorted(REAL_SETS)), st.data())
def test_real_set_with_random_damage_loads_or_gives_error_lines(name, data):
    damaged = copy.deepcopy(REAL_SETS[name])
    for _ in range(data.draw(st.integers(1, 3))):
        damaged = _mutate(damaged, data.draw)
    outcome(dump(damaged))


@pytest.mark.parametrize("name", sorted(REAL_SETS))
def test_real_sets_dumped_again_still_load(name):
    # the mutation tests only mean something if the undamaged dump loads
    assert outcome(dump(REAL_SETS[name])) is not None
