"""Signals of opinion, commentary and reporting in one sentence, each named and located.

The draft command uses them to suggest a label and write its `why`; feedback uses them to mark
cues. Every signal is an exact span of the sentence, so it can be quoted, highlighted or turned
into a `spot` answer. Word lists live in `quiz/data/` (see the README files there for sources and
licences). No Flask, no third-party packages: this module runs anywhere the loader runs.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from xml.etree import ElementTree  # parses only the lexicon shipped in quiz/data  # nosec B405

from .sets.text import fold

OPINION, COMMENTARY, REPORTING = "opinion", "commentary", "reporting"
#: The DESIGN.md deciding step each kind of signal points to.
STEPS = {OPINION: 1, COMMENTARY: 2, REPORTING: 3}
STEP_NAMES = {1: "Step 1 (opinion: the writer judges, mocks or prescribes)",
              2: "Step 2 (commentary: a claim the evidence cannot settle)",
              3: "Step 3 (reported fact: could be checked against evidence)"}

# Judging adjectives from the pattern lexicon: subjective and clearly positive or negative.
JUDGING_SUBJECTIVITY = 0.6
JUDGING_POLARITY = 0.3
# Emotional words from VADER: strong valence on its -4..+4 scale.
EMOTIONAL_VALENCE = 2.0
MAX_SCARE_QUOTE_WORDS = 4
#: Opinion signals that decide step 1 on their own: one loaded word, sarcasm, a rhetorical
#: question, a prescription (DESIGN.md). Weaker ones (an intensifier, an emotional word) do not.
STRONG_OPINION = frozenset({"judging word", "sarcasm marker", "writer's judgement", "prescription",
                            "rhetorical question", "exclamation", "scare quotes"})


@dataclass(frozen=True)
class Signal:
    """One signal: what it is, which kind of statement it points to, and where it stands."""

    name: str
    kind: str
    phrase: str
    start: int
    end: int

    @property
    def step(self) -> int:
        """The DESIGN.md deciding step this signal points to (1 opinion, 2 commentary, 3 fact)."""
        return STEPS[self.kind]

    def describe(self) -> str:
        """The signal in words a teacher reads: `hedge "seems"`."""
        return f'{self.name} "{self.phrase}"'


@dataclass(frozen=True)
class Lexicons:
    """The word lists the engine reads, loaded once from `quiz/data/`."""

    cues: dict[str, dict[str, list[str]]]
    intensify_before: frozenset[str]
    not_judging: frozenset[str]
    not_emotional: frozenset[str]
    function_words: frozenset[str]
    sentiment: dict[str, tuple[float, float]]   # pattern: word -> (polarity, subjectivity)
    valence: dict[str, float]                   # VADER: word -> valence
    matchers: dict[tuple[str, str], re.Pattern[str]]
    cue_words: frozenset[str]                   # the one-word phrases of the cue lists
    judging_cues: frozenset[str]                # the hand-listed judging words

    def judging(self, word: str) -> bool:
        if word in self.not_judging or len(word) < 3:
            return False
        scores = self.sentiment.get(word)
        return bool(scores and scores[1] >= JUDGING_SUBJECTIVITY and abs(scores[0]) >= JUDGING_POLARITY)

    def emotional(self, word: str) -> bool:
        if word in self.not_emotional or word in self.function_words or len(word) < 3:
            return False
        return abs(self.valence.get(word, 0.0)) >= EMOTIONAL_VALENCE

    def describing(self, word: str) -> bool:
        """A word an intensifier can strengthen: an adjective or adverb with a sentiment score."""
        return word in self.sentiment or word.endswith("ly") or word in self.judging_cues

    def kept(self, word: str) -> bool:
        """A word the model sees as itself: function words and lexicon words (style, not topic)."""
        return (word in self.function_words or word in self.cue_words or word in self.sentiment
                or word in self.valence)


def _data(name: str) -> str:
    return resources.files("quiz.data").joinpath(name).read_text(encoding="utf-8")


def _phrase_pattern(phrases: list[str]) -> re.Pattern[str]:
    ordered = sorted(set(phrases), key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(part) for part in phrase.split()) for phrase in ordered)
    # A lookahead finds every start, so overlapping phrases ("is really", "really about") are
    # all seen; find_signals then keeps the longest.
    return re.compile(rf"(?<![\w'-])(?=((?:{body}))(?![\w'-]))")


@lru_cache(maxsize=1)
def lexicons() -> Lexicons:
    """Loads the cue lists, the pattern subjectivity lexicon and VADER's lexicon (cached)."""
    raw = json.loads(_data("cues.json"))
    cues = {kind: raw[kind] for kind in (OPINION, COMMENTARY, REPORTING)}
    sentiment_senses: dict[str, list[tuple[float, float]]] = {}
    lexicon = ElementTree.fromstring(_data("en-sentiment.xml").encode("utf-8"))  # our own file  # nosec B314
    for word in lexicon.iter("word"):
        form = (word.get("form") or "").lower()
        if form and word.get("pos", "").startswith(("JJ", "RB")):
            sentiment_senses.setdefault(form, []).append(
                (float(word.get("polarity", 0)), float(word.get("subjectivity", 0))))
    sentiment = {form: (sum(p for p, _ in senses) / len(senses), sum(s for _, s in senses) / len(senses))
                 for form, senses in sentiment_senses.items()}
    valence: dict[str, float] = {}
    for line in _data("vader_lexicon.txt").splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and re.fullmatch(r"[a-z][a-z'-]*", fields[0]):
            valence[fields[0]] = float(fields[1])
    matchers = {(kind, name): _phrase_pattern(phrases)
                for kind, names in cues.items() for name, phrases in names.items()}
    return Lexicons(cues=cues, intensify_before=frozenset(raw["intensifier before a describing word"]),
                    not_judging=frozenset(raw["not judging"]), not_emotional=frozenset(raw["not emotional"]),
                    function_words=frozenset(raw["function words"]), sentiment=sentiment,
                    valence=valence, matchers=matchers,
                    cue_words=frozenset(phrase for names in cues.values() for phrases in names.values()
                                        for phrase in phrases if " " not in phrase),
                    judging_cues=frozenset(cues[OPINION]["judging word"]))


