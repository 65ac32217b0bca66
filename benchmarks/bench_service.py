"""Service benchmark on loopback: a bounded load test of ``criteria-nlp serve`` and one patient against 1,000 trials.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_service.py [--parse 2000] [--match 500] [--concurrency 4]
        [--trials 1000] [--match-trials 50] [--workers 1] [--max-seconds 300]

1. Generates ``--trials`` protocol texts by recombining the bundled protocols' criteria (seeded), builds a library
   of them (parse time), opens it again (restart time), and times matching one patient against all of them
   (best of 3; target under a second).
2. Starts ``criteria-nlp serve`` on 127.0.0.1 (a free port) with a library of the first ``--match-trials`` of them,
   then sends ``--parse`` POST /parse (a 25-criterion protocol) and ``--match`` POST /match requests from
   ``--concurrency`` client threads, each phase stopping early at ``--max-seconds``. Reports throughput and
   p50/p99 latency; the baseline, in the same run, is GET /health through the same clients (the HTTP floor) and
   the same parse in-process (no HTTP). Target: p50 under 50 ms for /parse.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from conftest import running_service  # noqa: E402 - the tests' server launcher, reused
from criteria_nlp.evaluate import EvaluationContext  # noqa: E402
from criteria_nlp.pipeline import default_parser  # noqa: E402
from criteria_nlp.screen import screen  # noqa: E402
from criteria_nlp.service.library import TrialLibrary  # noqa: E402
from criteria_nlp.service.matching import MatchPlan, match_patient  # noqa: E402
from criteria_nlp.sources import load_patient  # noqa: E402
from machine import describe  # noqa: E402

PATIENT = ROOT / "corpora" / "patients" / "sle-fhir-bundle.json"


def criteria_pool() -> dict[str, list[str]]:
    """Every criterion text of the bundled protocols, by section."""
    parser = default_parser()
    pool: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    for path in sorted((ROOT / "corpora" / "trials").glob("*.txt")):
        for criterion in parser.parse(path.read_text(encoding="utf-8")).criteria:
            if criterion.section in pool:
                pool[criterion.section].append(" ".join(criterion.text.split()))
    return pool


def protocol(pool: dict[str, list[str]], rng: random.Random, inclusion: int, exclusion: int) -> str:
    lines = ["Inclusion criteria"]
    lines += [f"  {n}. {text}" for n, text in enumerate(rng.sample(pool["inclusion"], inclusion), start=1)]
    lines.append("Exclusion criteria")
    lines += [f"  {n}. {text}" for n, text in enumerate(rng.sample(pool["exclusion"], exclusion), start=1)]
    return "\n".join(lines) + "\n"


def write_trials(folder: Path, count: int, pool: dict[str, list[str]]) -> None:
    rng = random.Random(14)
    for number in range(count):
        inclusion = rng.randint(6, min(14, len(pool["inclusion"])))
        exclusion = rng.randint(4, min(12, len(pool["exclusion"])))
        (folder / f"GEN{number:05d}.txt").write_text(protocol(pool, rng, inclusion, exclusion), encoding="utf-8")


def library_figures(folder: Path) -> None:
    start = time.perf_counter()
    library, report = TrialLibrary.open(folder)
    built = time.perf_counter() - start
    start = time.perf_counter()
    library, again = TrialLibrary.open(folder)
    trials = library.trials()
    reopened = time.perf_counter() - start
    criteria = sum(len(trial.document.criteria) for trial in trials)
    print(
        f"library: {len(report.parsed)} trials ({criteria} criteria) parsed and stored in {built:.1f} s; "
        f"restart: {len(again.unchanged)} unchanged, 0 parsed, read back in {reopened:.2f} s"
    )
    patient = load_patient(PATIENT)
    start = time.perf_counter()
    plan = MatchPlan.of(trials)
    planned = time.perf_counter() - start
    print(f"match plan: {len(plan.pool.criteria)} distinct criteria of {criteria}, built in {planned:.2f} s")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        result = match_patient(patient, plan, index_date="2026-11-01", limit=20)
        times.append(time.perf_counter() - start)
    decisions = {
        d: sum(1 for m in match_patient(patient, plan, limit=len(trials)).matches if m.decision == d)
        for d in ("eligible", "needs_review", "ineligible")
    }
    start = time.perf_counter()
    context = EvaluationContext(index_date=date(2026, 11, 1))
    for trial in trials:
        screen(trial.document, patient, context=context)
    unshared = time.perf_counter() - start
    print(f"baseline: screen() per trial, nothing shared: {unshared:.3f} s for {len(trials)} trials")
    print(
        f"match one patient against {len(trials)} trials: best {min(times):.3f} s, "
        f"median {statistics.median(times):.3f} s (target < 1 s; {criteria / min(times):,.0f} criteria/s); "
        f"top decision {result.matches[0].decision}; decisions {decisions}"
    )


def load(client_count: int, requests: int, max_seconds: float, call: Callable[[httpx.Client], int]) -> dict[str, Any]:
    """``requests`` calls from ``client_count`` threads (one keep-alive client each), stopping at ``max_seconds``."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + max_seconds
    per_client = [requests // client_count + (1 if i < requests % client_count else 0) for i in range(client_count)]

    def worker(count: int) -> None:
        with httpx.Client(timeout=60) as client:
            for _ in range(count):
                if time.monotonic() > deadline:
                    return
                start = time.perf_counter()
                status = call(client)
                latencies.append(time.perf_counter() - start)
                statuses[status] = statuses.get(status, 0) + 1

    start = time.perf_counter()
    with ThreadPoolExecutor(client_count) as pool:
        list(pool.map(worker, per_client))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "statuses": statuses,
    }


