"""Behaviour snapshot: every output a user sees, written to a folder, to compare before and after a refactoring.

Runs only through the command line (``criteria_nlp.cli``, in-process), so it works unchanged while the inside of the
package moves. What it writes:

- ``chia-lines.jsonl`` / ``chia-lines.constraints.jsonl``: every Chia criteria line (``../shared/corpora/chia``)
  parsed alone, as the IR's JSON and as the flat constraint table;
- ``chia-documents/NCT….json`` / ``….lint.json``: each Chia trial as one protocol (its inclusion and exclusion lines
  under their headers), parsed and linted;
- for each bundled protocol (``corpora/trials``): the document JSON, text and constraints, lint as text, JSON,
  SARIF and HTML, screening of the demo patients (text with explanations, JSON with traces) and of the Synthea
  bundles (``../shared/fhir/synthea-r4``);
- the JSON Schema, and the Leaf dev set's constraint table.

    python scripts/snapshot.py OUT_DIR                 # write a snapshot
    python scripts/snapshot.py OUT_DIR --against BASE  # write, then compare with BASE (exit 1 on any difference)

Chia, Leaf and Synthea parts are skipped when ``../shared`` is missing (as tests do).
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from criteria_nlp.cli import cli

ROOT = Path(__file__).resolve().parents[1]
TRIALS = ROOT / "corpora" / "trials"
PATIENTS = ROOT / "corpora" / "patients"
INDEX_DATE = "2026-11-01"
HEADERS = {"inc": "Inclusion Criteria:", "exc": "Exclusion Criteria:"}


def shared_dir() -> Path | None:
    candidate = ROOT.parent / "shared"
    return candidate if candidate.is_dir() else None


def run(out: Path, name: str, *arguments: str) -> None:
    """Run one CLI command in-process and keep its exit code, standard output and error output."""
    result = CliRunner().invoke(cli, list(arguments), env={"COLUMNS": "120", "NO_COLOR": "1"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise RuntimeError(f"{name}: {' '.join(arguments)} raised {result.exception!r}") from result.exception
    target = out / name
    target.parent.mkdir(parents=True, exist_ok=True)
    # the checkout's own path differs between clones; nothing else may
    output = result.output.replace(str(ROOT), "<checkout>")
    target.write_text(f"exit {result.exit_code}\n{output}", encoding="utf-8")


def chia_records(shared: Path) -> list[dict[str, str]]:
    records = []
    for path in sorted((shared / "corpora" / "chia").glob("*.txt")):
        section = "exclusion" if path.stem.endswith("_exc") else "inclusion"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                records.append({"id": f"{path.stem}:{number}", "text": line, "section": section})
    return records


def chia_trials(shared: Path) -> dict[str, str]:
    trials: dict[str, list[str]] = {}
    for path in sorted((shared / "corpora" / "chia").glob("*.txt")):
        trial, _, part = path.stem.rpartition("_")
        body = path.read_text(encoding="utf-8").strip()
        trials.setdefault(trial, []).append(f"{HEADERS.get(part, 'Criteria:')}\n{body}\n")
    return {trial: "\n".join(parts) for trial, parts in trials.items()}


def write_snapshot(out: Path, chia_documents: int | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    run(out, "schema.json", "schema")
    for protocol in sorted(TRIALS.glob("*.txt")):
        stem = f"trials/{protocol.stem}"
        run(out, f"{stem}.json", "parse", str(protocol))
        run(out, f"{stem}.txt", "parse", str(protocol), "--format", "text")
        run(out, f"{stem}.constraints.jsonl", "parse", str(protocol), "--format", "constraints")
        run(out, f"{stem}.lint.txt", "lint", str(protocol), "--no-color")
        for fmt in ("json", "sarif", "html"):
            run(out, f"{stem}.lint.{fmt}", "lint", str(protocol), "--format", fmt)
        screen = ["screen", str(protocol), str(PATIENTS), "--index-date", INDEX_DATE]
        run(out, f"{stem}.screen.txt", *screen, "--explain")
        run(out, f"{stem}.screen.json", *screen, "--explain", "--format", "json")
        run(out, f"{stem}.screen-complete.json", *screen, "--format", "json", "--assume-complete-records")
        shared = shared_dir()
        if shared is not None:
            synthea = shared / "fhir" / "synthea-r4"
            run(
                out,
                f"{stem}.synthea.json",
                "screen",
                str(protocol),
                str(synthea),
                "--index-date",
                "2019-06-01",
                "--explain",
                "--format",
                "json",
            )
    shared = shared_dir()
    if shared is None:
        print("../shared missing: Chia, Leaf and Synthea parts skipped")
        return
    with tempfile.TemporaryDirectory() as scratch:
        lines = Path(scratch) / "chia.jsonl"
        lines.write_text("".join(json.dumps(r) + "\n" for r in chia_records(shared)), encoding="utf-8")
        run(out, "chia-lines.jsonl", "parse", str(lines), "--input-format", "jsonl")
        run(
            out,
            "chia-lines.constraints.jsonl",
            "parse",
            str(lines),
            "--input-format",
            "jsonl",
            "--format",
            "constraints",
        )
        leaf = shared / "corpora" / "leaf" / "dev.jsonl"
        run(out, "leaf-dev.constraints.jsonl", "parse", str(leaf), "--input-format", "jsonl", "--format", "constraints")
        trials = list(chia_trials(shared).items())[:chia_documents]
        for trial, text in trials:
            protocol = Path(scratch) / f"{trial}.txt"
            protocol.write_text(text, encoding="utf-8")
            run(out, f"chia-documents/{trial}.json", "parse", str(protocol))
            run(out, f"chia-documents/{trial}.lint.json", "lint", str(protocol), "--format", "json")


def compare(out: Path, base: Path) -> int:
    """Every file of ``base`` must exist in ``out`` with the same bytes (temporary paths aside)."""
    differences = 0
    names = sorted(p.relative_to(base) for p in base.rglob("*") if p.is_file())
    extra = sorted(
        p.relative_to(out) for p in out.rglob("*") if p.is_file() and not (base / p.relative_to(out)).exists()
    )
    for name in names:
        mine = out / name
        if not mine.exists():
            print(f"missing: {name}")
            differences += 1
            continue
        old, new = (base / name).read_bytes(), mine.read_bytes()
        if hashlib.sha256(old).digest() == hashlib.sha256(new).digest():
            continue
        differences += 1
        old_lines = _scrub(old.decode("utf-8", "replace")).splitlines()
        new_lines = _scrub(new.decode("utf-8", "replace")).splitlines()
        if old_lines == new_lines:
            differences -= 1
            continue
        print(f"differs: {name}")
        for line in list(difflib.unified_diff(old_lines, new_lines, lineterm="", n=0))[:12]:
            print("    " + line[:200])
    for name in extra:
        print(f"new file: {name}")
    print(f"{len(names)} files compared, {differences} differ")
    return 1 if differences else 0


def _scrub(text: str) -> str:
    """Temporary folder names differ from run to run; nothing else may."""
    import re

    return re.sub(r"/tmp/[^/\s\"]+/", "/tmp/SCRATCH/", text)


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("out", type=Path)
    arguments.add_argument("--against", type=Path, help="a snapshot to compare with")
    arguments.add_argument("--chia-documents", type=int, default=None, help="only the first N Chia trials")
    options = arguments.parse_args()
    write_snapshot(options.out, options.chia_documents)
    if options.against is not None:
        return compare(options.out, options.against)
    return 0


if __name__ == "__main__":
    sys.exit(main())
