"""Reads the blind labellings of real articles, `docs/labelling/<name>.tsv`: one file per article
(named by its set's id, or, for an article no set is built on, by its file in
`docs/labelling/articles/`).

Each row is one sentence as the set uses it, labelled twice, independently (`labeller_a`,
`labeller_b`), then settled by DESIGN.md's steps (`settled`, `step`). A label may carry the
second label its labeller found defensible: `opinion (+commentary)`; a labelling not done yet
is left empty. The files are the corpus `quiz draft` is judged on, article by article
(benchmarks/draft_accuracy.py). Tab-separated, UTF-8, a header row, CSV quoting as Python's
`csv` module writes it (a field holding a straight double quote may be quoted, with inner
quotes doubled). No Flask: the loader runs anywhere the set loader runs.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

LABELS = ("fact", "commentary", "opinion")
STEP_OF = {"opinion": 1, "commentary": 2, "fact": 3}
COLUMNS = ("sentence", "labeller_a", "labeller_b", "settled", "step")
_LABELLING = re.compile(r"\s*(fact|commentary|opinion)\s*(?:\(\s*\+\s*(fact|commentary|opinion)\s*\)|"
                        r"[+/]\s*(fact|commentary|opinion))?\s*")


class LabellingError(ValueError):
    """A labelling file that cannot be read: the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Labelling:
    """One labeller's judgement of a sentence: a label and, optionally, a second defensible one."""

    label: str
    second: str | None = None

    @property
    def defensible(self) -> frozenset[str]:
        return frozenset({self.label} | ({self.second} if self.second else set()))


@dataclass(frozen=True)
class LabelledSentence:
    """A sentence of an article with both blind labellings and the settled answer."""

    article: str
    sentence: str
    labeller_a: Labelling | None    # None: not labelled yet
    labeller_b: Labelling | None
    settled: Labelling              # the answer, and the label the set accepts beside it
    step: int

    @property
    def defensible(self) -> frozenset[str]:
        """Every label either labeller, or the settlement, found defensible."""
        found = set(self.settled.defensible)
        for labelling in (self.labeller_a, self.labeller_b):
            if labelling is not None:
                found |= labelling.defensible
        return frozenset(found)


def parse_labelling(text: str) -> Labelling:
    """`opinion`, `opinion (+commentary)`, `opinion+commentary` or `opinion/commentary`."""
    m = _LABELLING.fullmatch(text.lower())
    if m is None:
        raise ValueError(f"{text!r} is not a label: use fact, commentary or opinion, "
                         "optionally with a second one as in \"opinion (+commentary)\"")
    second = m.group(2) or m.group(3)
    return Labelling(m.group(1), second if second != m.group(1) else None)


def read_labelling(path: Path) -> list[LabelledSentence]:
    """The labelled sentences of one article's file; LabellingError on the first bad row."""
    article = path.stem
    rows: list[LabelledSentence] = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, dialect="excel-tab")
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise LabellingError(f"{path}:1: missing column(s) {', '.join(missing)}; "
                                 f"the header must name {', '.join(COLUMNS)} (tab-separated)")
        at = {c: header.index(c) for c in COLUMNS}
        for line, fields in enumerate(reader, start=2):
            if not any(f.strip() for f in fields):
                continue
            if len(fields) < len(header):
                raise LabellingError(f"{path}:{line}: {len(fields)} fields, expected {len(header)} "
                                     "(separate columns with tabs)")
            try:
                a, b = (parse_labelling(fields[at[c]]) if fields[at[c]].strip() else None
                        for c in ("labeller_a", "labeller_b"))
                settled = parse_labelling(fields[at["settled"]])
            except ValueError as error:
                raise LabellingError(f"{path}:{line}: {error}") from None
            step_text = fields[at["step"]].strip()
            if step_text not in ("1", "2", "3"):
                raise LabellingError(f"{path}:{line}: step {step_text!r} must be 1, 2 or 3")
            if STEP_OF[settled.label] != int(step_text):
                raise LabellingError(f"{path}:{line}: settled {settled.label} is decided at step "
                                     f"{STEP_OF[settled.label]}, not step {step_text}")
            rows.append(LabelledSentence(article, fields[at["sentence"]].strip(), a, b, settled, int(step_text)))
    return rows


def read_corpus(folder: Path) -> dict[str, list[LabelledSentence]]:
    """Every article's labelled sentences in a folder, by set id (the file name), in name order."""
    return {path.stem: read_labelling(path) for path in sorted(folder.glob("*.tsv"))}
