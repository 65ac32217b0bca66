"""Start-up time of ``criteria-nlp parse PROTOCOL --format constraints`` and ``criteria-nlp lint PROTOCOL`` as
subprocesses (wall time, median of N), against baselines measured in the same run: ``python -c pass`` and
``python -c "import spacy"`` (the floor any command that tokenises pays). Each command is timed

- ``result hit``: the protocol unchanged since the last run (its result rebuilt from the result cache: no spaCy);
- ``edited``: one criterion edited (the result cache misses, the start-up cache of the pipeline is warm);
- ``cold``: an empty cache directory; ``off``: ``CRITERIA_NLP_CACHE=off``;

and ``lint --watch`` re-linting the protocol after each save (the time it reports per run).

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


def edited(protocol: str, turn: int) -> str:
    """The protocol with one criterion edited (its last line), differently each turn."""
    lines = Path(protocol).read_text(encoding="utf-8").rstrip("\n").split("\n")
    lines[-1] += f" (edit {turn})"
    return "\n".join(lines) + "\n"


def watch_times(python: str, protocol: str, env: dict[str, str], saves: int, scratch: Path) -> list[float]:
    """The re-lint times ``lint --watch`` reports, one per save of an edited protocol (the first run is not
    counted: it loads the linter)."""
    path = scratch / "watched.txt"
    path.write_text(edited(protocol, 0), encoding="utf-8")
    command = [python, "-m", "criteria_nlp", "lint", str(path), "--watch", "--interval", "0.02"]
    command += ["--max-runs", str(saves + 1)]
    times: list[float] = []
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        for save in range(saves + 1):
            line = process.stderr.readline()
            if " in " not in line:
                raise RuntimeError(f"lint --watch said: {line!r}")
            if save:
                times.append(float(line.split(" in ")[1].split(" ms")[0]) / 1000)
            if save < saves:
                time.sleep(0.05)
                path.write_text(edited(protocol, save + 1), encoding="utf-8")
    return times


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
        "parse --format constraints": [python, "-m", "criteria_nlp", "parse", "PROTOCOL", "--format", "constraints"],
        "lint": [python, "-m", "criteria_nlp", "lint", "PROTOCOL"],
    }
    before_env = {**os.environ, "PYTHONPATH": str(Path(options.before).resolve())} if options.before else None
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        warm = {**base_env, "CRITERIA_NLP_CACHE": str(scratch / "warm")}
        off = {**base_env, "CRITERIA_NLP_CACHE": "off"}
        for name in ("parse --format constraints", "lint"):  # the first runs build the caches and the results
            run_time(with_protocol(commands[name], options.protocol), warm)
        # the variants take turns, so that a change in the machine's speed during the run hits them alike
        for turn in range(options.repeat):
            changed = scratch / "edited.txt"
            changed.write_text(edited(options.protocol, turn + 1), encoding="utf-8")
            for name, command in commands.items():
                if name.startswith("python"):
                    results.setdefault(name, []).append(run_time(command, base_env))
                    continue
                cold = {**base_env, "CRITERIA_NLP_CACHE": str(scratch / f"cold-{name[:5]}-{turn}")}
                variants = {
                    "result hit": (options.protocol, warm),
                    "edited: result missed, pipeline warm": (str(changed), warm),
                    "cold cache": (options.protocol, cold),
                    "cache off": (options.protocol, off),
                }
                if before_env is not None:
                    variants["before"] = (options.protocol, before_env)
                for variant, (protocol, env) in variants.items():
                    results.setdefault(f"{name} ({variant})", []).append(
                        run_time(with_protocol(command, protocol), env)
                    )
        results["lint --watch, one re-lint after a save"] = watch_times(
            python, options.protocol, warm, options.repeat, scratch
        )
    report(results, options)
    return 0


def with_protocol(command: list[str], protocol: str) -> list[str]:
    return [protocol if part == "PROTOCOL" else part for part in command]


def report(results: dict[str, list[float]], options: argparse.Namespace) -> None:
    floor = statistics.median(results["python -c 'import spacy'"])
    empty = statistics.median(results["python -c pass"])
    print(f"median of {options.repeat} (wall); ratio to 'import spacy' in the same run:")
    for label, times in results.items():
        median = statistics.median(times)
        beyond = "" if "watch" in label else f"   (beyond python itself: {median - empty:.2f} s)"
        print(f"  {label:62s} {median:6.3f} s   {median / floor:5.2f}x{beyond}")
    if options.before:
        for name in ("parse --format constraints", "lint"):
            before = statistics.median(results[f"{name} (before)"])
            for variant in ("result hit", "edited: result missed, pipeline warm"):
                after = statistics.median(results[f"{name} ({variant})"])
                print(f"  {name}: before / after ({variant}) = {before / after:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
