#!/usr/bin/env python3
"""How long checking and importing many set files takes: a benchmark, not a test.

Writes N realistic format-1 set files (20 questions of all four types, a ~2 KB article each)
into a temporary folder, then times `quiz check` (in-process and as the console script),
`quiz import` into a fresh SQLite database and, given a server, a fresh PostgreSQL database,
a re-import of the unchanged files (skipped by digest) and a re-import after one question's
wording changed in every file. Prints one row per step; asserts nothing about time.

    .venv/bin/python benchmarks/import_sets.py [--files N] [--postgres URL]

PostgreSQL also runs when TEST_DATABASE_URL is set; a database named quiz_bench_<random> is
created on that server and dropped at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "tests"))   # serverkit: scratch databases

from quiz.sets import check_paths  # noqa: E402 - after the path fix, so a checkout runs as is
from serverkit import scratch_postgres  # noqa: E402

# Sentences of the seed article with the label the three deciding steps give them, the label a
# teacher could also defend, and the words that give an opinion or commentary away.
SENTENCES: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [
    ("Russian President Vladimir Putin acknowledged that some aspects of the U.S. proposal to end "
     "the war in Ukraine are unacceptable to the Kremlin after a meeting with U.S. envoys Steve "
     "Witkoff and Jared Kushner.", "fact", (), ()),
    ("Although Putin described the talks as \u201cnecessary\u201d and \u201cuseful,\u201d he also "
     "indicated that the process is still in the early stages and some provisions were impossible "
     "for Moscow to accept.", "fact", (), ()),
    ("Despite the diplomatic efforts, fighting continued, with ongoing attacks on Ukrainian cities "
     "resulting in casualties and infrastructure damage.", "fact", (), ()),
    ("While U.S. officials are spearheading negotiations, European leaders are seeking to involve "
     "China in pressuring Russia towards a ceasefire.", "fact", (), ()),
    ("Putin says there are points he can\u2019t agree to in the U.S. proposal to end Ukraine war.",
     "fact", (), ()),
    ("The Russians were very keen on having this proposal presented as coming from the Americans.",
     "fact", ("commentary",), ()),
    ("I see that people are calling for Ukraine to be put in NATO and for Russia to be destroyed.",
     "fact", ("commentary",), ()),
    ("Well, isn\u2019t that just a surprise?", "opinion", (), ("isn\u2019t that just a surprise",)),
    ("It seems the whole charade surrounding the potential peace agreement, allegedly crafted with "
     "U.S. input, has hit a snag.", "opinion", (), ("charade",)),
    ("This whole thing feels staged, like a carefully choreographed performance, complete with a "
     "villain who\u2019s not quite ready to take his final bow.", "opinion", (),
     ("feels staged", "carefully choreographed performance")),
    ("It\u2019s almost comical, if the stakes weren\u2019t so incredibly high.", "opinion", (),
     ("almost comical",)),
    ("And the involvement of figures like Jared Kushner and another real estate developer, Witkoff, "
     "in a supposedly crucial peace proposal is just mind-boggling.", "opinion", (),
     ("just mind-boggling",)),
    ("Are these guys even qualified?", "opinion", (), ("even qualified",)),
    ("The plan was to create a ridiculous proposal and then pretend the U.S. State Department was "
     "behind it.", "opinion", ("commentary",), ("ridiculous",)),
    ("They need to put their foot down, and create a strong presence.", "opinion", (), ("need to",)),
    ("The situation calls for a serious response from the West, not empty gestures or diplomatic "
     "games.", "opinion", (), ("empty gestures",)),
    ("The core of the issue, as I understand it, is that Russia isn\u2019t actually looking for a "
     "genuine peace.", "commentary", (), ("as I understand it",)),
    ("It\u2019s like they wanted to manufacture friction, to create a situation where everyone\u2019s "
     "arguing and no one\u2019s getting anywhere.", "commentary", (), ("they wanted to",)),
    ("The whole thing was seemingly designed to create division and chaos.", "commentary", (),
     ("seemingly designed",)),
    ("The goal? To create friction, to drive a wedge between the U.S. and its allies.", "commentary",
     (), ("The goal?",)),
    ("It also suggests that Putin\u2019s aim isn\u2019t really a negotiated settlement, but rather "
     "outright surrender from Ukraine.", "commentary", (), ("suggests",)),
    ("He wants it all, the whole country, not just the parts he\u2019s occupied.", "commentary", (),
     ("He wants it all",)),
    ("It\u2019s clear that he\u2019s not looking to compromise, he\u2019s looking to win.",
     "commentary", (), ("It\u2019s clear that",)),
]

CHANGED_PROMPT = ("Which sentence reports a fact?", "Which one of these sentences reports a fact?")
LABEL_QUESTIONS, CHOICE_QUESTIONS, SPOT_QUESTIONS, SORT_QUESTIONS, SORT_ITEMS = 9, 4, 4, 3, 3
ARTICLE_BYTES = 2000


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def flow(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(quoted(v) for v in values) + "]"


def set_file(number: int, rng: random.Random) -> str:
    """One set file: an article from the seed's sentences and 20 questions about them."""
    pool = SENTENCES[:]
    rng.shuffle(pool)
    article: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = []
    for sentence in pool:  # take sentences until the article is about 2 KB, all label kinds in
        article.append(sentence)
        if sum(len(s[0].encode()) + 1 for s in article) >= ARTICLE_BYTES and len(article) >= LABEL_QUESTIONS:
            break
    facts = [s for s in SENTENCES if s[1] == "fact"]
    others = [s for s in SENTENCES if s[1] != "fact"]
    spotted = [s for s in SENTENCES if s[3]]
    lines = [
        "format: 1",
        f"id: bench-{number:05d}",
        f"title: {quoted(f'Putin and the U.S. peace proposal, part {number}')}",
        "summary: Tell the reported facts from the writer's commentary and opinion.",
        "level: intermediate",
        "source:",
        "  headline: \"Putin says there are points he can't agree to in the U.S. proposal\"",
        "  date: 2025-12-03",
        "article:",
        "  - section: The article",
        "    text: |",
    ]
    lines += [f"      {sentence[0]}" for sentence in article]
    lines.append("questions:")
    for n, (text, answer, accept, cues) in enumerate(rng.sample(article, LABEL_QUESTIONS), start=1):
        lines += [f"  - id: label-{n}", "    type: label", f"    statement: {quoted(text)}",
                  f"    answer: {answer}"]
        if accept:
            lines.append(f"    accept: {flow(accept)}")
        lines.append(f"    why: {quoted(f'Step {dict(opinion=1, commentary=2, fact=3)[answer]} decides it.')}")
        if cues:
            lines.append(f"    cues: {flow(cues)}")
    for n in range(1, CHOICE_QUESTIONS + 1):
        options = [rng.choice(facts)] + rng.sample(others, 2)
        rng.shuffle(options)
        right = "abc"[next(i for i, o in enumerate(options) if o[1] == "fact")]
        prompt = CHANGED_PROMPT[0] if n == 1 else "Which sentence reports a fact? The others judge or guess."
        lines += [f"  - id: choice-{n}", "    type: choice", f"    prompt: {quoted(prompt)}",
                  f"    options: {flow([o[0] for o in options])}", f"    answer: {right}",
                  "    why: \"Only one of them could be checked against a record.\""]
    for n, (text, _answer, _accept, cues) in enumerate(rng.sample(spotted, SPOT_QUESTIONS), start=1):
        lines += [f"  - id: spot-{n}", "    type: spot", f"    statement: {quoted(text)}",
                  f"    answer: {flow(cues)}", "    why: \"These words judge or guess; the rest only reports.\""]
    for n in range(1, SORT_QUESTIONS + 1):
        lines += [f"  - id: sort-{n}", "    type: sort", "    items:"]
        for text, answer, accept, _cues in rng.sample(article, SORT_ITEMS):
            extra = f", accept: {flow(accept)}" if accept else ""
            lines.append(f"      - {{text: {quoted(text)}, answer: {answer}{extra}, why: \"Read it in context.\"}}")
    return "\n".join(lines) + "\n"


