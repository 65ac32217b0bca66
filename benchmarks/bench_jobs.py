"""All cores: ``parse --jobs N`` on the Chia lines (JSONL), ``screen DIR --jobs N`` on the Synthea bundles and
``screen POPULATION --engine python --jobs N`` on a synthetic population, each against ``--jobs 1`` in the same run,
with the machine's load from other processes while each command ran.

    PYTHONPATH=src python benchmarks/bench_jobs.py [--jobs 2] [--rounds 3] [--copies 4] [--limit N] [--patients N]

Each figure is the median wall time of the command in a subprocess, run in turns with ``--jobs 1`` (a change in the
machine's speed hits both alike); the outputs must be byte-identical. "work" subtracts the start-up measured in the
same run (the same command on a one-line input / one bundle / ten patients), which both settings pay alike. The load
is the CPU time the whole machine spent, minus this benchmark's own commands, in cores (from ``/proc/stat``): on a
machine with two cores and a load of 1.0 from others, two workers cannot reach 2×. The CPU seconds each setting
used (the command and its workers) give the extra work ``--jobs`` costs, and so the most N free cores could give.

For ``parse``, "halves at once" runs the input's two halves as two ``--jobs 1`` commands at the same time: no
worker, no pipe, nothing sent between processes. Its CPU, less the second start-up, against one command over the
whole input is what running on both cores at once costs on this machine (caches filled twice, and the cores
slowing each other down: shared caches, memory, the host's scheduling of a virtual machine's CPUs); ``--jobs 2``
cannot do much better than it. ``parse`` runs with the result cache off (``CRITERIA_NLP_RESULTS=off``: it
measures parsing); ``screen`` with it on, warmed once (the trial's document is read from it, as a user's second run
reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from criteria_nlp.resources import shared_chia_lines, shared_dir  # noqa: E402

TRIAL = ROOT / "corpora" / "trials" / "NCT03219801.txt"


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy since boot (0 where /proc/stat is missing)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(value) for value in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle and iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run(*commands: list[str]) -> tuple[float, float, float, bytes]:
    """Wall seconds of ``commands`` run at the same time, the cores other processes kept busy meanwhile, the CPU
    seconds the commands (with their workers) used, and their standard outputs one after the other."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    own_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_before = machine_busy_seconds()
    start = time.perf_counter()
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                 for command in commands]  # fmt: skip
    outputs = [process.communicate()[0] for process in processes]
    wall = time.perf_counter() - start
    own_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = (own_after.ru_utime - own_before.ru_utime) + (own_after.ru_stime - own_before.ru_stime)
    others = max(0.0, machine_busy_seconds() - busy_before - own) / wall
    return wall, others, own, b"".join(outputs)


