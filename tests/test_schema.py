"""The JSON Schema shipped for editors agrees with the loader on what a format-1 file is.

Every good fixture validates. Every bad fixture whose fault a schema can express fails, at the
place of the fault; the faults a schema cannot express are listed with the reason.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

import quiz.sets

SCHEMA_PATH = Path(quiz.sets.__file__).with_name("format1.schema.json")
FIXTURES = Path(__file__).resolve().parent / "fixtures"


class DatesAsText(yaml.SafeLoader):
    """safe_load, except a date stays the text it was written as: the schema sees dates as text."""


DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft7Validator(schema)


def read(path: Path) -> object:
    return yaml.load(path.read_bytes(), Loader=DatesAsText)


def places(errors: list[ValidationError]) -> set[tuple]:
    """Where the errors are, including those inside oneOf / allOf branches."""
    found: set[tuple] = set()
    for error in errors:
        found.add(tuple(error.absolute_path))
        found |= places(list(error.context or []))
    return found


# bad fixture -> where in the document the schema must object
SCHEMA_CATCHES: dict[str, tuple] = {
    # YAML reads a word or number as something other than text (wrong types)
    "language_no": ("language",),
    "visibility_on": ("visibility",),
    "answer_no": ("questions", 0, "answer"),
    "option_yes": ("questions", 0, "options", 0),
    "option_time": ("questions", 0, "options", 1),
    "title_number": ("title",),
    "statement_null": ("questions", 0, "statement"),
    "statement_empty": ("questions", 0, "statement"),
    "source_date_number": ("source", "date"),
    # unknown and missing keys
    "unknown_top_key": (),
    "unknown_question_key": ("questions", 0),
    "three_faults": (),
    "missing_format": (),
    "missing_id": (),
    "missing_title": (),
    "missing_questions": (),
    "missing_why": ("questions", 0),
    "missing_statement": ("questions", 0),
    "missing_options": ("questions", 0),
    "missing_item_why": ("questions", 0, "items", 1),
    "question_missing_type": ("questions", 0),
    "source_missing_headline": ("source",),
    # wrong shapes
    "list_not_mapping": (),
    "question_not_mapping": ("questions", 0),
    "empty_questions": ("questions",),
    "sort_empty_items": ("questions", 0, "items"),
    "choice_one_option": ("questions", 0, "options"),
    "select_all_empty": ("questions", 0, "answer"),
    "choice_answer_number": ("questions", 0, "answer"),
    "labels_only_one": ("labels",),
    "labels_unknown_name": ("labels",),
    # bad enums, patterns and limits
    "format_2": ("format",),
    "format_quoted": ("format",),
    "unknown_type": ("questions", 0, "type"),
    "unknown_level": ("level",),
    "unknown_visibility": ("visibility",),
    "language_not_bcp47": ("language",),
    "set_id_pattern": ("id",),
    "set_id_too_long": ("id",),
    "question_id_pattern": ("questions", 0, "id"),
    "url_ftp": ("source", "url"),
    "url_javascript": ("source", "url"),
    "statement_too_long": ("questions", 0, "statement"),
}

# With the standard labels (no `labels:` key, or `labels: standard`) the label keys are fixed, so
# a schema can say "one of fact, commentary, opinion" with an if/then on `labels` at the top.
# Today's schema takes any id-shaped word (labelKey), so these pass it.
SCHEMA_SHOULD_CATCH: dict[str, tuple] = {
    "answer_not_label": ("questions", 0, "answer"),
    "accept_not_label": ("questions", 0, "accept", 0),
    "accept_block_second_entry": ("questions", 0, "accept", 1),
}

# Faults no JSON Schema can express:
SCHEMA_CANNOT = {
    # the YAML itself, seen before there is a document to validate
    "tab_indent", "anchor", "alias", "tag_str", "tag_python", "two_documents", "not_utf8",
    "control_character", "empty", "colon_in_text", "unclosed_quote", "nesting_too_deep",
    # duplicate keys vanish when YAML builds a mapping
    "duplicate_top_key", "duplicate_question_key",
    # relations between values: uniqueness, substrings, a letter within the number of options,
    # an answer among the set's own labels
    "duplicate_question_id", "spot_answer_not_in_statement", "spot_block_second_entry",
    "cue_not_in_statement", "choice_letter_out_of_range", "pin_not_letter", "sort_answer_not_own_label",
}


def test_schema_is_a_valid_draft_2020_12_schema():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"  # what editors support best


def test_every_bad_fixture_is_classified_once():
    on_disk = {path.stem for path in (FIXTURES / "bad").glob("*.yaml")}
    lists = [set(SCHEMA_CATCHES), set(SCHEMA_SHOULD_CATCH), SCHEMA_CANNOT]
    assert set().union(*lists) == on_disk
    assert sum(len(names) for names in lists) == len(on_disk)


@pytest.mark.parametrize("path", sorted((FIXTURES / "good").glob("*.yaml")), ids=lambda p: p.stem)
def test_good_file_validates_against_the_schema(validator, path):
    errors = sorted(validator.iter_errors(read(path)), key=lambda e: list(e.absolute_path))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


@pytest.mark.parametrize("name", sorted(SCHEMA_CATCHES))
def test_bad_file_fails_the_schema_where_the_fault_is(validator, name):
    errors = list(validator.iter_errors(read(FIXTURES / "bad" / f"{name}.yaml")))
    assert errors, f"{name} passes the schema"
    assert SCHEMA_CATCHES[name] in places(errors)


@pytest.mark.parametrize("name", sorted(SCHEMA_SHOULD_CATCH))
def test_answer_not_a_standard_label_fails_the_schema(validator, name):
    errors = list(validator.iter_errors(read(FIXTURES / "bad" / f"{name}.yaml")))
    assert SCHEMA_SHOULD_CATCH[name] in places(errors)


def test_schema_sees_dates_as_text():
    data = read(FIXTURES / "good" / "all_types.yaml")
    assert data["source"]["date"] == "2025-12-03"  # type: ignore[index]
