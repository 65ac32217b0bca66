"""Memory per input megabyte: peak resident memory of ``criteria-nlp parse --format json`` on a protocol (the
criteria parsed and written a batch at a time), of the same protocol parsed whole and written with
``model_dump_json`` (what the command did before, and what ``parse_criteria`` still holds), and of loading a FHIR
bundle, each in a fresh process, at two input sizes; the slope (MB of memory per MB of input) is the bound the
README states.

    PYTHONPATH=src python benchmarks/bench_memory.py [--sizes 0.25 1]

Each measurement runs in its own Python process and reports its peak RSS (``resource.getrusage``); the baseline is
the same process after imports and a warm-up on the protocol's own lines, so the slope excludes spaCy, pint, the
lexicon and the terminology.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

LINES = (
    "Age ≥ 18 years",
    "Hemoglobin ≥ 9 g/dL and platelets ≥ 100 x 10^9/L",
    "ALT ≤ 2.5 x ULN (≤ 5 x ULN with liver metastases)",
    "No myocardial infarction within 6 months before screening",
    "Creatinine clearance ≥ 60 mL/min",
)

CHILD = r"""
import json, resource, sys
from pathlib import Path
kind, path, out = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
from criteria_nlp.cli import cli
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.sources import load_patient
parse_criteria("Inclusion Criteria:\n" + "\n".join(sys.argv[4:]) + "\n").model_dump_json(indent=2)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if kind == "document":
    document = parse_criteria(path.read_text(encoding="utf-8"), source=str(path))
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(document.model_dump_json(indent=2) + "\n")
elif kind == "command":
    cli(["parse", str(path), "--format", "json", "-o", out], standalone_mode=False)
else:
    load_patient(path)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base_mb": base / 1024, "peak_mb": peak / 1024}))
"""


def protocol(megabytes: float) -> str:
    lines = ["Inclusion Criteria:"]
    size = 0
    number = 0
    while size < megabytes * 1_000_000:
        line = f"{number + 1}. {LINES[number % len(LINES)]}"
        lines.append(line)
        size += len(line.encode("utf-8")) + 1
        number += 1
    return "\n".join(lines) + "\n"


def bundle(megabytes: float) -> str:
    entries = [{"resource": {"resourceType": "Patient", "id": "p", "birthDate": "1970-01-01", "gender": "female"}}]
    size = 0
    number = 0
    while size < megabytes * 1_000_000:
        resource = {
            "resourceType": "Observation",
            "id": f"o{number}",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "718-7", "display": "Hemoglobin"}]},
            "effectiveDateTime": f"20{10 + number % 15}-01-{1 + number % 28:02d}",
            "valueQuantity": {"value": 12.5, "unit": "g/dL", "system": "http://unitsofmeasure.org", "code": "g/dL"},
        }
        entries.append({"resource": resource})
        size += len(json.dumps(resource)) + 16
        number += 1
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})


def measure(kind: str, text: str, folder: Path) -> tuple[float, float]:
    source = folder / ("fhir.in" if kind == "fhir" else "protocol.txt")
    source.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(source), str(folder / "out.json"), *LINES],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return len(text.encode("utf-8")) / 1_000_000, result["peak_mb"] - result["base_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs=2, default=(0.25, 1.0), help="two input sizes in MB")
    parser.add_argument("--kinds", nargs="+", choices=list(NAMES), default=list(NAMES), help="what to measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        outputs = {}
        for kind, make in (("command", protocol), ("document", protocol), ("fhir", bundle)):
            if kind not in args.kinds:
                continue
            points = [measure(kind, make(size), folder) for size in args.sizes]
            (small, small_mb), (large, large_mb) = points
            slope = (large_mb - small_mb) / (large - small)
            shown = ", ".join(f"{size:.2f} MB in -> +{mb:.0f} MB" for size, mb in points)
            print(f"{NAMES[kind]}: {shown}; {slope:.0f} MB of memory per MB of input")
            if kind != "fhir":
                outputs[kind] = (folder / "out.json").read_bytes()
        if len(outputs) == 2:
            assert outputs["command"] == outputs["document"], "the streamed JSON differs from the whole document's"


NAMES = {
    "command": "parse --format json (streamed)",
    "document": "parse_criteria + model_dump_json (whole document, as before)",
    "fhir": "load a FHIR bundle",
}


if __name__ == "__main__":
    main()