# -- quotes ---------------------------------------------------------------------------------

_QUOTE_PAIR = re.compile(r"\"[^\"]{1,400}?\"|(?<![\w])'[^']{1,200}?'(?![\w])")


def quoted_spans(sentence: str) -> list[tuple[int, int]]:
    """Where quotation marks enclose text (curly or straight), outer marks included."""
    straight = fold(sentence)
    return [(m.start(), m.end()) for m in _QUOTE_PAIR.finditer(straight)]


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


# -- finding signals ------------------------------------------------------------------------

_TOKEN = re.compile(r"(?:[A-Za-z]\.){2,}|\d[\d,.:/]*\d%?|\d%?|[^\W\d_]+(?:['\u2019][^\W\d_]+)*"
                    r"(?:-[^\W\d_]+)*\.?|[?!\"\u201c\u201d\u2018\u2019:;()\u2014\u2013]|,")
_WORD_ONLY = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*(?:-[^\W\d_]+)*")
_NUMBER = re.compile(r"(?<![\w.])(?:\d[\d,.]*\d|\d)(?:\s?%|\s?percent)?(?![\w])")
_NUMBER_WORDS = re.compile(r"(?<![\w'])(?:hundreds?|thousands?|millions?|billions?|trillions?|"
                           r"dozens?|percent)(?![\w'])", re.IGNORECASE)
_PAST_TENSE = re.compile(r"(?<![\w'-])[a-z]{3,}ed(?![\w'-])")
_YEAR = re.compile(r"(?<!\d)(?:1[89]\d\d|20\d\d)(?!\d)")
_FIRST_PERSON = re.compile(r"(?<![\w'])(?:I|I'm|I've|I'd|I'll|[Mm]e|[Mm]y|[Mm]ine|[Mm]yself|[Ww]e|"
                           r"[Ww]e're|[Ww]e've|[Oo]ur|[Oo]urs|[Oo]urselves)(?![\w'])")
