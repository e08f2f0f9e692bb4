"""Reads format-1 question-set files into `QuestionSet` values, or says every fault by line.

The data is built from PyYAML's node tree, never from `safe_load`'s dicts, so that every fault
knows its line, duplicate keys are caught, and anchors, aliases and tags are refused before
anything is expanded. A file either loads whole or raises `SetFileError` listing all its faults.
"""
from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import text as matching
from .model import (DEFAULT_PROMPTS, LEVELS, STANDARD_LABELS, TYPES, VISIBILITIES, Label,
                    Question, QuestionSet, Section, SortItem, Source)

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 20
MAX_STATEMENT = 1000
MAX_TEXT = {"title": 200, "summary": 500, "prompt": 1000, "why": 2000, "option": 1000,
            "phrase": 1000, "section": 200, "article": 100_000, "name": 60, "definition": 1000,
            "headline": 500, "publisher": 200, "author": 200, "licence": 200, "url": 2000}
MAX_QUESTIONS = 500
MAX_ITEMS = 100
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
LANGUAGE_PATTERN = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
URL_PATTERN = re.compile(r"https?://[^\s/?#]+[^\s]*")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Invisible controls that reorder the text around them (embeddings, overrides, isolates): a
# statement could show words in an order other than the one it holds, or spill onto the page.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")

# libyaml's parser when PyYAML has it (it reads the same YAML 1.1, several times faster)
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
STR = "tag:yaml.org,2002:str"
_READS_AS = {"tag:yaml.org,2002:bool": "true/false", "tag:yaml.org,2002:int": "a number",
             "tag:yaml.org,2002:float": "a number", "tag:yaml.org,2002:null": "null (nothing)",
             "tag:yaml.org,2002:timestamp": "a date"}

TOP_KEYS = ("format", "id", "title", "summary", "level", "language", "visibility", "source",
            "labels", "article", "questions")
SOURCE_KEYS = ("headline", "publisher", "author", "date", "url", "licence")
SECTION_KEYS = ("section", "text")
LABEL_DEF_KEYS = ("name", "definition")
QUESTION_KEYS = {
    "label": ("id", "type", "prompt", "statement", "answer", "accept", "why", "cues"),
    "choice": ("id", "type", "prompt", "options", "answer", "pin", "why"),
    "spot": ("id", "type", "prompt", "statement", "answer", "why", "cues"),
    "sort": ("id", "type", "prompt", "items", "why"),
}
REQUIRED = {"label": ("statement", "answer", "why"), "choice": ("prompt", "options", "answer", "why"),
            "spot": ("statement", "answer", "why"), "sort": ("items",)}
ITEM_KEYS = ("text", "answer", "accept", "why", "cues")
ALL_QUESTION_KEYS = sorted({key for keys in QUESTION_KEYS.values() for key in keys})


@dataclass(frozen=True)
class Problem:
    """One fault or warning, printed as `FILE:LINE: question ID: what is wrong`."""

    file: str
    line: int
    message: str
    question: str | None = None
    warning: bool = False

    def __str__(self) -> str:
        where = f"question {self.question}: " if self.question else ""
        kind = "warning: " if self.warning else ""
        return f"{self.file}:{self.line}: {kind}{where}{self.message}"


class SetFileError(Exception):
    """A set file that cannot load; `problems` holds every fault found, in line order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class LoadedSet:
    """A set that loaded, with its warnings and a digest of the file's bytes."""

    set: QuestionSet
    file: str
    warnings: tuple[Problem, ...]
    digest: str
    id_line: int = 1


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def one_line(message: str) -> str:
    """A message that stays on one line and reads in order, whatever the values it quotes hold."""
    message = message.replace("\r", "\\r").replace("\n", "\\n")
    return BIDI_CONTROLS.sub(lambda found: f"\\u{ord(found.group()):04x}", message)


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def reads_as(node: ScalarNode) -> str:
    """What YAML made of an unquoted value: true, false, a number, a date..."""
    if node.tag == "tag:yaml.org,2002:bool":
        return "true" if node.value.lower() in ("yes", "y", "true", "on") else "false"
    return _READS_AS.get(node.tag, "something other than text")