def write_sets(folder: Path, count: int, seed: int) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for number in range(1, count + 1):
        path = folder / f"bench-{number:05d}.yaml"
        path.write_text(set_file(number, rng), encoding="utf-8")
        paths.append(path)
    return paths


def change_wording(paths: list[Path], back: bool = False) -> None:
    """Rewords one question (the first choice's prompt) in every file: a new version of it."""
    old, new = (quoted(p) for p in CHANGED_PROMPT[::-1 if back else 1])
    for path in paths:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(f"prompt: {old}", f"prompt: {new}", 1), encoding="utf-8")


@dataclass
class Step:
    name: str
    files: int
    seconds: float
    note: str = ""


def progress(step: Step) -> Step:
    """Says a step is done while a long run goes on; the table comes at the end."""
    print(f"  {step.name}: {step.seconds:.1f} s {step.note}".rstrip(), file=sys.stderr, flush=True)
    return step


class Failed(Exception):
    """A step that did not succeed: the benchmark's figures would mean nothing."""


def quiz_script() -> str:
    script = Path(sys.executable).parent / ("quiz.exe" if os.name == "nt" else "quiz")
    found = str(script) if script.exists() else shutil.which("quiz")
    if not found:
        raise Failed("the `quiz` console script is not installed: run `pip install -e .` first")
    return found