_CAPITALISED = re.compile(r"(?:[A-Z]\.){2,}|[A-Z][\w'\u2019-]*(?:\.(?=\s[A-Z]))?")
_SENTENCE_OPENERS = frozenset({"the", "a", "an", "and", "but", "or", "so", "it", "this", "that", "in",
                               "on", "at", "as", "if", "when", "while", "after", "before", "then",
                               "meanwhile", "however", "read", "make", "well", "still", "instead",
                               "today", "yesterday", "tomorrow", "now", "here", "there", "despite",
                               "although", "though", "because", "since", "unless", "until", "for",
                               "from", "with", "without", "under", "over", "during", "some", "many",
                               "most", "all", "each", "every", "no", "not", "why", "how", "what",
                               "who", "where", "which", "let", "please", "look", "see", "take", "get"})
_ATTRIBUTED_QUOTE_NAMES = ("attribution",)
_CONTAINERS = ("rhetorical question", "quotation", "scare quotes")
_REPORTABLE = frozenset({"judging word", "emotional word", "intensifier", "prescription", "hedge",
                         "prediction", "claim about intent or hidden meaning"})


def _phrase_signals(sentence: str, folded: str, lex: Lexicons) -> list[Signal]:
    found: list[Signal] = []
    for (kind, name), pattern in lex.matchers.items():
        for m in pattern.finditer(folded):
            start, end = m.start(1), m.end(1)
            phrase = sentence[start:end]
            if name == "sarcasm marker" and phrase.endswith(",") and sentence[:start].strip(" \"'\u201c\u2018"):
                continue  # "Well," and "Oh," mock only when they open the sentence
            if name == "hedge" and phrase == "May" and start > 0:
                continue  # the month
            found.append(Signal(name, kind, phrase, start, end))
    return found


def _word_signals(sentence: str, folded: str, lex: Lexicons) -> list[Signal]:
    found: list[Signal] = []
    matches = list(_WORD_ONLY.finditer(folded))
    for index, m in enumerate(matches):
        word = m.group()
        if lex.judging(word):
            found.append(Signal("judging word", OPINION, sentence[m.start():m.end()], m.start(), m.end()))
        elif lex.emotional(word):
            found.append(Signal("emotional word", OPINION, sentence[m.start():m.end()], m.start(), m.end()))
        if word in lex.intensify_before and index + 1 < len(matches):
            after = matches[index + 1]
            gap = folded[m.end():after.start()]
            if gap.strip() == "" and lex.describing(after.group()) and after.group() not in lex.function_words:
                found.append(Signal("intensifier", OPINION, sentence[m.start():after.end()],
                                    m.start(), after.end()))
    return found


def _punctuation_signals(sentence: str, quotes: list[tuple[int, int]]) -> list[Signal]:
    found: list[Signal] = []
    stripped = sentence.rstrip(" \"'\u201d\u2019)")
    if stripped.endswith("?") and not _inside(len(stripped) - 1, len(stripped), quotes):
        lead = len(sentence) - len(sentence.lstrip())
        start = max(sentence.rfind(". ", 0, len(stripped) - 1) + 2, lead) if ". " in sentence[:len(stripped) - 1] else lead
        found.append(Signal("rhetorical question", OPINION, sentence[start:len(stripped)], start, len(stripped)))
    elif stripped.endswith("!") and not _inside(len(stripped) - 1, len(stripped), quotes):
        last = list(_WORD_ONLY.finditer(stripped))
        start = last[-1].start() if last else len(stripped) - 1
        found.append(Signal("exclamation", OPINION, sentence[start:len(stripped)], start, len(stripped)))
    return found


