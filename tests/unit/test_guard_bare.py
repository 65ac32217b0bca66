"""A value written with no comparator is no decision: the check pass ``guard_bare_values`` (``check.bare``) run alone
and in the parser on the composed ``"pass": "bare"`` cases of ``tests/golden/guard_cases.jsonl``, and lint rule A009."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from check_helpers import unguarded
from criteria_nlp.check.bare import BARE_DIAGNOSTIC, BARE_REASON, guard_bare_values, is_bare_guard
from criteria_nlp.check.guard import guard_partial_readings, is_guard
from criteria_nlp.check.passes import PASSES
from criteria_nlp.evaluate import evaluate
from criteria_nlp.ir import Conditional, Node, Unparsed, nodes_of
from criteria_nlp.ir.logic import Truth
from criteria_nlp.lint.linter import lint_text
from criteria_nlp.pipeline import parse_criteria, parse_criterion
from criteria_nlp.population.engines import screen_population
from criteria_nlp.population.source import ArrowPopulation
from criteria_nlp.population.tables import patients_to_tables
from criteria_nlp.sources import load_patients
from criteria_nlp.sources.patient import Observation, Patient

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    case
    for line in (ROOT / "tests" / "golden" / "guard_cases.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip() and (case := json.loads(line)).get("pass") == "bare"
]


def guards(node: Node) -> list[Conditional]:
    return [n for n in nodes_of(node) if isinstance(n, Conditional) and is_bare_guard(n)]


def test_the_golden_cases_are_varied() -> None:
    assert len({c["id"] for c in CASES}) == len(CASES) >= 14
    guarded = [c for c in CASES if c["guarded"]]
    assert {c["section"] for c in guarded} == {"inclusion", "exclusion"}
    assert any(c["leaves"] > 1 for c in guarded) and len(CASES) - len(guarded) >= len(guarded)
    for case in CASES:
        assert set(case) >= {"id", "section", "text", "guarded", "leaves", "why"} and case["id"].startswith("bare-")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_the_pass_alone(case: dict[str, Any]) -> None:
    node, context = unguarded(case["text"], case["section"])
    result = guard_bare_values(node, context)
    if not case["guarded"]:
        assert result is node and not context.diagnostics, case["why"]
        return
    found = guards(result)
    assert len(found) == case["leaves"], case["why"]
    assert [d.code for d in context.diagnostics] == [BARE_DIAGNOSTIC] * case["leaves"]
    for guard in found:
        assert isinstance(guard.when, Unparsed) and guard.when.reason == BARE_REASON
        assert is_guard(guard)  # the linter's conditional-threshold rule and the partial guard leave it alone
        assert guard.then in nodes_of(node)  # the reading stays in the tree, as it was
    assert guard_bare_values(result, context) is result or guards(guard_bare_values(result, context)) == found


@pytest.mark.parametrize("case", [c for c in CASES if c["guarded"]], ids=lambda c: c["id"])
def test_the_parser_guards_and_the_engine_never_decides_the_value(case: dict[str, Any]) -> None:
    criterion = parse_criterion(case["text"], section=case["section"])
    assert criterion.status == "partial"
    assert sum(d.code == BARE_DIAGNOSTIC for d in criterion.diagnostics) == case["leaves"]
    for guard in guards(criterion.expression):
        outcomes = {evaluate(guard.then, patient).outcome for patient in _patients()}
        assert Truth.FALSE in outcomes or Truth.TRUE in outcomes  # the equality alone decides some patient
        for patient in _patients():
            assert evaluate(guard, patient).outcome is Truth.UNKNOWN, case["why"]


def _patients() -> list[Patient]:
    """Patients whose values are on either side of and exactly at the cases' values."""
    values = {
        "systolic_bp": (150.0, 170.0, 190.0, "mm[Hg]"),
        "diastolic_bp": (85.0, 95.0, 110.0, "mm[Hg]"),
        "hemoglobin": (8.0, 10.0, 13.0, "g/dL"),
        "weight": (40.0, 45.0, 80.0, "kg"),
        "platelets": (50.0, 75.0, 200.0, "10*9/L"),
        "creatinine": (1.0, 2.0, 3.0, "mg/dL"),
    }
    patients = []
    for k, birth in enumerate(("2010-01-01", "2005-05-31", "1970-01-01")):
        observations = tuple(
            Observation(id=f"{name}-{k}", variable=name, value=row[k], unit=row[3], effective="2026-05-01")
            for name, row in values.items()
        )
        patients.append(Patient(id=f"p{k}", birth_date=birth, sex="female", observations=observations))
    return patients


def test_the_pass_runs_before_the_partial_guard() -> None:
    assert PASSES.index(guard_bare_values) == PASSES.index(guard_partial_readings) - 1


def test_lint_names_the_bare_value() -> None:
    report = lint_text("Exclusion Criteria:\nSystolic blood pressure 170 mmHg\n")
    hits = [f for f in report.findings if f.rule == "A009"]
    assert len(hits) == 1 and "no comparator" in hits[0].message
    assert not [f for f in report.findings if f.rule == "A004"]  # the guard is no condition of the author's
    explicit = lint_text("Exclusion Criteria:\nSystolic blood pressure ≥ 170 mmHg\n")
    assert not [f for f in explicit.findings if f.rule == "A009"]


BARE_PROTOCOL = """Inclusion Criteria:
- Age 21 years
- Hemoglobin 10 g/dL
Exclusion Criteria:
- BP 165/105
- Systolic blood pressure ≥ 200 mmHg
"""


def test_duckdb_screens_bare_values_as_python() -> None:
    doc = parse_criteria(BARE_PROTOCOL)
    assert sum(len(guards(c.expression)) for c in doc.criteria) == 4
    population = ArrowPopulation(patients_to_tables(load_patients(ROOT / "corpora" / "patients")), name="demo")
    expected = screen_population(doc, population, engine="python", index_date="2026-11-01").to_pylist()
    found = screen_population(doc, population, engine="duckdb", index_date="2026-11-01").to_pylist()
    assert found == expected
    assert all(row["decision"] != "eligible" for row in found)  # a guarded requirement is never met
