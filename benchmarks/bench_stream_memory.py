"""Peak memory (max RSS) of ``criteria-nlp parse --input-format jsonl`` against the input's size: a subprocess per
size, the Chia lines (or the bundled protocols' lines) repeated to N records, output discarded. Flat means the
input is streamed: nothing accumulates per record.

    python benchmarks/bench_stream_memory.py [--sizes 1000,10000,50000] [--jobs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from itertools import cycle, islice
from pathlib import Path

from criteria_nlp.resources import shared_chia_lines, shared_dir

ROOT = Path(__file__).resolve().parents[1]


def lines() -> list[tuple[str, str]]:
    shared = shared_dir()
    found = shared_chia_lines(shared) if shared is not None else []
    if not found:
        for path in sorted((ROOT / "corpora" / "trials").glob("*.txt")):
            found.extend((line, "inclusion") for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return found


def peak_rss_mb(source: Path, jobs: int) -> float:
    """Peak RSS of the parse process alone (``wait4``'s own figure for that child), in MB."""
    command = [sys.executable, "-m", "criteria_nlp", "parse", str(source), "--input-format", "jsonl"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen([*command, "--jobs", str(jobs)], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"parse exited with {process.returncode}")
    return usage.ru_maxrss / 1024


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--sizes", default="1000,10000,50000")
    arguments.add_argument("--jobs", type=int, default=1)
    options = arguments.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    pool = lines()
    with tempfile.TemporaryDirectory() as scratch:
        for size in (int(s) for s in options.sizes.split(",")):
            source = Path(scratch) / f"{size}.jsonl"
            with source.open("w", encoding="utf-8") as out:
                for number, (text, section) in enumerate(islice(cycle(pool), size)):
                    out.write(json.dumps({"id": str(number), "text": text, "section": section}) + "\n")
            mb = source.stat().st_size / 1e6
            print(f"{size:>8} records ({mb:6.1f} MB of JSONL): peak RSS {peak_rss_mb(source, options.jobs):6.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