def _reporting_signals(sentence: str, lex: Lexicons, quotes: list[tuple[int, int]]) -> list[Signal]:
    found: list[Signal] = []
    for m in _NUMBER.finditer(sentence):
        found.append(Signal("number", REPORTING, m.group(), m.start(), m.end()))
    for m in _NUMBER_WORDS.finditer(sentence):
        found.append(Signal("number", REPORTING, m.group(), m.start(), m.end()))
    for m in _PAST_TENSE.finditer(sentence):
        if fold(m.group()) not in lex.sentiment and fold(m.group()) not in lex.cue_words:
            found.append(Signal("past-tense report", REPORTING, m.group(), m.start(), m.end()))
    for m in _YEAR.finditer(sentence):
        found.append(Signal("date or time", REPORTING, m.group(), m.start(), m.end()))
    # Named people, places and bodies: runs of capitalised words that do not open the sentence.
    lead = re.match(r"[\s\"'\u201c\u2018(]*", sentence)
    opener = lead.end() if lead else 0
    run: list[re.Match[str]] = []
    for m in list(_CAPITALISED.finditer(sentence)) + [None]:  # type: ignore[list-item]
        if m is not None and run and sentence[run[-1].end():m.start()] in (" ", " of ", " de "):
            run.append(m)
            continue
        if run:
            start, end = run[0].start(), run[-1].end()
            words_in_run = [r.group() for r in run]
            first = fold(words_in_run[0]).rstrip(".")
            lone_opener = (start == opener and len(run) == 1 and not re.fullmatch(r"[A-Z.]{2,}", words_in_run[0])
                           and not re.match(r"(?:['\u2019]s|\s+(?:said|says|told|added|acknowledged)\b)",
                                            sentence[end:]))
            if start == opener and (first in _SENTENCE_OPENERS or lex.kept(first) or lone_opener):
                words_in_run = words_in_run[1:]
                start = run[1].start() if len(run) > 1 else end
            if words_in_run and words_in_run != ["I"] and not (start == opener and len(words_in_run) == 1
                                                               and fold(words_in_run[0]) in lex.cue_words):
                text = sentence[start:end].rstrip(".") if not re.search(r"(?:[A-Z]\.){2,}$", sentence[start:end]) else sentence[start:end]
                if not re.fullmatch(r"I(?:'\w+)?", text) and not (len(words_in_run) == 1 and fold(text) in lex.function_words):
                    found.append(Signal("named person or place", REPORTING, text, start, start + len(text)))
        run = [m] if m is not None and (m.start() == 0 or not sentence[m.start() - 1].isalnum()) else []
    # Quotations: with an attribution in the sentence they report what someone said; short
    # unattributed ones are scare quotes, the writer keeping a word at arm's length.
    return found


def _quote_signals(sentence: str, quotes: list[tuple[int, int]], attributed: bool) -> list[Signal]:
    found: list[Signal] = []
    for start, end in quotes:
        inner = sentence[start + 1:end - 1]
        n_words = len(_WORD_ONLY.findall(inner))
        if n_words == 0:
            continue
        if attributed:
            found.append(Signal("quotation", REPORTING, sentence[start:end], start, end))
        elif n_words <= MAX_SCARE_QUOTE_WORDS and not inner.rstrip().endswith((".", "!", "?")):
            found.append(Signal("scare quotes", OPINION, sentence[start:end], start, end))
        else:
            found.append(Signal("quotation", REPORTING, sentence[start:end], start, end))
    return found


