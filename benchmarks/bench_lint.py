"""Lint every Chia trial section in ../shared/corpora/chia (each *_inc.txt / *_exc.txt file is one section).

Reports documents per second (target: at least 200), the ratio against a baseline in the same process (parsing
alone, timed per document), the score distribution, the most frequent rule ids and the most frequent unknown terms
(the words inside not-understood spans: they drive the lexicon). Each section is given its header ("Inclusion
Criteria:" / "Exclusion Criteria:") so that the segmenter assigns the section. A document the parser does not finish
within --timeout seconds is counted and left out of the rates. Skips when ../shared is absent.

    PYTHONPATH=src python benchmarks/bench_lint.py [--limit N] [--timeout S]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import statistics
import sys
import time
from collections import Counter
from types import FrameType

from criteria_nlp.lint import lint
from criteria_nlp.pipeline import CriteriaParser
from criteria_nlp.resources import shared_dir

HEADERS = {"inc": "Inclusion Criteria:\n", "exc": "Exclusion Criteria:\n"}
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "to",
        "in",
        "for",
        "with",
        "without",
        "on",
        "at",
        "by",
        "from",
        "as",
        "be",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "who",
        "which",
        "that",
        "this",
        "these",
        "those",
        "any",
        "all",
        "other",
        "than",
        "not",
        "no",
        "within",
        "prior",
        "previous",
        "patients",
        "patient",
        "subjects",
        "subject",
    ]
)


class DocumentTimeout(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise DocumentTimeout


def sections(limit: int | None) -> list[tuple[str, str]]:
    shared = shared_dir()
    if shared is None:
        return []
    found: list[tuple[str, str]] = []
    for path in sorted((shared / "corpora" / "chia").glob("*_???.txt")):
        kind = path.stem.rsplit("_", 1)[1]
        if kind in HEADERS:
            found.append((path.name, HEADERS[kind] + path.read_text(encoding="utf-8")))
    return found[:limit] if limit else found


def main() -> int:
    arguments = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    arguments.add_argument("--limit", type=int, default=None)
    arguments.add_argument("--timeout", type=float, default=5.0, help="seconds per document before giving up")
    options = arguments.parse_args()
    documents = sections(options.limit)
    if not documents:
        print("skipped: ../shared/corpora/chia not found")
        return 0
    parser = CriteriaParser()
    lint(parser.parse("Inclusion Criteria:\n1. Age ≥ 18 years\n"), lexicon=parser.lexicon)  # warm up
    signal.signal(signal.SIGALRM, _alarm)

    parse_seconds = lint_seconds = 0.0
    timed_out: list[str] = []
    crashed: list[str] = []
    scores: list[float] = []
    rules: Counter[str] = Counter()
    phrases: Counter[str] = Counter()
    words: Counter[str] = Counter()
    criteria = 0
    for name, text in documents:
        signal.setitimer(signal.ITIMER_REAL, options.timeout)
        try:
            started = time.perf_counter()
            document = parser.parse(text, source=name)
            parsed = time.perf_counter()
            report = lint(document, lexicon=parser.lexicon)
            done = time.perf_counter()
        except DocumentTimeout:
            timed_out.append(name)
            continue
        except Exception as error:  # a parser crash on one section must not end the corpus run
            crashed.append(f"{name} ({type(error).__name__})")
            continue
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        parse_seconds += parsed - started
        lint_seconds += done - parsed
        criteria += len(document.criteria)
        scores.append(report.score.score)
        rules.update(f"{f.rule} {f.name}" for f in report.findings)
        for item in report.criteria:
            for unparsed in item.unparsed:
                phrase = " ".join(unparsed.text.lower().split())
                if len(phrase) <= 40:
                    phrases[phrase] += 1
                words.update(w for w in re.findall(r"[a-z][a-z0-9\-']+", phrase) if w not in STOPWORDS)

    linted = len(scores)
    total = parse_seconds + lint_seconds
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cpus, {platform.system()}, "
        f"Python {sys.version.split()[0]}"
    )
    print(f"documents: {linted} linted ({criteria} criteria), {len(timed_out)} timed out after {options.timeout:g} s")
    if crashed:
        print(f"  crashed ({len(crashed)}): " + ", ".join(crashed[:10]) + (" ..." if len(crashed) > 10 else ""))
    if timed_out:
        print("  timed out: " + ", ".join(timed_out[:10]) + (" ..." if len(timed_out) > 10 else ""))
    print(f"parse + lint: {linted / total:.0f} documents/s ({total:.2f} s)   target >= 200")
    print(f"parse alone (baseline): {linted / parse_seconds:.0f} documents/s ({parse_seconds:.2f} s)")
    print(
        f"lint alone: {linted / lint_seconds:.0f} documents/s ({lint_seconds:.2f} s); "
        f"parse+lint / parse = {total / parse_seconds:.3f}"
    )
    print(
        f"score: mean {statistics.mean(scores):.1f}, median {statistics.median(scores):.1f}, "
        f"min {min(scores):g}, max {max(scores):g}"
    )
    bins = Counter(min(int(score // 10), 9) for score in scores)
    for index in range(10):
        count = bins[index]
        label = f"{index * 10:>3}-{index * 10 + 9 if index < 9 else 100:<3}"
        print(f"  {label} {count:>5} {'#' * round(60 * count / linted)}")
    print("most frequent rules:")
    for rule_name, count in rules.most_common(20):
        print(f"  {count:>6}  {rule_name}")
    print("most frequent unknown words (inside not-understood spans):")
    print("  " + ", ".join(f"{w} {c}" for w, c in words.most_common(40)))
    print("most frequent not-understood spans:")
    print("  " + ", ".join(f"{p!r} {c}" for p, c in phrases.most_common(30)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
