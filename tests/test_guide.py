"""Every set template in the teacher's guide loads, so a teacher who copies one gets a working set.

A template is a ```yaml block of docs/writing-question-sets.md whose first line (after any
comment lines, such as the editor's schema line) is `format: 1`.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from quiz.sets import load_set

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "writing-question-sets.md"
SCHEMA = ROOT / "quiz" / "sets" / "format1.schema.json"
BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def guide_templates() -> list[tuple[int, str]]:
    """(line in the guide, text) of every yaml block that is a whole set file."""
    text = GUIDE.read_text(encoding="utf-8")
    templates = []
    for match in BLOCK.finditer(text):
        body = match.group(1)
        first = next((line for line in body.splitlines() if line.strip() and not line.startswith("#")), "")
        if first.strip() == "format: 1":
            templates.append((text.count("\n", 0, match.start()) + 1, body))
    return templates


TEMPLATES = guide_templates()


def test_the_guide_has_a_template_for_every_question_type() -> None:
    types = {qtype for _line, body in TEMPLATES for qtype in re.findall(r"^\s+type: (\w+)$", body, re.MULTILINE)}
    assert {"label", "choice", "spot", "sort"} <= types


@pytest.mark.parametrize("line, body", TEMPLATES, ids=[f"line-{line}" for line, _body in TEMPLATES])
def test_every_guide_template_loads(line: int, body: str) -> None:
    loaded = load_set(body, f"{GUIDE.name}:{line}")
    assert loaded.set.questions


@pytest.mark.parametrize("line, body", TEMPLATES, ids=[f"line-{line}" for line, _body in TEMPLATES])
def test_every_guide_template_loads_without_warnings(line: int, body: str) -> None:
    """No paraphrase or blind-score warning: the guide's examples are the ones to imitate."""
    loaded = load_set(body, f"{GUIDE.name}:{line}")
    assert not loaded.warnings, "\n".join(str(w) for w in loaded.warnings)


@pytest.mark.parametrize("line, body", TEMPLATES, ids=[f"line-{line}" for line, _body in TEMPLATES])
def test_every_guide_template_passes_the_editor_schema(line: int, body: str) -> None:
    """An editor using the shipped JSON Schema must not underline a template the guide offers."""
    jsonschema = pytest.importorskip("jsonschema")

    class TextDates(yaml.SafeLoader):
        """Reads dates as text, as editors (YAML 1.2) do; the schema says `date` is a string."""

    TextDates.yaml_implicit_resolvers = {
        key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(yaml.load(body, Loader=TextDates))]
    assert not errors, "\n".join(errors)