class _Reader:
    """Walks one file's node tree, collecting problems instead of stopping at the first."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.notes: list[Problem] = []  # warnings met while reading
        self.question: str | None = None

    def fault(self, at: Node | int, message: str) -> None:
        line = at if isinstance(at, int) else _line(at)
        self.problems.append(Problem(self.file, line, one_line(message), self.question))

    # -- structure ---------------------------------------------------------------------------

    def mapping(self, node: Node, allowed: tuple[str, ...], required: tuple[str, ...],
                what: str, place: str = "") -> dict[str, tuple[Node, Node]] | None:
        """The keys of a mapping, each with (key node, value node); faults for the rest.

        `place` ("item 2: ", "source: ") says where a nested mapping's faults are.
        """
        if not isinstance(node, MappingNode):
            hint = ": start it with `format: 1`" if what == "the set file" else ""
            self.fault(node, f"{place}{what} must be a mapping of keys and values{hint}")
            return None
        found: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.fault(key_node, f"a key in {what} must be a plain word")
                continue
            key = key_node.value
            if key in found:
                self.fault(key_node, f"{place}duplicate key '{key}' (first at line {_line(found[key][0])})")
                continue
            if key not in allowed:
                self.fault(key_node, f"{place}unknown key '{key}'{did_you_mean(key, allowed)}; "
                                     f"allowed here: {', '.join(allowed)}")
                continue
            found[key] = (key_node, value_node)
        for key in required:
            if key not in found:
                self.fault(node, f"{place}missing required key '{key}'")
        return found

    def text(self, node: Node, key: str, limit: int, required: bool = True) -> str | None:
        """A text value; names YAML's surprises (`no` is false, `1:30` a number)."""
        if isinstance(node, ScalarNode) and node.tag == STR:
            value = node.value
            if required and not value.strip():
                self.fault(node, f"{key} is empty")
                return None
            if len(value) > limit:
                self.fault(node, f"{key} is {len(value):,} characters long; the limit is {limit:,}")
                return None
            control = BIDI_CONTROLS.search(value)
            if control:  # a warning, not a fault: format 1 accepted them, and pages isolate set text
                line = _line(node)
                if node.style == "|":  # a literal block: its text starts on the next line, breaks kept
                    line += 1 + value.count("\n", 0, control.start())
                self.notes.append(Problem(
                    self.file, line, one_line(f"{key} holds the invisible direction control "
                                              f"U+{ord(control.group()):04X}, which can make text read in another "
                                              "order than it is written: remove it unless the text needs it"),
                    self.question, warning=True))
            return value
        if isinstance(node, ScalarNode):
            if is_null(node):
                if not required:
                    return None
                self.fault(node, f"{key} is empty: write its text")
                return None
            self.fault(node, f"{key}: `{node.value}` reads as {reads_as(node)} here, not text: "
                             f"put it in quotes (\"{node.value}\")")
            return None
        self.fault(node, f"{key} must be text, not a {'list' if isinstance(node, SequenceNode) else 'mapping'}")
        return None

    def text_items(self, node: Node, key: str, limit: int,
                   allow_scalar: bool = False) -> list[tuple[str, Node]] | None:
        """A list of texts, each with its node (for the line of a fault); null is an empty list."""
        if is_null(node):
            return []
        if allow_scalar and isinstance(node, ScalarNode):
            value = self.text(node, key, limit)
            return None if value is None else [(value, node)]
        if not isinstance(node, SequenceNode):
            self.fault(node, f"{key} must be a list, e.g. {key}: [\"...\", \"...\"]")
            return None
        values = [(self.text(item, f"{key} entry", limit), item) for item in node.value]
        if any(v is None for v, _node in values):
            return None
        return values  # type: ignore[return-value]

    def text_list(self, node: Node, key: str, limit: int) -> list[str] | None:
        items = self.text_items(node, key, limit)
        return None if items is None else [value for value, _node in items]

    def ident(self, node: Node, what: str) -> str | None:
        value = self.text(node, what, 10_000)
        if value is None:
            return None
        if not ID_PATTERN.fullmatch(value):
            self.fault(node, f"{what} '{value}' breaks the id pattern: lower-case letters, digits "
                             "and hyphens, starting with a letter or digit, at most 64 characters")
            return None
        return value

    def not_text_of(self, node: Node, key: str, allowed: tuple[str, ...] | list[str]) -> bool:
        """For a value with a fixed set of choices, YAML's surprise named with the choices."""
        if isinstance(node, ScalarNode) and node.tag != STR and not is_null(node):
            self.fault(node, f"{key}: `{node.value}` reads as {reads_as(node)} here, not text; "
                             f"{key} must be one of: {', '.join(allowed)}")
            return True
        return False

    def choice_of(self, node: Node, key: str, allowed: tuple[str, ...] | list[str]) -> str | None:
        if self.not_text_of(node, key, allowed):
            return None
        value = self.text(node, key, 200)
        if value is None:
            return None
        if value not in allowed:
            self.fault(node, f"{key} '{value}' is not one of: {', '.join(allowed)}"
                             f"{did_you_mean(value, allowed)}")
            return None
        return value

    # -- the set -----------------------------------------------------------------------------

    def read_set(self, root: Node) -> tuple[QuestionSet, int] | None:
        top = self.mapping(root, TOP_KEYS, ("format", "id", "title", "questions"), "the set file")
        if top is None:
            return None
        get = lambda key: top[key][1] if key in top and not is_null(top[key][1]) else None  # noqa: E731
        if "format" in top:
            node = top["format"][1]
            if isinstance(node, ScalarNode) and node.tag == STR and node.value.strip() == "1":
                self.fault(node, "format must be the number 1, not text: write `format: 1` without quotes")
            elif not (isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:int" and node.value == "1"):
                self.fault(node, f"format `{getattr(node, 'value', '')}` is not supported: this release "
                                 "reads format 1 (write `format: 1`)")
        set_id = self.ident(top["id"][1], "set id") if "id" in top else None
        title = self.text(top["title"][1], "title", MAX_TEXT["title"]) if "title" in top else None
        summary = self.optional_text(get("summary"), "summary", MAX_TEXT["summary"]) or ""
        level = self.choice_of(get("level"), "level", LEVELS) if get("level") is not None else None
        language = "en"
        if get("language") is not None:
            language = self.text(get("language"), "language", 35) or "en"
            if not LANGUAGE_PATTERN.fullmatch(language):
                self.fault(get("language"), f"language '{language}' is not a BCP 47 tag such as en, fr or pt-BR")
        visibility = "public"
        if get("visibility") is not None:
            visibility = self.choice_of(get("visibility"), "visibility", VISIBILITIES) or "public"
        source = self.read_source(get("source")) if get("source") is not None else None
        labels, standard = self.read_labels(get("labels"))
        article = self.read_article(get("article")) if get("article") is not None else ()
        questions: list[Question] = []
        if "questions" in top:
            questions = self.read_questions(top["questions"][1], labels)
        if self.problems or set_id is None or title is None:
            return None
        qset = QuestionSet(id=set_id, title=title, summary=summary, level=level, language=language,
                           visibility=visibility, source=source, labels=labels, standard_labels=standard,
                           article=tuple(article), questions=tuple(questions))
        return qset, _line(top["id"][1])

    def optional_text(self, node: Node | None, key: str, limit: int) -> str | None:
        return None if node is None else self.text(node, key, limit, required=False)

    def read_source(self, node: Node) -> Source | None:
        found = self.mapping(node, SOURCE_KEYS, ("headline",), "source", place="source: ")
        if found is None or "headline" not in found:
            return None
        headline = self.text(found["headline"][1], "source headline", MAX_TEXT["headline"])
        publisher = self.optional_text(found.get("publisher", (None, None))[1], "source publisher",
                                       MAX_TEXT["publisher"])
        date = None
        if "date" in found:
            date_node = found["date"][1]
            if isinstance(date_node, ScalarNode) and date_node.tag in (STR, "tag:yaml.org,2002:timestamp"):
                date = date_node.value
            elif isinstance(date_node, ScalarNode):
                date = self.text(date_node, "source date", 100, required=False)
            else:
                self.fault(date_node, "source date must be a date such as 2025-12-03, or text")
        url = self.optional_text(found.get("url", (None, None))[1], "source url", MAX_TEXT["url"])
        if url is not None and not URL_PATTERN.fullmatch(url.strip()):
            self.fault(found["url"][1], f"source url '{url}' is not an http:// or https:// address")
            url = None
        author, licence = (self.optional_text(found.get(key, (None, None))[1], f"source {key}", MAX_TEXT[key])
                           for key in ("author", "licence"))
        return Source(headline=headline or "", publisher=publisher, author=author, date=date, url=url,
                      licence=licence)

    def read_labels(self, node: Node | None) -> tuple[dict[str, Label], bool]:
        if node is None:
            return dict(STANDARD_LABELS), True
        if isinstance(node, ScalarNode):
            if node.tag == STR and node.value == "standard":
                return dict(STANDARD_LABELS), True
            self.fault(node, f"labels '{node.value}' is not known: write `labels: standard` or a mapping "
                             "of your own labels, each with a name and a definition")
            return dict(STANDARD_LABELS), True
        if not isinstance(node, MappingNode):
            self.fault(node, "labels must be `standard` or a mapping of your own labels")
            return dict(STANDARD_LABELS), True
        labels: dict[str, Label] = {}
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = self.ident(key_node, "label key") if isinstance(key_node, ScalarNode) else None
            if key is None:
                if not isinstance(key_node, ScalarNode):
                    self.fault(key_node, "a label key must be a plain word")
                continue
            if key in seen:
                self.fault(key_node, f"duplicate key '{key}'")
                continue
            seen.add(key)
            found = self.mapping(value_node, LABEL_DEF_KEYS, LABEL_DEF_KEYS, f"label '{key}'")
            if found is None or len(found) < 2:
                continue
            name = self.text(found["name"][1], f"label '{key}' name", MAX_TEXT["name"])
            definition = self.text(found["definition"][1], f"label '{key}' definition", MAX_TEXT["definition"])
            if name and definition:
                labels[key] = Label(key, name, definition)
        if len(seen) < 2:
            self.fault(node, "labels needs at least two labels to choose between")
        return (labels or dict(STANDARD_LABELS)), False

    def read_article(self, node: Node) -> list[Section]:
        if not isinstance(node, SequenceNode):
            self.fault(node, "article must be a list of sections, each `- section: ...` and `text: |`")
            return []
        sections = []
        for section_node in node.value:
            found = self.mapping(section_node, SECTION_KEYS, ("text",), "an article section")
            if not found or "text" not in found:
                continue
            title = self.optional_text(found.get("section", (None, None))[1], "section", MAX_TEXT["section"])
            body = self.text(found["text"][1], "article text", MAX_TEXT["article"])
            if body is not None:
                sections.append(Section(text=body, section=title))
        return sections

    # -- questions ---------------------------------------------------------------------------

    def read_questions(self, node: Node, labels: dict[str, Label]) -> list[Question]:
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null" or (
                isinstance(node, SequenceNode) and not node.value):
            self.fault(node, "the set has no questions: add at least one under `questions:`")
            return []
        if not isinstance(node, SequenceNode):
            self.fault(node, "questions must be a list, each question starting with `- id: ...`")
            return []
        if len(node.value) > MAX_QUESTIONS:
            self.fault(node, f"the set has {len(node.value)} questions; the limit is {MAX_QUESTIONS}")
            return []
        questions: list[Question] = []
        first_line: dict[str, int] = {}
        for number, question_node in enumerate(node.value, start=1):
            self.question = name = self.question_name(question_node, number)
            if name in first_line:
                self.fault(question_node, f"duplicate question id '{name}' (first at line {first_line[name]})")
            elif not name.startswith("#"):
                first_line[name] = _line(question_node)
            question = self.read_question(question_node, labels)
            if question is not None:
                questions.append(question)
            self.question = None
        return questions

    @staticmethod
    def question_name(node: Node, number: int) -> str:
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if (isinstance(key_node, ScalarNode) and key_node.value == "id"
                        and isinstance(value_node, ScalarNode) and ID_PATTERN.fullmatch(value_node.value)):
                    return value_node.value
        return f"#{number}"

    def read_question(self, node: Node, labels: dict[str, Label]) -> Question | None:
        if not isinstance(node, MappingNode):
            self.fault(node, "a question must be a mapping starting with `- id: ...`")
            return None
        type_node = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == "type"), None)
        if type_node is None:
            self.fault(node, f"missing required key 'type' (one of: {', '.join(TYPES)})")
            self.mapping(node, tuple(ALL_QUESTION_KEYS), ("id",), "a question")
            return None
        qtype = self.choice_of(type_node, "type", TYPES)
        if qtype is None:
            return None
        found = self.mapping(node, QUESTION_KEYS[qtype], ("id",) + REQUIRED[qtype], f"a {qtype} question")
        if found is None:
            return None
        value = lambda key: found[key][1] if key in found else None  # noqa: E731
        qid = self.ident(found["id"][1], "question id") if "id" in found else None
        prompt = DEFAULT_PROMPTS.get(qtype, "")
        if "prompt" in found:
            prompt = self.text(found["prompt"][1], "prompt", MAX_TEXT["prompt"]) or prompt
        why = ""
        if "why" in found:
            why = self.text(found["why"][1], "why", MAX_TEXT["why"], required=qtype != "sort") or ""
        label_keys = list(labels)
        fields: dict = {}
        if qtype in ("label", "spot"):
            statement = self.text(value("statement"), "statement", MAX_STATEMENT) if "statement" in found else None
            fields["statement"] = statement
            if "cues" in found:
                fields["cues"] = self.phrases(value("cues"), "cue", statement)
        if qtype == "label":
            fields["answer"] = self.label(value("answer"), "answer", label_keys) if "answer" in found else None
            fields["accept"] = self.accept(value("accept"), label_keys) if "accept" in found else ()
        elif qtype == "spot":
            fields["answer"] = self.phrases(value("answer"), "answer", fields["statement"]) if "answer" in found else None
        elif qtype == "choice":
            options = self.options(value("options")) if "options" in found else None
            fields["options"] = options
            if "answer" in found:
                fields["answer"], fields["select_all"] = self.letters(value("answer"), options)
            if "pin" in found:
                fields["pin"] = self.pin(value("pin"), options)
        elif qtype == "sort":
            fields["items"] = self.items(value("items"), label_keys) if "items" in found else None
        if qid is None or any(v is None for v in fields.values()) or not all(
                key in found for key in REQUIRED[qtype]):
            return None
        for key in ("options", "accept", "cues", "items", "pin"):
            if key in fields:
                fields[key] = tuple(fields[key])
        if qtype == "spot":
            fields["answer"] = tuple(fields["answer"])
        return Question(id=qid, type=qtype, prompt=prompt, why=why, line=_line(node), **fields)

    def label(self, node: Node, key: str, label_keys: list[str]) -> str | None:
        if self.not_text_of(node, key, label_keys):
            return None
        value = self.text(node, key, 200)
        if value is None:
            return None
        if value not in label_keys:
            self.fault(node, f"{key} '{value}' is not one of: {', '.join(label_keys)}"
                             f"{did_you_mean(value, label_keys)}")
            return None
        return value

    def accept(self, node: Node, label_keys: list[str]) -> list[str] | None:
        if isinstance(node, ScalarNode) and not is_null(node):
            found = self.label(node, "accept", label_keys)
            return None if found is None else [found]
        if is_null(node):
            return []
        if not isinstance(node, SequenceNode):
            self.fault(node, "accept must be a label or a list of labels, e.g. accept: [commentary]")
            return None
        values = [self.label(item, "accept", label_keys) for item in node.value]
        return None if any(v is None for v in values) else list(dict.fromkeys(values))  # type: ignore[arg-type]

    def phrases(self, node: Node, key: str, statement: str | None) -> list[str] | None:
        """A spot answer or cues: phrases that must each occur in the statement."""
        if key == "answer" and is_null(node):
            self.fault(node, "answer is empty: list the phrases to find, or write `answer: []` if there are none")
            return None
        items = self.text_items(node, key if key == "answer" else "cues", MAX_TEXT["phrase"], allow_scalar=True)
        if items is None:
            return None
        if statement is None:
            return [value for value, _node in items]
        missing = [(v, n) for v, n in items if not matching.contains(statement, v)]
        for value, entry in missing:
            self.fault(entry, f"{key} '{value}' is not a part of the statement: copy whole words exactly "
                              "as they appear in it")
        return None if missing else [value for value, _node in items]

    def options(self, node: Node) -> list[str] | None:
        values = self.text_list(node, "options", MAX_TEXT["option"])
        if values is None:
            return None
        if not 2 <= len(values) <= len(LETTERS):
            self.fault(node, f"options has {len(values)} option{'s' * (len(values) != 1)}; "
                             f"a choice needs 2 to {len(LETTERS)}")
            return None
        return values

    def letters(self, node: Node, options: list[str] | None) -> tuple[tuple[str, ...] | None, bool]:
        """A choice answer: one letter, or a list of letters for select-all-that-apply."""
        select_all = isinstance(node, SequenceNode)
        answer_nodes = node.value if select_all else [node]
        allowed = LETTERS[:len(options)] if options else LETTERS
        letters: list[str] = []
        ok = True
        for item in answer_nodes:
            if isinstance(item, ScalarNode) and item.tag == "tag:yaml.org,2002:int":
                number = int(item.value) if item.value.isascii() and item.value.isdigit() and len(item.value) < 4 else 0
                hint = f"; write '{LETTERS[number - 1]}' for option {number}" if 1 <= number <= len(allowed) else ""
                self.fault(item, f"answer {item.value} is a number, but options are lettered "
                                 f"a, b, c ...{hint}")
                ok = False
                continue
            letter = self.text(item, "answer", 10)
            if letter is None:
                ok = False
                continue
            letter = letter.strip().lower()
            if letter not in allowed or len(letter) != 1:
                self.fault(item, f"answer '{letter}' is not one of the option letters: {', '.join(allowed)}")
                ok = False
                continue
            letters.append(letter)
        if select_all and not answer_nodes:
            self.fault(node, "answer lists no letters: name at least one right option")
            ok = False
        return (tuple(dict.fromkeys(letters)) if ok else None), select_all

    def pin(self, node: Node, options: list[str] | None) -> list[str] | None:
        """Option letters that keep their place when options are shuffled (e.g. "none of these")."""
        allowed = LETTERS[:len(options)] if options else LETTERS
        items = self.text_items(node, "pin", 10, allow_scalar=True)
        if items is None:
            return None
        letters = [(value.strip().lower(), entry) for value, entry in items]
        wrong = [(letter, entry) for letter, entry in letters if len(letter) != 1 or letter not in allowed]
        for letter, entry in wrong:
            self.fault(entry, f"pin '{letter}' is not one of the option letters: {', '.join(allowed)}")
        return None if wrong else list(dict.fromkeys(letter for letter, _entry in letters))

    def items(self, node: Node, label_keys: list[str]) -> list[SortItem] | None:
        if not isinstance(node, SequenceNode) or not node.value:
            self.fault(node, "items must be a list of sentences, each `- {text: ..., answer: ..., why: ...}`")
            return None
        if len(node.value) > MAX_ITEMS:
            self.fault(node, f"items has {len(node.value)} sentences; the limit is {MAX_ITEMS}")
            return None
        items: list[SortItem] = []
        ok = True
        for number, item_node in enumerate(node.value, start=1):
            before = len(self.problems)
            found = self.mapping(item_node, ITEM_KEYS, ("text", "answer", "why"), "a sort item",
                                 place=f"item {number}: ")
            if found is None or not {"text", "answer", "why"} <= set(found):
                ok = False
                continue
            text = self.text(found["text"][1], f"item {number} text", MAX_STATEMENT)
            answer = self.label(found["answer"][1], f"item {number} answer", label_keys)
            why = self.text(found["why"][1], f"item {number} why", MAX_TEXT["why"])
            accept = self.accept(found["accept"][1], label_keys) if "accept" in found else []
            cues = self.phrases(found["cues"][1], "cue", text) if "cues" in found else []
            if len(self.problems) > before or None in (text, answer, why, accept, cues):
                ok = False
                continue
            items.append(SortItem(text=text, answer=answer, why=why, accept=tuple(accept or ()),  # type: ignore[arg-type]
                                  cues=tuple(cues or ())))
        return items if ok else None


