"""Screening throughput: patient × criterion evaluations per second, loading measured separately.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_screen.py [--repeat 5] [--index-date 2026-11-01]

Workloads: the bundled SLE protocol (parsed with criteria_nlp.pipeline when available, else a hand-built IR with the
same criteria) over the demo patients, and a protocol of common thresholds over the Synthea bundles in
../shared/fhir/synthea-r4 (skipped when absent). Each timing is the best of ``--repeat`` runs and is reported next
to a baseline measured in the same process — a trivial loop that calls a function per patient × criterion — so
that numbers from different machines can be compared as ratios. Target: at least 20,000 evaluations per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from criteria_nlp.evaluate import EvaluationContext, PatientIndex, evaluate
from criteria_nlp.ir import (
    All,
    Comparison,
    ConceptRef,
    CriteriaDocument,
    Criterion,
    Demographic,
    Node,
    Not,
    NotComputable,
    Presence,
    Quantity,
    Range,
    ReferenceMultiple,
    Span,
    VariableRef,
)
from criteria_nlp.resources import corpus_path, shared_dir
from criteria_nlp.sources import Patient, load_patients

TARGET = 20_000
MIN_EVALUATIONS = 1_000  # per timed run
SPAN = Span(start=0, end=1)


def _ref(variable: str) -> VariableRef:
    return VariableRef(id=variable, mention=variable, span=SPAN)


def _presence(concept: str) -> Presence:
    return Presence(span=SPAN, concept=ConceptRef(id=concept, mention=concept, span=SPAN))


def _criterion(cid: str, section: str, expression: Node) -> Criterion:
    return Criterion(
        id=cid,
        section=section,
        label=cid,
        text=cid,
        span=SPAN,
        expression=expression,
        status="computable",  # type: ignore[arg-type]
    )


def common_thresholds() -> CriteriaDocument:
    def cmp(variable: str, op: str, value: float, unit: str) -> Comparison:
        return Comparison(span=SPAN, variable=_ref(variable), operator=op, quantity=Quantity(value=value, unit=unit))  # type: ignore[arg-type]

    return CriteriaDocument(
        text="common thresholds",
        criteria=(
            _criterion("age", "inclusion", Demographic(span=SPAN, attribute="age", low=18, high=85, unit="year")),
            _criterion(
                "bmi",
                "inclusion",
                Range(
                    span=SPAN,
                    variable=_ref("bmi"),
                    low=Quantity(value=18.5, unit="kg/m2"),
                    high=Quantity(value=40, unit="kg/m2"),
                ),
            ),
            _criterion("hb", "inclusion", cmp("hemoglobin", ">=", 120, "g/L")),
            _criterion("plt", "inclusion", cmp("platelets", ">=", 150, "x10^9/L")),
            _criterion("egfr", "inclusion", cmp("egfr", ">=", 60, "mL/min/1.73 m2")),
            _criterion("a1c", "inclusion", cmp("hba1c", "<", 58, "mmol/mol")),
            _criterion("chol", "inclusion", cmp("total_cholesterol", "<", 6.2, "mmol/L")),
            _criterion("dm", "exclusion", _presence("diabetes_mellitus")),
        ),
    )


def sle_protocol() -> tuple[CriteriaDocument, str]:
    text = corpus_path("trials", "NCT03219801.txt").read_text(encoding="utf-8")
    try:
        from criteria_nlp.pipeline import parse_criteria

        return parse_criteria(text), "parsed"
    except Exception as error:  # the parser is optional for this benchmark
        print(f"(parser unavailable: {error}; using a hand-built IR of the SLE protocol)", file=sys.stderr)
    uln = [
        ReferenceMultiple(span=SPAN, variable=_ref(v), operator=">", factor=2, reference="ULN")
        for v in ("alt", "ast", "creatinine")
    ]
    criteria = (
        _criterion("inc1", "inclusion", _presence("sle")),
        _criterion("inc2", "inclusion", Demographic(span=SPAN, attribute="age", low=14, high=60, unit="year")),
        _criterion("inc3", "inclusion", Not(span=SPAN, child=_presence("infection"))),
        _criterion(
            "inc4",
            "inclusion",
            Comparison(span=SPAN, variable=_ref("lvef"), operator=">=", quantity=Quantity(value=50, unit="%")),
        ),
        _criterion("inc5", "inclusion", All(span=SPAN, children=tuple(uln))),
        _criterion("inc7", "inclusion", NotComputable(span=SPAN, category="consent", text="consent")),
        _criterion("exc4", "exclusion", _presence("pregnancy")),
        _criterion("exc7", "exclusion", _presence("tuberculosis")),
    )
    return CriteriaDocument(text=text, criteria=criteria), "hand-built"


def best_of(repeat: int, run: Callable[[], int]) -> tuple[float, int]:
    best = float("inf")
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = run()
        best = min(best, time.perf_counter() - start)
    return best, count


def baseline_rate(patients: int, criteria: int, repeat: int) -> float:
    """A trivial loop with one Python call per patient × criterion: the machine's speed for this kind of loop."""

    def call(a: int, b: int) -> int:
        return a ^ b

    def run() -> int:
        total = 0
        for _ in range(200):
            for p in range(patients):
                for c in range(criteria):
                    total += call(p, c) & 1
        return 200 * patients * criteria

    seconds, count = best_of(repeat, run)
    return count / seconds