def compare(
    name: str, command: list[str], baseline: list[str], jobs: int, rounds: int, halves: list[list[str]] | None = None
) -> None:
    """``command`` with ``--jobs 1`` and ``--jobs jobs`` in turns, and the start-up ``baseline`` once a round (after
    one run not measured: what the first run of a command writes to the caches); with ``halves``, those commands
    at the same time once a round, each with ``--jobs 1``."""
    walls: dict[int, list[float]] = {1: [], jobs: []}
    loads: dict[int, list[float]] = {1: [], jobs: []}
    cpu: dict[int, list[float]] = {1: [], jobs: []}
    outputs: dict[int, bytes] = {}
    startups: list[float] = []
    startup_cpu: list[float] = []
    split: list[tuple[float, float, float]] = []
    run(baseline)
    for _ in range(rounds):
        wall, _, used, _ = run(baseline)
        startups.append(wall)
        startup_cpu.append(used)
        for count in walls:
            wall, others, used, output = run([*command, "--jobs", str(count)])
            walls[count].append(wall)
            cpu[count].append(used)
            loads[count].append(others)
            outputs[count] = output
        if halves:
            wall, others, used, output = run(*([*half, "--jobs", "1"] for half in halves))
            assert output == outputs[1], f"{name}: the halves do not make the whole"
            split.append((wall, others, used))
    assert outputs[1] == outputs[jobs], f"{name}: --jobs {jobs} changed the output"
    one, many, startup = statistics.median(walls[1]), statistics.median(walls[jobs]), statistics.median(startups)
    cpu_one, cpu_many = statistics.median(cpu[1]), statistics.median(cpu[jobs])
    print(
        f"{name}: --jobs 1 {one:.2f} s, --jobs {jobs} {many:.2f} s = {one / many:.2f}x wall; start-up {startup:.2f} s, "
        f"work {one - startup:.2f} s against {many - startup:.2f} s = {(one - startup) / (many - startup):.2f}x; "
        f"others' load {statistics.median(loads[1]):.2f} / {statistics.median(loads[jobs]):.2f} cores "
        f"(of {os.cpu_count()}) during --jobs 1 / {jobs}; CPU {cpu_one:.2f} s against {cpu_many:.2f} s "
        f"(+{cpu_many / cpu_one - 1:.0%}): at most {jobs * cpu_one / cpu_many:.2f}x on {jobs} free cores"
    )
    if split:
        wall, others, used = (statistics.median(values) for values in zip(*split, strict=True))
        # less the second start-up, which --jobs does not pay (its workers are forked after it)
        used -= statistics.median(startup_cpu)
        print(
            f"  halves at once (two --jobs 1, nothing shared): {wall:.2f} s = {one / wall:.2f}x wall, others' load "
            f"{others:.2f}; CPU less one start-up {used:.2f} s (+{used / cpu_one - 1:.0%} against --jobs 1: what "
            f"running on {len(halves or [])} cores at once costs here); --jobs {jobs} used {cpu_many / used - 1:+.0%} "
            "against it"
        )


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--jobs", type=int, default=2)
    arguments.add_argument("--rounds", type=int, default=3)
    arguments.add_argument("--copies", type=int, default=4, help="Synthea bundles repeated this many times")
    arguments.add_argument("--limit", type=int, default=0, help="first N Chia lines only (0: all)")
    arguments.add_argument("--patients", type=int, default=5000, help="synthetic patients for --engine python")
    options = arguments.parse_args()
    shared = shared_dir()
    if shared is None:
        print("skipped: ../shared (Chia lines, Synthea bundles) not found")
        return 0
    lines = shared_chia_lines(shared)
    if options.limit:
        lines = lines[: options.limit]
    cli = [sys.executable, "-m", "criteria_nlp"]
    with tempfile.TemporaryDirectory() as scratch:
        jsonl, one_line = Path(scratch) / "lines.jsonl", Path(scratch) / "one.jsonl"
        records = [json.dumps({"id": str(number), "text": text, "section": section}) + "\n"
                   for number, (text, section) in enumerate(lines)]  # fmt: skip
        jsonl.write_text("".join(records), encoding="utf-8")
        halves = [Path(scratch) / "first.jsonl", Path(scratch) / "second.jsonl"]
        halves[0].write_text("".join(records[: len(records) // 2]), encoding="utf-8")
        halves[1].write_text("".join(records[len(records) // 2 :]), encoding="utf-8")
        one_line.write_text(json.dumps({"id": "0", "text": lines[0][0]}) + "\n", encoding="utf-8")
        parse = [*cli, "parse", "--input-format", "jsonl", "--format", "constraints"]
        os.environ["CRITERIA_NLP_RESULTS"] = "off"  # the parse is measured, not the result cache
        compare(f"parse {len(lines):,} Chia lines", [*parse, str(jsonl)], [*parse, str(one_line)], options.jobs,
                options.rounds, [[*parse, str(half)] for half in halves])  # fmt: skip
        del os.environ["CRITERIA_NLP_RESULTS"]
        bundles = sorted((shared / "fhir" / "synthea-r4").glob("*.json"))
        folder = Path(scratch) / "patients"
        folder.mkdir()
        for copy in range(options.copies):
            for path in bundles:
                (folder / f"{copy}-{path.name}").symlink_to(path)
        screen = [*cli, "screen", str(TRIAL), "--index-date", "2026-11-01", "--format", "json"]
        compare(f"screen {len(bundles) * options.copies} Synthea bundles", [*screen, str(folder)],
                [*screen, str(bundles[0])], options.jobs, options.rounds)  # fmt: skip
        from criteria_nlp.population.synthetic import write_synthetic

        population, tiny = write_synthetic(Path(scratch) / "population", options.patients), Path(scratch) / "tiny"
        write_synthetic(tiny, 10)
        engine = [*cli, "screen", str(TRIAL), "--index-date", "2026-11-01", "--engine", "python"]
        compare(f"screen --engine python, {options.patients:,} synthetic patients", [*engine, str(population)],
                [*engine, str(tiny)], options.jobs, options.rounds)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