def _prescan(text: str, reader: _Reader) -> bool:
    """Refuses anchors, aliases, tags, extra documents and deep nesting before composing."""
    depth = 0
    documents = 0
    for event in yaml.parse(text, Loader=FAST_LOADER):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            reader.fault(line, f"alias *{event.anchor} is not allowed: write the value out in full")
            return False
        if getattr(event, "anchor", None):
            reader.fault(line, f"anchor &{event.anchor} is not allowed: write each value out in full")
            return False
        if getattr(event, "tag", None) is not None:
            written = "!!" + event.tag[len("tag:yaml.org,2002:"):] if event.tag.startswith("tag:yaml.org,2002:") \
                else event.tag
            reader.fault(line, f"tag {written} is not allowed: write plain values (quote text if needed)")
            return False
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                reader.fault(line, "a set file holds one YAML document: remove the `---` line and what follows, "
                                   "or put the second set in a file of its own")
                return False
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                reader.fault(line, f"nesting is deeper than {MAX_DEPTH} levels: check the brackets and indentation")
                return False
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    if documents == 0:
        reader.fault(1, "the file is empty: a set starts with `format: 1`")
        return False
    return True


def _yaml_problem(error: yaml.YAMLError, text: str) -> tuple[int, str]:
    """The line and a plain-words message for a YAML syntax error."""
    if isinstance(error, yaml.reader.ReaderError):
        line = text[:error.position].count("\n") + 1
        code = error.character if isinstance(error.character, int) else ord(error.character)
        return line, f"the file holds a character YAML does not allow (U+{code:04X}): remove it"
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context_mark = getattr(error, "context_mark", None)
    if "end of stream" in problem and context_mark is not None:
        mark = context_mark  # an unclosed quote or bracket: where it opened, not the file's end
    line = mark.line + 1 if mark is not None else 1
    line = min(line, text.count("\n") + 1)  # an error at the end of the file is on its last line
    if "'\\t'" in problem or "\\t" in problem or "tab character" in problem:
        return line, "a tab character: use spaces, not tabs (for indenting too)"
    if "mapping values are not allowed" in problem:
        return line, "a colon followed by a space inside text: put the whole text in quotes"
    if "maximum nesting depth" in problem:
        return line, f"nesting is deeper than {MAX_DEPTH} levels: check the brackets and indentation"
    context = getattr(error, "context", None)
    detail = f"{problem} ({context})" if context else problem
    return line, one_line(f"not valid YAML: {detail}")