def run_quiz(args: list[str], database_url: str | None = None) -> tuple[float, str]:
    """Runs the console script; returns its wall time and output, or raises `Failed`."""
    env = dict(os.environ, SECRET_KEY="benchmark")
    if database_url:
        env["DATABASE_URL"] = database_url
    started = time.perf_counter()
    done = subprocess.run([quiz_script(), *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise Failed(f"quiz {' '.join(args[:1])} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds, done.stdout


def import_summary(output: str) -> str:
    """`new 1000` from the import report's `new (1000): ...` lines."""
    parts = []
    for line in output.splitlines():
        word, _, rest = line.partition(" (")
        if word in ("new", "updated", "unchanged", "skipped") and rest[:1].isdigit():
            parts.append(f"{word} {rest.split(')', 1)[0]}")
    return ", ".join(parts)


def time_imports(kind: str, database_url: str, folder: Path, paths: list[Path]) -> list[Step]:
    """Migrate, import, re-import unchanged, re-import after a rewording, into one database."""
    files = len(paths)
    steps = []
    seconds, _ = run_quiz(["migrate"], database_url)
    steps.append(progress(Step(f"migrate ({kind})", 0, seconds)))
    seconds, output = run_quiz(["import", str(folder)], database_url)
    steps.append(progress(Step(f"import ({kind})", files, seconds, import_summary(output))))
    seconds, output = run_quiz(["import", str(folder)], database_url)
    steps.append(progress(Step(f"re-import unchanged ({kind})", files, seconds, import_summary(output))))
    change_wording(paths)
    try:
        seconds, output = run_quiz(["import", str(folder)], database_url)
        steps.append(progress(Step(f"re-import reworded ({kind})", files, seconds, import_summary(output))))
    finally:
        change_wording(paths, back=True)  # the next database starts from the same files
    return steps


def postgres_steps(server_url: str, folder: Path, paths: list[Path]) -> list[Step]:
    """The import steps against a fresh database on the server, dropped afterwards."""
    with scratch_postgres(server_url) as urls:
        return time_imports("postgresql", urls[""], folder, paths)


def table(steps: list[Step]) -> str:
    rows = [("step", "files", "seconds", "files/s", "ms/file", "")]
    for step in steps:
        if step.files:
            rows.append((step.name, f"{step.files:,}", f"{step.seconds:.2f}", f"{step.files / step.seconds:,.0f}",
                         f"{1000 * step.seconds / step.files:.2f}", step.note))
        else:
            rows.append((step.name, "-", f"{step.seconds:.2f}", "-", "-", step.note))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    out = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in range(1, 5)]
        out.append("  ".join(cells) + (f"  {row[5]}" if row[5] else ""))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000, help="how many set files (default 1,000)")
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL server to create a scratch database on "
                             "(default: TEST_DATABASE_URL, if set)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated sets")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="quiz-bench-") as tmp:
        folder = Path(tmp) / "sets"
        folder.mkdir()
        started = time.perf_counter()
        paths = write_sets(folder, args.files, args.seed)
        size = sum(p.stat().st_size for p in paths)
        print(f"Wrote {len(paths):,} set files ({size / len(paths) / 1024:.1f} KB each) "
              f"in {time.perf_counter() - started:.1f} s; load average {load_average()}", flush=True)
        steps: list[Step] = []
        try:
            started = time.perf_counter()
            result = check_paths([folder])
            seconds = time.perf_counter() - started
            if result.errors:
                raise Failed("the generated sets do not check:\n" + "\n".join(map(str, result.errors[:10])))
            steps.append(progress(Step("check (in-process check_paths)", len(paths), seconds,
                                       f"{len(result.warnings)} warnings")))
            seconds, _ = run_quiz(["check", str(folder)])
            steps.append(progress(Step("check (quiz check subprocess)", len(paths), seconds)))
            steps += time_imports("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", folder, paths)
            if args.postgres:
                steps += postgres_steps(args.postgres, folder, paths)
        except Failed as failure:
            print(table(steps))
            print(f"\nStopped: {failure}", file=sys.stderr)
            return 1
    print(table(steps))
    print(f"\n{os.cpu_count()} CPUs; load average {load_average()} at the end "
          "(other work on the machine slows every step)")
    return 0


def load_average() -> str:
    try:
        return " ".join(f"{n:.1f}" for n in os.getloadavg())
    except (AttributeError, OSError):  # not on Windows
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
