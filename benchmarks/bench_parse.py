"""Throughput of the parser on the Chia criteria lines in ../shared (one criterion a line), one process.

Reports criteria per second and peak memory, as a ratio against a baseline run in the same process: the blank
spaCy tokenizer alone over the same lines (the floor any spaCy-based parser pays). Skips when ../shared is absent.

    python benchmarks/bench_parse.py [--limit N] [--jobs N] [--every-reader]

``--every-reader`` asks every reader of every clause (no reader skipped by its trigger, ``build.readers.TRIGGERS``),
to measure what the triggers save against a run without it.

Also reports ``parse_many(workers=N)`` (same lines, after the two passes: compared with the second pass, both with
warm caches), ``criteria-nlp parse --input-format jsonl --format constraints --jobs N`` against ``--jobs 1`` on the
same lines as subprocesses taking turns (``--cli-rounds``, median wall time; the command's own scaling, output
rendered in the workers), and the time of each stage of the parse on the first pass (spaCy, segment, grammar,
build, check, the Criterion model), each as a ratio to the spaCy stage.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import spacy

from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.terminology import load_terminology
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
    arguments.add_argument("--jobs", type=int, default=2, help="workers for the parallel figure (default 2)")
    arguments.add_argument("--cli-rounds", type=int, default=3, help="turns of the CLI --jobs figure (0: skip)")
    arguments.add_argument("--every-reader", action="store_true", help="skip no reader (builder.skip_readers off)")
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
    parser.builder.skip_readers = not options.every_reader
    parser.parse_one("ALT <= 2.5 x ULN")  # builds the grammar's parser
    units.registry()  # loads the lazily built unit registry (set-up, not parsing)
    # the terminology tables are read on the first doc with a word that could start a term: here, not inside the
    # spaCy stage's first block below (with CRITERIA_NLP_CACHE=off the read is seconds, which the stage would count)
    load_terminology()
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
    start = time.perf_counter()
    parallel = sum(1 for _ in parser.parse_many(records, workers=options.jobs))  # type: ignore[arg-type]
    timings["jobs"] = time.perf_counter() - start
    assert parallel == len(records)
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
    spacy_stage = timings["annotation"]
    for name in ("first", "second"):
        print(f"ratio to the spaCy stage: {name} pass {timings[name] / spacy_stage:.2f}x")
    print(
        f"parse_many(workers={options.jobs}): {count / timings['jobs']:,.0f} criteria/s; "
        f"{timings['second'] / timings['jobs']:.2f}x the second pass in one process; "
        f"ratio to the spaCy stage {timings['jobs'] / spacy_stage:.2f}x ({os.cpu_count()} CPUs)"
    )
    stages = stage_profile(records, skip_readers=not options.every_reader)
    print(
        "stages (fresh parser, first pass): "
        + ", ".join(f"{name} {seconds:.2f} s ({seconds / stages['spaCy']:.2f}x)" for name, seconds in stages.items())
    )
    print(f"peak memory (max RSS): {peak_mb:,.0f} MB")
    if options.cli_rounds:
        single, parallel_cli = cli_jobs(lines, options.jobs, options.cli_rounds)
        print(
            f"criteria-nlp parse --jobs {options.jobs} (subprocess, median of {options.cli_rounds}, wall): "
            f"{parallel_cli:.2f} s against --jobs 1 {single:.2f} s = {single / parallel_cli:.2f}x"
        )
    print("status: " + ", ".join(f"{k} {v} ({v / len(lines):.0%})" for k, v in sorted(statuses.items())))
    return 0


def cli_jobs(lines: list[tuple[str, str]], jobs: int, rounds: int) -> tuple[float, float]:
    """Median wall seconds of ``parse --input-format jsonl --format constraints`` with ``--jobs 1`` and ``--jobs
    jobs`` over ``lines``, run in turns (a change in the machine's speed hits both alike); the outputs must match."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    times: dict[int, list[float]] = {1: [], jobs: []}
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "lines.jsonl"
        with source.open("w", encoding="utf-8") as file:
            for number, (text, section) in enumerate(lines):
                file.write(json.dumps({"id": str(number), "text": text, "section": section}) + "\n")
        outputs: dict[int, bytes] = {}
        for _ in range(rounds):
            for count in times:
                command = [sys.executable, "-m", "criteria_nlp", "parse", str(source), "--input-format", "jsonl"]
                command += ["--format", "constraints", "--jobs", str(count)]
                start = time.perf_counter()
                result = subprocess.run(command, env=env, check=True, capture_output=True)
                times[count].append(time.perf_counter() - start)
                outputs[count] = result.stdout
        assert outputs[1] == outputs[jobs], "--jobs changed the output"
    return statistics.median(times[1]), statistics.median(times[jobs])


def stage_profile(records: list[tuple[str, str, str]], *, skip_readers: bool = True) -> dict[str, float]:
    """Seconds per stage of ``parse_many`` on a fresh parser (its own vocabulary; the process's caches as they
    are), measured by wrapping each stage's entry point in the pipeline module (the stages run one criterion at a
    time, so the wrappers add a few calls per criterion). "models" is the Criterion construction."""
    import criteria_nlp.pipeline as pipeline

    totals: dict[str, float] = {}

    def timed(name: str, function: Any) -> Any:
        totals[name] = 0.0

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                totals[name] += time.perf_counter() - start

        return wrapper

    def timed_annotate(nlp: Any, texts: Any) -> Any:
        documents = annotate(nlp, texts)
        while True:
            start = time.perf_counter()
            document = next(documents, None)
            totals["spaCy"] += time.perf_counter() - start
            if document is None:
                return
            yield document

    parser = CriteriaParser()
    parser.builder.skip_readers = skip_readers
    totals["spaCy"] = 0.0
    originals = {name: getattr(pipeline, name) for name in ("annotate", "segment", "pieces_of", "parse_chunks")}
    originals.update(run_passes=pipeline.run_passes, Criterion=pipeline.Criterion)
    build = parser.builder.build
    try:
        pipeline.annotate = timed_annotate  # type: ignore[assignment]
        pipeline.segment = timed("segment", originals["segment"])
        pipeline.pieces_of = timed("grammar", originals["pieces_of"])
        grammar = timed("grammar chunks", originals["parse_chunks"])
        pipeline.parse_chunks = grammar
        parser.builder.build = timed("build", build)  # type: ignore[method-assign]
        pipeline.run_passes = timed("check", originals["run_passes"])
        pipeline.Criterion = timed("models", originals["Criterion"])
        start = time.perf_counter()
        for _ in parser.parse_many(records):  # type: ignore[arg-type]
            pass
        whole = time.perf_counter() - start
    finally:
        for name, value in originals.items():
            setattr(pipeline, name, value)
    totals["grammar"] += totals.pop("grammar chunks")
    totals["rest"] = whole - sum(totals.values())
    return totals


if __name__ == "__main__":
    sys.exit(main())