def load_set(data: bytes | str, file: str = "<set>") -> LoadedSet:
    """Loads one set file's content; raises `SetFileError` with every fault found."""
    reader = _Reader(file)
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_FILE_BYTES:
        raise SetFileError([Problem(file, 1, f"the file is {len(raw):,} bytes; the limit is "
                                             f"{MAX_FILE_BYTES:,} (1 MiB)")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise SetFileError([Problem(file, line, "the file is not UTF-8 text: save it as UTF-8 and "
                                                "try again")]) from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise SetFileError([Problem(file, line, "the file holds a character YAML does not allow (U+0000): "
                                                "remove it")])
    try:
        if not _prescan(text, reader):
            raise SetFileError(reader.problems)
        root = yaml.compose(text, Loader=FAST_LOADER)
    except yaml.YAMLError as error:
        line, message = _yaml_problem(error, text)
        raise SetFileError([Problem(file, line, message)]) from None
    if root is None:
        raise SetFileError([Problem(file, 1, "the file is empty: a set starts with `format: 1`")])
    result = reader.read_set(root)
    if result is None:
        if not reader.problems:  # defensive: a set that failed must say why
            reader.fault(1, "the set could not be read")
        raise SetFileError(reader.problems)
    qset, id_line = result
    return LoadedSet(set=qset, file=file, warnings=(*reader.notes, *set_warnings(qset, file, root)),
                     digest=hashlib.sha256(raw).hexdigest(), id_line=id_line)


def set_warnings(qset: QuestionSet, file: str, root: Node) -> list[Problem]:
    """Paraphrased statements, sets a blind guesser would pass and sorts one label wins."""
    warnings: list[Problem] = []
    article = matching.squash(qset.article_text)  # once: the article may be long
    if article:
        for question in qset.questions:
            sentences = [question.statement] if question.type == "label" else [i.text for i in question.items]
            for number, sentence in enumerate(sentences, start=1):
                if matching.squash(sentence) not in article:
                    what = f"item {number}" if question.type == "sort" else "the statement"
                    warnings.append(Problem(file, question.line, f"{what} is not word for word in the article "
                                            "(a paraphrase can change the label): copy it exactly",
                                            question.id, warning=True))
    from ..scoring import percent  # here: scoring imports this package's model

    blind = qset.blind_score()
    if blind > 0.5:
        questions_line = next((_line(k) for k, _v in root.value if k.value == "questions"), 1)
        counts = ", ".join(f"{k} {n}" for k, n in qset.label_counts().items())
        warnings.append(Problem(file, questions_line, f"a blind strategy scores {percent(blind, 1)}% (over 50%): one "
                                "label for everything, option a of every choice, nothing marked on spots; "
                                f"balance the labels and the answer letters (label counts: {counts})",
                                warning=True))
    for question, label in qset.sorts_won_by_one_label():
        warnings.append(Problem(file, question.line, f"answering {label} for every item gets this whole sort "
                                "right: mix in sentences with other labels", question.id, warning=True))
    return warnings


def load_path(path: Path | str) -> LoadedSet:
    """Loads one set file from disk, naming it as given."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SetFileError([Problem(str(path), 1, f"the file is {size:,} bytes; the limit is "
                                                      f"{MAX_FILE_BYTES:,} (1 MiB)")])
        data = path.read_bytes()
    except OSError as error:
        raise SetFileError([Problem(str(path), 1, f"cannot read the file: {error.strerror}")]) from None
    return load_set(data, str(path))


def set_files(paths: list[str | Path]) -> list[Path]:
    """The set files a list of paths names: files as given, folders searched for *.yaml / *.yml."""
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
        else:
            files.append(path)
    return files


@dataclass
class CheckResult:
    """What checking several files found: the sets that loaded, and every problem."""

    loaded: list[LoadedSet]
    errors: list[Problem]

    @property
    def warnings(self) -> list[Problem]:
        return [w for loaded in self.loaded for w in loaded.warnings]


def check_sets(sources: list[tuple[str, Callable[[], LoadedSet]]],
               taken: dict[str, str] | None = None) -> CheckResult:
    """Loads every source, then refuses set ids used by more than one file.

    `taken` names set ids already claimed by files not loaded here (id -> file).
    """
    loaded: list[LoadedSet] = []
    errors: list[Problem] = []
    for _name, load in sources:
        try:
            loaded.append(load())
        except SetFileError as error:
            errors.extend(error.problems)
    first: dict[str, str] = {slug: file for slug, file in (taken or {}).items()}
    unique: list[LoadedSet] = []
    for item in loaded:
        if item.set.id in first:
            errors.append(Problem(item.file, item.id_line, f"duplicate set id '{item.set.id}' "
                                  f"(also in {first[item.set.id]})"))
        else:
            first[item.set.id] = f"{item.file}:{item.id_line}"
            unique.append(item)
    return CheckResult(loaded=unique, errors=errors)


def check_paths(paths: list[str | Path]) -> CheckResult:
    return check_sets([(str(p), lambda p=p: load_path(p)) for p in set_files(paths)])