def report(name: str, figures: dict[str, Any]) -> None:
    print(
        f"  {name:<34} {figures['requests']:>5} requests in {figures['seconds']:6.1f} s: "
        f"{figures['rps']:7.1f} req/s, p50 {figures['p50']:7.1f} ms, p99 {figures['p99']:7.1f} ms  "
        f"statuses {figures['statuses']}"
    )


def load_test(arguments: argparse.Namespace, folder: Path, pool: dict[str, list[str]]) -> None:
    import json

    small = folder.parent / "served"
    small.mkdir()
    for path in sorted(folder.glob("*.txt"))[: arguments.match_trials]:
        shutil.copy(path, small / path.name)
    text = protocol(pool, random.Random(25), 14, 11)  # 25 criteria
    criteria = len(default_parser().parse(text).criteria)
    bundle = json.loads(PATIENT.read_text(encoding="utf-8"))
    in_process = []
    for _ in range(50):
        start = time.perf_counter()
        default_parser().parse(text)
        in_process.append(time.perf_counter() - start)
    in_process.sort()
    log = folder.parent / "serve.log"
    options = ["--trials", str(small), "--workers", str(arguments.workers), "--log-level", "warning"]
    with running_service(*options, log=log) as url:
        c = arguments.concurrency
        print(
            f"load test: {url}, {arguments.workers} server worker(s), {c} client threads, "
            f"/parse of a {criteria}-criterion protocol, /match against {arguments.match_trials} trials"
        )
        print(f"  baseline: in-process parse p50 {in_process[25] * 1000:.1f} ms, p99 {in_process[-1] * 1000:.1f} ms")
        body = {"patient": bundle, "index_date": "2026-11-01", "limit": 20}
        with httpx.Client(timeout=60) as warm:  # the first calls compile regexes and fill the evaluation caches
            for _ in range(5):
                warm.post(url + "/parse", json={"text": text})
                warm.post(url + "/match", json=body)
        seconds = arguments.max_seconds

        def health(client: httpx.Client) -> int:
            return client.get(url + "/health").status_code

        def parse(client: httpx.Client) -> int:
            return client.post(url + "/parse", json={"text": text}).status_code

        def match(client: httpx.Client) -> int:
            return client.post(url + "/match", json=body).status_code

        report(f"baseline GET /health, {c} clients", load(c, 1000, seconds, health))
        report("POST /parse, 1 client", load(1, 200, seconds, parse))
        parsed = load(c, arguments.parse, seconds, parse)
        report(f"POST /parse, {c} clients", parsed)
        report("POST /match, 1 client", load(1, 50, seconds, match))
        report(f"POST /match, {c} clients", load(c, arguments.match, seconds, match))
        print(f"  /parse p50 with {c} clients under 50 ms: {'met' if parsed['p50'] < 50 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parse", type=int, default=2000)
    parser.add_argument("--match", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--match-trials", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    arguments = parser.parse_args()
    print(f"machine: {describe()}")
    pool = criteria_pool()
    with tempfile.TemporaryDirectory(prefix="bench-service-") as directory:
        folder = Path(directory) / "trials"
        folder.mkdir()
        write_trials(folder, arguments.trials, pool)
        print(
            f"{arguments.trials} trials generated from {len(pool['inclusion'])} inclusion and "
            f"{len(pool['exclusion'])} exclusion criteria of the bundled protocols"
        )
        library_figures(folder)
        load_test(arguments, folder, pool)


if __name__ == "__main__":
    main()
