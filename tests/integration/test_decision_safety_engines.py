"""The decision-safety cases of trust-eval (``te-`` in ``tests/golden/decisions.jsonl``) decide alike in the Python
engine and the DuckDB engine, criterion by criterion, with the same missing data: a measured value meeting a
condition's definition, records of one episode that disagree, a wash-out written as a time since a treatment,
values of a threshold's window that decide differently, a hospitalisation for a condition."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.population.engines import screen_population
from criteria_nlp.population.source import ArrowPopulation
from criteria_nlp.population.tables import patients_to_tables
from criteria_nlp.sources.own_json import OWN_JSON

MOVED = {"rt3-known-012", "rt3-known-019", "rt3-known-027"}  # the red team's known cases these mechanisms fixed
CASES_FILE = Path(__file__).resolve().parents[2] / "tests" / "golden" / "decisions.jsonl"
CASES = [
    case
    for case in (
        json.loads(line)
        for line in CASES_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    if case["id"].startswith("te-") or case["id"] in MOVED
]


def test_the_cases_are_there() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_duckdb_decides_the_case_as_python(case: dict[str, Any]) -> None:
    patient = OWN_JSON.read(case["patient"], source=case["id"], strict=False, validate=False, lexicon=load_lexicon())
    population = ArrowPopulation(patients_to_tables([patient]), name=case["id"])
    doc = parse_criteria(case["protocol"])
    want = screen_population(doc, population, engine="python", index_date=case["index_date"]).to_pylist()
    got = screen_population(doc, population, engine="duckdb", index_date=case["index_date"]).to_pylist()
    assert got == want
    assert want[0]["decision"] in case["acceptable"], case["why"]
