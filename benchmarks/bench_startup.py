"""Cold-start time of ``criteria-nlp parse PROTOCOL --format constraints`` and ``criteria-nlp lint PROTOCOL`` as
subprocesses (wall time, median of N), with the disk cache warm and cold (an empty cache directory each run) and
off, against baselines measured in the same run: ``python -c pass`` and ``python -c "import spacy"`` (the floor any
command that tokenises pays).

    python benchmarks/bench_startup.py [--repeat 5] [--protocol corpora/trials/NCT03219801.txt] [--before SRC]

``--before SRC`` also runs both commands from another copy of the package's ``src`` (e.g. the commit before a
change: ``git archive BASE src grammars corpora | tar -x -C /tmp/base``), in the same turns: before/after ratios
from one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_time(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--repeat", type=int, default=5)
    arguments.add_argument("--protocol", default=str(ROOT / "corpora" / "trials" / "NCT03219801.txt"))
    arguments.add_argument("--before", default=None, help="another src directory to time as 'before'")
    options = arguments.parse_args()
    print(
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    python = sys.executable
    base_env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "python -c 'import spacy'": [python, "-c", "import spacy"],
        "parse --format constraints": [
            python,
            "-m",
            "criteria_nlp",
            "parse",
            options.protocol,
            "--format",
            "constraints",
        ],
        "lint": [python, "-m", "criteria_nlp", "lint", options.protocol],
    }
    before_env = {**os.environ, "PYTHONPATH": str(Path(options.before).resolve())} if options.before else None
    with tempfile.TemporaryDirectory() as scratch:
        warm = {**base_env, "CRITERIA_NLP_CACHE": str(Path(scratch) / "warm")}
        off = {**base_env, "CRITERIA_NLP_CACHE": "off"}
        run_time(commands["parse --format constraints"], warm)  # the first run builds the cache
        results: dict[str, list[float]] = {}
        # the variants take turns, so that a change in the machine's speed during the run hits them alike
        for turn in range(options.repeat):
            for name, command in commands.items():
                variants = {"": base_env} if name.startswith("python") else {"warm": warm, "cold": None, "off": off}
                for variant, env in variants.items():
                    if env is None:
                        env = {**base_env, "CRITERIA_NLP_CACHE": str(Path(scratch) / f"cold-{name[:5]}-{turn}")}
                    label = f"{name} ({variant} cache)" if variant else name
                    results.setdefault(label, []).append(run_time(command, env))
                if before_env is not None and not name.startswith("python"):
                    results.setdefault(f"{name} (before)", []).append(run_time(command, before_env))
    floor = statistics.median(results["python -c 'import spacy'"])
    empty = statistics.median(results["python -c pass"])
    print(f"median of {options.repeat} (wall); ratio to 'import spacy' in the same run:")
    for label, times in results.items():
        median = statistics.median(times)
        print(
            f"  {label:42s} {median:6.2f} s   {median / floor:5.2f}x   (beyond python itself: {median - empty:.2f} s)"
        )
    if options.before:
        for name in ("parse --format constraints", "lint"):
            before = statistics.median(results[f"{name} (before)"])
            after = statistics.median(results[f"{name} (warm cache)"])
            print(f"  {name}: before / after (warm cache) = {before / after:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