def find_signals(sentence: str) -> list[Signal]:
    """Every signal in a sentence, in reading order; overlapping finds keep the longest.

    Opinion and commentary words inside quotation marks belong to the person quoted and are
    left out (DESIGN.md step 1); the quotation itself is a signal of its own.
    """
    lex = lexicons()
    folded = fold(sentence)
    quotes = quoted_spans(sentence)
    candidates = _phrase_signals(sentence, folded, lex) + _word_signals(sentence, folded, lex)
    candidates = [s for s in candidates if s.kind == REPORTING or not _inside(s.start, s.end, quotes)]
    attributed = any(s.name in _ATTRIBUTED_QUOTE_NAMES and not _inside(s.start, s.end, quotes)
                     for s in candidates)
    candidates += _quote_signals(sentence, quotes, attributed)
    candidates += _punctuation_signals(sentence, quotes)
    candidates += [Signal("writer's voice", COMMENTARY, m.group(), m.start(), m.end())
                   for m in _FIRST_PERSON.finditer(sentence) if not _inside(m.start(), m.end(), quotes)]
    kept: list[Signal] = []
    # Longest first, so "as someone said" wins over "said" and "very serious" over "serious";
    # reporting finds (names, numbers, quotations) may sit inside other signals.
    for signal in sorted(candidates, key=lambda s: (-(s.end - s.start), s.start)):
        if signal.name in _CONTAINERS or not any(
                k.start < signal.end and signal.start < k.end for k in kept if k.name not in _CONTAINERS):
            kept.append(signal)
    reporting_extra = _reporting_signals(sentence, lex, quotes)
    for signal in reporting_extra:
        if not any(k.name == signal.name and k.start < signal.end and signal.start < k.end for k in kept):
            kept.append(signal)
    people = [s for s in kept if s.name == "named person or place"]
    kept = [s for s in kept if not (s.name == "named role" and any(
        p.start <= s.start and s.end <= p.end for p in people))]
    named = any(s.name in ("named person or place", "named role") for s in kept)
    said_at = min((s.end for s in kept if s.name == "attribution"), default=None)
    result = []
    for signal in kept:
        if signal.name == "attribution" and named:
            signal = Signal("attribution to a named source", REPORTING, signal.phrase, signal.start, signal.end)
        elif (said_at is not None and signal.start >= said_at and signal.name in _REPORTABLE):
            # "Putin acknowledged that the terms are unacceptable": the judgement is Putin's.
            signal = Signal(f"{signal.name} in reported speech", REPORTING, signal.phrase,
                            signal.start, signal.end)
        result.append(signal)
    return sorted(result, key=lambda s: (s.start, -(s.end - s.start)))


def strongest_kind(signals: list[Signal]) -> str | None:
    """The kind the signals point to by DESIGN.md's order: opinion, then commentary, then fact."""
    kinds = {s.kind for s in signals}
    for kind in (OPINION, COMMENTARY, REPORTING):
        if kind in kinds:
            return kind
    return None


# -- features for the readable model ---------------------------------------------------------

@dataclass(frozen=True)
class Feature:
    """One feature of a sentence for the linear model, with the text that produced it."""

    name: str
    start: int
    end: int


def masked_tokens(sentence: str) -> list[tuple[str, int, int]]:
    """The sentence as tokens the model sees: function and lexicon words as themselves,
    numbers as <num>, capitalised names as <name>, every other content word as <w>."""
    lex = lexicons()
    tokens: list[tuple[str, int, int]] = []
    for index, m in enumerate(_TOKEN.finditer(sentence)):
        text = m.group()
        low = fold(text)
        if low in ('"', "'"):
            tokens.append(('"', m.start(), m.end()))
        elif text[0].isdigit():
            tokens.append(("<num>", m.start(), m.end()))
        elif not text[0].isalpha():
            tokens.append((low, m.start(), m.end()))
        else:
            word = low.rstrip(".") if not re.fullmatch(r"(?:[a-z]\.){2,}", low) else low
            if lex.kept(word):
                tokens.append((word, m.start(), m.end()))
            elif text[0].isupper() and index > 0:
                tokens.append(("<name>", m.start(), m.end()))
            else:
                tokens.append(("<w>", m.start(), m.end()))
    return tokens


def features(sentence: str, signals: list[Signal] | None = None) -> list[Feature]:
    """The readable model's features: the signals found, plus masked 1- to 3-grams."""
    found = find_signals(sentence) if signals is None else signals
    result = [Feature(f"sig:{s.name}", s.start, s.end) for s in found]
    tokens = [("<s>", 0, 0)] + masked_tokens(sentence) + [("</s>", len(sentence), len(sentence))]
    for n in (1, 2, 3):
        for i in range(len(tokens) - n + 1):
            gram = tokens[i:i + n]
            if n == 1 and gram[0][0] in ("<s>", "</s>"):
                continue
            result.append(Feature("ng:" + " ".join(t[0] for t in gram), gram[0][1], gram[-1][2]))
    words_count = len(_WORD_ONLY.findall(sentence))
    bucket = "short" if words_count < 10 else "medium" if words_count < 25 else "long"
    result.append(Feature(f"len:{bucket}", 0, len(sentence)))
    return result