def measure(name: str, doc: CriteriaDocument, folder: Path, index_date: date, repeat: int) -> float:
    start = time.perf_counter()
    patients: Sequence[Patient] = list(load_patients(folder))
    load_seconds = time.perf_counter() - start
    ctx = EvaluationContext(index_date=index_date)
    expressions = [c.expression for c in doc.criteria]

    # small workloads (the 5 demo patients) are screened several times per timed run, so that a run lasts long enough
    # for the timer: each pass indexes every patient anew, as a first screening does
    passes = max(1, -(-MIN_EVALUATIONS // max(1, len(patients) * len(expressions))))

    def run() -> int:
        for _ in range(passes):
            for patient in patients:
                index = PatientIndex(patient, ctx.lexicon)
                for expression in expressions:
                    evaluate(expression, index, ctx)
        return passes * len(patients) * len(expressions)

    def index_only() -> int:
        for _ in range(passes):
            for patient in patients:
                _ = PatientIndex(patient, ctx.lexicon).records  # what a protocol with conditions makes it build
        return passes * len(patients)

    indexes = [PatientIndex(patient, ctx.lexicon) for patient in patients]

    def evaluate_only() -> int:
        for _ in range(passes):
            for index in indexes:
                index.concept_matches.clear()
                index.text_matches.clear()
                for expression in expressions:
                    evaluate(expression, index, ctx)
        return passes * len(patients) * len(expressions)

    run()  # warm the conversion and concept caches, as a screening run does after its first patient
    seconds, evaluations = best_of(repeat, run)
    index_seconds, _ = best_of(repeat, index_only)
    evaluate_only()
    pure_seconds, _ = best_of(repeat, evaluate_only)
    rate = evaluations / seconds
    pure_rate = evaluations / pure_seconds
    base = baseline_rate(len(patients), len(expressions), repeat)
    print(
        f"\n{name}: {len(patients)} patients × {len(expressions)} criteria, "
        f"{passes} pass(es) = {evaluations} evaluations"
    )
    print(f"  loading:    {load_seconds:.3f} s ({load_seconds / max(len(patients), 1) * 1000:.1f} ms per patient)")
    print(f"  indexing:   {index_seconds / max(passes * len(patients), 1) * 1e6:.0f} µs per patient (once per patient)")
    print(f"  evaluating: {seconds:.4f} s (best of {repeat}) incl. indexing; {pure_seconds:.4f} s excl. indexing")
    verdict = "met" if rate >= TARGET else "NOT met"
    print(
        f"  rate:       {rate:,.0f} evaluations/s incl. indexing (target {TARGET:,}: {verdict}); "
        f"{pure_rate:,.0f}/s excl. indexing"
    )
    print(f"  baseline:   {base:,.0f} trivial calls/s; one evaluation costs {base / rate:,.0f} trivial calls")
    return rate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--index-date", default="2026-11-01", help="index date for the demo patients")
    args = parser.parse_args(argv)
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"python:  {platform.python_version()} ({platform.python_implementation()})")
    sle, how = sle_protocol()
    rates = [
        measure(
            f"SLE protocol ({how}) over demo patients",
            sle,
            corpus_path("patients"),
            date.fromisoformat(args.index_date),
            args.repeat,
        )
    ]
    shared = shared_dir()
    synthea = shared / "fhir" / "synthea-r4" if shared is not None else None
    if synthea is not None and synthea.is_dir():
        rates.append(
            measure("common thresholds over Synthea", common_thresholds(), synthea, date(2019, 6, 1), args.repeat)
        )
        rates.append(measure(f"SLE protocol ({how}) over Synthea", sle, synthea, date(2019, 6, 1), args.repeat))
    else:
        print("\n(../shared/fhir/synthea-r4 not found: Synthea workloads skipped)")
    return 0 if min(rates) >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
