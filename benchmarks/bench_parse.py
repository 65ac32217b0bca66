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

from criteria_nlp.knowledge import units
from criteria_nlp.pipeline import CriteriaParser
from criteria_nlp.resources import shared_chia_lines, shared_dir
from criteria_nlp.text.nlp import annotate, build_pipeline

_BLOCK = 500


def chia_lines(limit: int | None) -> list[tuple[str, str]]:
    shared = shared_dir()
    lines = shared_chia_lines(shared) if shared is not None else []
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

    # The baseline (spaCy's blank tokenizer, with its own fresh vocabulary) and the parser take turns over blocks of
    # lines, so that a change in the machine's speed during the run (it is shared) hits both alike.
    tokenizer = spacy.blank("en").tokenizer
    # the parser's own spaCy stage (tokenizer rules, phrase matchers, number and unit components) on a pipeline of
    # its own, to show how much of the parser's time is spaCy's
    annotation_pipeline = build_pipeline()
    records = [(str(number), text, section) for number, (text, section) in enumerate(lines)]
    statuses: dict[str, int] = {}
    timings = {"baseline": 0.0, "first": 0.0, "baseline again": 0.0, "second": 0.0, "annotation": 0.0}
    for passes in (("baseline", "first"), ("baseline again", "second")):
        for block_start in range(0, len(records), _BLOCK):
            block = records[block_start : block_start + _BLOCK]
            start = time.perf_counter()
            for _, text, _ in block:
                tokenizer(text)
            timings[passes[0]] += time.perf_counter() - start
            if passes[1] == "first":
                start = time.perf_counter()
                for _ in annotate(annotation_pipeline, (text for _, text, _ in block)):
                    pass
                timings["annotation"] += time.perf_counter() - start
            start = time.perf_counter()
            for criterion in parser.parse_many(block):  # type: ignore[arg-type]
                if passes[1] == "first":
                    statuses[criterion.status] = statuses.get(criterion.status, 0) + 1
            timings[passes[1]] += time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    count = len(lines)
    print(f"criteria: {count}; set-up {setup:.2f} s")
    for name, baseline_name, note in (
        ("first", "baseline", "first pass"),
        ("second", "baseline again", "second pass over the same lines: warm spaCy vocabulary and caches"),
    ):
        elapsed, baseline = timings[name], timings[baseline_name]
        print(
            f"parser, {note}: {elapsed:.2f} s = {count / elapsed:,.0f} criteria/s; "
            f"blank spaCy tokenizer alone {count / baseline:,.0f} lines/s; ratio parser/tokenizer time "
            f"{elapsed / baseline:.1f}x"
        )
    print(
        f"spaCy stage of the parser alone (first pass, own pipeline): {count / timings['annotation']:,.0f} lines/s "
        f"= {timings['annotation'] / timings['first']:.0%} of the parser's first-pass time"
    )
    print(f"peak memory (max RSS): {peak_mb:,.0f} MB")
    print("status: " + ", ".join(f"{k} {v} ({v / len(lines):.0%})" for k, v in sorted(statuses.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
