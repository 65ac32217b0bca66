"""``criteria-nlp screen TRIAL POPULATION --engine ...``: the rows of every engine agree, in every format, and the
summary counts them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from criteria_nlp.cli import cli

ROOT = Path(__file__).resolve().parents[2]
TRIAL = str(ROOT / "corpora" / "trials" / "NCT03219801.txt")
PATIENTS = str(ROOT / "corpora" / "patients")
BASE = ["screen", TRIAL, PATIENTS, "--index-date", "2026-11-01"]


def run(*arguments: str) -> tuple[str, str]:
    result = CliRunner().invoke(cli, [*BASE, *arguments])
    assert result.exit_code == 0, result.output + str(result.exception)
    return result.stdout, result.stderr


def test_duckdb_and_python_write_the_same_rows_and_summary() -> None:
    duck, duck_summary = run("--engine", "duckdb")
    python, python_summary = run("--engine", "python")
    rows = [json.loads(line) for line in duck.splitlines()]
    assert duck == python and duck_summary == python_summary
    assert [row["patient"] for row in rows][:2] == ["sle-eligible", "sle-fhir-patient"]
    counts = {d: sum(1 for row in rows if row["decision"] == d) for d in ("eligible", "ineligible", "needs_review")}
    assert f"{len(rows)} patient(s): {counts['eligible']} eligible, {counts['ineligible']} ineligible" in duck_summary


def test_csv_and_parquet_hold_the_jsonl_rows(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in run("--engine", "duckdb")[0].splitlines()]
    text, _ = run("--engine", "duckdb", "--format", "csv")
    header, *lines = text.splitlines()
    assert header.split(",")[:3] == ["patient", "decision", rows[0] and next(iter(rows[0]["criteria"]))]
    assert [line.split(",")[1] for line in lines] == [row["decision"] for row in rows]
    target = tmp_path / "rows.parquet"
    run("--engine", "duckdb", "--format", "parquet", "-o", str(target))
    assert pq.read_table(target).to_pylist() == rows


def test_explain_patient_prints_the_python_trace() -> None:
    _, err = run("--engine", "duckdb", "--explain-patient", "sle-needs-review-missing-lvef")
    assert "patient sle-needs-review-missing-lvef: needs_review" in err
    assert "lvef (LOINC 10230-1) within 12 months" in err


def test_evidence_in_every_format_and_the_same_on_both_engines(tmp_path: Path) -> None:
    duck, _ = run("--engine", "duckdb", "--evidence")
    assert duck == run("--engine", "python", "--evidence")[0]
    rows = [json.loads(line) for line in duck.splitlines()]
    plain = [json.loads(line) for line in run("--engine", "duckdb")[0].splitlines()]
    assert [{k: v for k, v in row.items() if k != "evidence"} for row in rows] == plain
    items = [item for row in rows for found in row["evidence"].values() for item in found]
    lvef = [item for item in items if item["leaf"].startswith("lvef")]
    assert lvef and all(item["unit"] == "%" and item["date"][:4] == "2026" for item in lvef)
    text, _ = run("--engine", "duckdb", "--format", "csv", "--evidence")
    header, *lines = list(csv.reader(io.StringIO(text)))
    assert header[-1] == "evidence" and [json.loads(line[-1]) for line in lines] == [r["evidence"] for r in rows]
    target = tmp_path / "rows.parquet"
    run("--engine", "duckdb", "--format", "parquet", "-o", str(target), "--evidence")
    stored = pq.read_table(target).column("evidence").to_pylist()
    assert [[i["date"].isoformat() for f in e.values() for i in f] for e in stored] == [
        [i["date"] for f in r["evidence"].values() for i in f] for r in rows
    ]


@pytest.mark.parametrize(
    "arguments", [["--format", "csv"], ["-o", "x.jsonl"], ["--explain-patient", "a"], ["--evidence"]]
)
def test_population_options_need_an_engine(arguments: list[str]) -> None:
    result = CliRunner().invoke(cli, [*BASE, *arguments])
    assert result.exit_code == 2 and "need --engine" in result.output
