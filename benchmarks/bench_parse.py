"""Throughput of the parser on the Chia criteria lines in ../shared (one criterion a line), one process.

Reports criteria per second and peak memory, as a ratio against a baseline run in the same process: the blank
spaCy tokenizer alone over the same lines (the floor any spaCy-based parser pays). Skips when ../shared is absent.

    python benchmarks/bench_parse.py [--limit N]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time

import spacy

from criteria_nlp import units
from criteria_nlp.parse import CriteriaParser
from criteria_nlp.resources import shared_dir


def chia_lines(limit: int | None) -> list[tuple[str, str]]:
    shared = shared_dir()
    if shared is None:
        return []
    lines: list[tuple[str, str]] = []
    for path in sorted((shared / "corpora" / "chia").glob("*.txt")):
        section = "exclusion" if path.stem.endswith("_exc") else "inclusion"
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                lines.append((line, section))
    return lines[:limit] if limit else lines


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--limit", type=int, default=None)
    options = arguments.parse_args()
    lines = chia_lines(options.limit)
    if not lines:
        print("skipped: ../shared/corpora/chia not found (set CRITERIA_NLP_SHARED)")
        return 0
    print(
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    start = time.perf_counter()
    parser = CriteriaParser()
    parser.parse_one("ALT <= 2.5 x ULN")  # builds the grammar's parser
    units.registry()  # loads the lazily built unit registry (set-up, not parsing)
    setup = time.perf_counter() - start

    tokenizer = spacy.blank("en").tokenizer
    texts = [text for text, _ in lines]
    start = time.perf_counter()
    for text in texts:
        tokenizer(text)
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    statuses: dict[str, int] = {}
    records = [(str(number), text, section) for number, (text, section) in enumerate(lines)]
    for criterion in parser.parse_many(records):  # type: ignore[arg-type]
        statuses[criterion.status] = statuses.get(criterion.status, 0) + 1
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = len(lines) / elapsed
    # the same lines again: spaCy's vocabulary and tokenizer cache, and the parser's own caches, are warm, as in a
    # service that has seen this kind of text before
    start = time.perf_counter()
    for _ in parser.parse_many(records):  # type: ignore[arg-type]
        pass
    warm = time.perf_counter() - start
    print(f"criteria: {len(lines)}; set-up {setup:.2f} s")
    print(f"parser: {elapsed:.2f} s = {rate:,.0f} criteria/s (first pass)")
    print(f"parser, second pass over the same lines: {warm:.2f} s = {len(lines) / warm:,.0f} criteria/s")
    print(f"baseline (blank spaCy tokenizer only): {baseline:.2f} s = {len(lines) / baseline:,.0f} lines/s")
    print(f"ratio parser/baseline time: {elapsed / baseline:.1f}x")
    print(f"peak memory (max RSS): {peak_mb:,.0f} MB")
    print("status: " + ", ".join(f"{k} {v} ({v / len(lines):.0%})" for k, v in sorted(statuses.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
