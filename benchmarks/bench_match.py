"""Matching one patient against the 1,000 real Chia trials: seconds per patient, with a baseline in the same run.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_match.py [--patients 5] [--index-date 2019-06-01]

Parses the Chia trials of ../shared/corpora/chia (each trial's ``_inc`` and ``_exc`` files under an Inclusion /
Exclusion header) into a :class:`~criteria_nlp.service.matching.MatchPlan`, then times ``match_patient`` for the
first ``--patients`` Synthea bundles of ../shared/fhir/synthea-r4 (the first patient once untimed: it makes the
index date's leaf plans, as the service's first request does). The baseline, in the same run, is the same
evaluations through plain ``screen()`` per trial (one evaluation context per patient, nothing shared across
patients or trials' repeats). Target: a median under 1 s per patient.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from criteria_nlp.evaluate import EvaluationContext
from criteria_nlp.pipeline import default_parser
from criteria_nlp.resources import shared_dir
from criteria_nlp.screen import screen
from criteria_nlp.service.library import Trial
from criteria_nlp.service.matching import MatchPlan, match_patient
from criteria_nlp.sources import Patient, load_patients
from machine import describe

TARGET_SECONDS = 1.0


def chia_trials(folder: Path) -> list[Trial]:
    texts: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.txt")):
        trial, _, part = path.stem.rpartition("_")
        head = "Inclusion Criteria:" if part == "inc" else "Exclusion Criteria:"
        texts.setdefault(trial, []).append(head + "\n" + path.read_text(encoding="utf-8").strip() + "\n")
    parser = default_parser()
    return [Trial(id=key, document=parser.parse("\n".join(parts), source=key)) for key, parts in texts.items()]


def timed(patients: list[Patient], run: Callable[[Patient], None]) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of ``run`` per patient: the CPU time is steadier on a shared machine."""
    figures = []
    for patient in patients:
        wall, cpu = time.perf_counter(), time.process_time()
        run(patient)
        figures.append((time.perf_counter() - wall, time.process_time() - cpu))
    return figures


def summary(name: str, figures: list[tuple[float, float]]) -> float:
    walls = [wall for wall, _ in figures]
    cpus = [cpu for _, cpu in figures]
    print(
        f"{name}: median {statistics.median(walls):.3f} s wall, {statistics.median(cpus):.3f} s CPU per patient "
        f"(wall {min(walls):.3f}-{max(walls):.3f} s; {', '.join(f'{w:.2f}' for w in walls)})"
    )
    return statistics.median(walls)


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--patients", type=int, default=5)
    arguments.add_argument("--index-date", default="2019-06-01")
    options = arguments.parse_args()
    shared = shared_dir()
    if shared is None or not (shared / "corpora" / "chia").is_dir():
        sys.exit("needs ../shared/corpora/chia and ../shared/fhir/synthea-r4")
    print(describe())
    start = time.perf_counter()
    trials = chia_trials(shared / "corpora" / "chia")
    criteria = sum(len(trial.document.criteria) for trial in trials)
    print(f"parsed {len(trials)} trials ({criteria} criteria) in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    plan = MatchPlan.of(trials)
    print(f"match plan: {len(plan.pool.criteria)} distinct criteria, built in {time.perf_counter() - start:.2f} s")
    patients = list(load_patients(shared / "fhir" / "synthea-r4"))[: options.patients]
    day = options.index_date

    def match(patient: Patient) -> None:
        match_patient(patient, plan, index_date=day)

    def baseline(patient: Patient) -> None:
        context = EvaluationContext(index_date=day)
        for trial in trials:
            screen(trial.document, patient, context=context)

    match(patients[0])
    matched = summary(f"match_patient, {len(trials)} trials", timed(patients, match))
    screened = summary(f"baseline: screen() per trial, {len(trials)} trials", timed(patients, baseline))
    verdict = "met" if matched < TARGET_SECONDS else "NOT met"
    print(f"ratio baseline / match: {screened / matched:.1f}x; target < {TARGET_SECONDS:g} s per patient: {verdict}")


if __name__ == "__main__":
    main()
