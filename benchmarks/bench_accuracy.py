"""Accuracy of the numeric constraints on the Leaf dev set in ../shared, scored by ../shared/eval/score_constraints.py.

Writes the parser's flat constraint table (the ``--format constraints`` output) for every criterion of
``corpora/leaf/dev.jsonl`` to a temporary file and runs the shared scoring script on it, which prints
precision/recall/F1 at three levels (threshold / +unit / +variable). Skips when ../shared is absent.

    python benchmarks/bench_accuracy.py [--errors N] [--keep PRED.jsonl]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from criteria_nlp.ir.constraints import criterion_record
from criteria_nlp.pipeline import CriteriaParser
from criteria_nlp.resources import shared_dir


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--errors", type=int, default=0, help="list up to N criteria that are not fully right")
    arguments.add_argument("--keep", type=Path, default=None, help="also write the predictions here")
    options = arguments.parse_args()
    shared = shared_dir()
    if shared is None:
        print("skipped: ../shared not found (set CRITERIA_NLP_SHARED)")
        return 0
    gold = shared / "corpora" / "leaf" / "dev.jsonl"
    scorer = shared / "eval" / "score_constraints.py"
    records = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    parser = CriteriaParser()
    start = time.perf_counter()
    lines = []
    for record in records:
        section = record.get("section", "inclusion")
        criterion = parser.parse_one(record["text"], section=section, criterion_id=record["id"])
        lines.append(json.dumps(criterion_record(criterion), ensure_ascii=False))
    elapsed = time.perf_counter() - start
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
        predictions = Path(out.name)
    if options.keep:
        options.keep.write_text(predictions.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"parsed {len(records)} criteria in {elapsed:.2f} s")
    command = [sys.executable, str(scorer), str(gold), str(predictions)]
    if options.errors:
        command += ["--errors", str(options.errors)]
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    print(result.stdout, end="")
    print("reference: published Go grammar parser F1 0.451 / 0.414 / 0.351 (threshold / +unit / +variable)")
    predictions.unlink()
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
