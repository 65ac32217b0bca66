"""Partial readings whose unread words may change their meaning are unknown (issue 10's principle): the meaning cues
of ``corpora/lexicon/meaning_cues.tsv``, the check pass ``guard_partial_readings`` run alone on the composed cases of
``tests/golden/guard_cases.jsonl``, its outcome in the Python engine and in DuckDB, and lint rule N006."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from check_helpers import unguarded
from criteria_nlp.check.cues import meaning_cues
from criteria_nlp.check.guard import DIAGNOSTIC, guard_partial_readings, is_guard
from criteria_nlp.check.passes import PASSES
from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.evaluate import evaluate
from criteria_nlp.ir import Conditional, Unparsed, render
from criteria_nlp.ir.logic import Truth
from criteria_nlp.lint import lint
from criteria_nlp.pipeline import parse_criteria, parse_criterion
from criteria_nlp.population.engines import screen_population
from criteria_nlp.population.source import ArrowPopulation
from criteria_nlp.population.tables import patients_to_tables
from criteria_nlp.sources import load_patients
from criteria_nlp.sources.patient import Condition, Observation, Patient

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    case
    for line in (ROOT / "tests" / "golden" / "guard_cases.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip() and (case := json.loads(line)).get("pass", "partial") == "partial"  # "bare": test_guard_bare
]


def test_the_golden_file_is_varied() -> None:
    assert len(CASES) >= 16 and len({c["id"] for c in CASES}) == len(CASES)
    guarded = [c for c in CASES if c["guarded"]]
    assert len(guarded) >= 8 and len(CASES) - len(guarded) >= len(CASES) // 3  # controls show over-caution
    assert {c["section"] for c in guarded} == {"inclusion", "exclusion"}
    for case in CASES:
        assert set(case) >= {"id", "section", "text", "guarded", "cue", "column", "why"}, case["id"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_the_pass_alone(case: dict[str, Any]) -> None:
    node, context = unguarded(case["text"], case["section"])
    result = guard_partial_readings(node, context)
    assert is_guard(result) is case["guarded"], case["why"]
    if not case["guarded"]:
        assert result is node and not context.diagnostics
        return
    assert isinstance(result, Conditional) and result.then is node
    assert isinstance(result.when, Unparsed)
    assert f"{case['cue']!r}" in result.when.reason and f"column {case['column']}" in result.when.reason
    first = context.diagnostics[0]
    assert first.code == DIAGNOSTIC and first.suggestion
    assert first.span.slice(case["text"]).lower() == case["cue"]
    assert first.span.start == case["column"] - 1
    assert guard_partial_readings(result, context) is result  # once guarded, left alone


@pytest.mark.parametrize("case", [c for c in CASES if c["guarded"]], ids=lambda c: c["id"])
def test_the_parser_guards_and_the_engine_never_decides(case: dict[str, Any]) -> None:
    criterion = parse_criterion(case["text"], section=case["section"])
    assert is_guard(criterion.expression) and criterion.status == "partial"
    assert any(d.code == DIAGNOSTIC for d in criterion.diagnostics)
    assert isinstance(criterion.expression, Conditional)
    reading = criterion.expression.then
    outcomes = set()
    for patient in _patients():
        outcomes.add(evaluate(reading, patient).outcome)
        assert evaluate(criterion.expression, patient).outcome is Truth.UNKNOWN, case["why"]
    assert Truth.FALSE in outcomes  # without the guard the partial reading decides some patient


def _patients() -> list[Patient]:
    """Patients for whom the understood parts of the cases are false or unknown (records marked complete)."""
    empty = Patient(id="none", birth_date="1970-01-01", sex="female", conditions_complete=True)
    low = Observation(id="o1", variable="hemoglobin", value=7.0, unit="g/dL", effective="2026-05-01")
    crcl = Observation(id="o2", variable="creatinine_clearance", value=30.0, unit="mL/min", effective="2026-05-01")
    ecog = Observation(id="o3", variable="ecog", value=4.0, unit=None, effective="2026-05-01")
    low_values = Patient(id="low", birth_date="1970-01-01", sex="female", observations=(low, crcl, ecog))
    sick = Patient(
        id="sick",
        birth_date="1970-01-01",
        sex="female",
        conditions=(Condition(id="c1", text="hypertension", clinical_status="active"),),
    )
    return [empty, low_values, sick]


def test_the_pass_is_listed_last_after_the_unparsed_report() -> None:
    assert PASSES[-1] is guard_partial_readings


PROTOCOL = """Inclusion Criteria:
- Age 18 to 75 years
- Hemoglobin ≥ 9 g/dL, only in the setting of stable disease
Exclusion Criteria:
- Hypertension provided that it is uncontrolled
- Diabetes mellitus only if insulin-dependent
- Known HIV infection, unless CD4 ≥ 350 cells/µL
"""


def test_duckdb_screens_guarded_criteria_as_python() -> None:
    doc = parse_criteria(PROTOCOL)
    assert sum(is_guard(c.expression) for c in doc.criteria) == 3
    population = ArrowPopulation(patients_to_tables(load_patients(ROOT / "corpora" / "patients")), name="demo")
    expected = screen_population(doc, population, engine="python", index_date="2026-11-01").to_pylist()
    found = screen_population(doc, population, engine="duckdb", index_date="2026-11-01").to_pylist()
    assert found == expected
    assert all(row["decision"] != "eligible" for row in found)  # a guarded requirement is never met


def test_lint_reports_the_cue_its_position_and_what_was_expected() -> None:
    report = lint(parse_criteria(PROTOCOL))
    findings = [f for f in report.findings if f.rule == "N006"]
    assert len(findings) == 3
    messages = " ".join(f.message for f in findings)
    assert "'only in'" in messages and "'provided that'" in messages and "'only if'" in messages
    assert all(f.suggestion and f.suggestion.startswith("expected: ") for f in findings)
    assert not any(f.rule == "A004" and "unparsed(" in f.message for f in report.findings)


def test_the_cue_file_is_read_with_longest_phrases_first() -> None:
    cues = meaning_cues()
    text = "liver metastases, if any, or diabetes only if treated"
    assert [(m.cue.phrase, m.start) for m in cues.find(text)] == [("only if", text.index("only if"))]
    assert cues.find("WITH   THE EXCEPTION OF asthma")[0].cue.phrase == "with the exception of"
    assert cues.find("uncontrolled") == [] and cues.find("unlessly") == []
    assert all(c.expected for c in cues.cues.values() if c.category != "pseudo")


@pytest.mark.parametrize(
    "row",
    [
        "unless\texception\tFORWARD\tclause",
        "unless\texception\tSIDEWAYS\tclause\tsomething",
        "unless\tmaybe\tFORWARD\tclause\tsomething",
        "if any\tpseudo\tFORWARD\tword\t",
        "unless\texception\tFORWARD\tclause\t",
    ],
)
def test_a_malformed_cue_row_is_an_error_naming_its_line(tmp_path: Path, row: str) -> None:
    path = tmp_path / "cues.tsv"
    path.write_text("# header\n" + row + "\n", encoding="utf-8")
    with pytest.raises(CriteriaSemanticError, match="line 2"):
        meaning_cues.__wrapped__(path)


def test_render_shows_the_guard_and_the_reading() -> None:
    criterion = parse_criterion("Hypertension provided that it is uncontrolled", section="exclusion")
    assert render(criterion.expression).startswith(
        "if unparsed('provided that it is uncontrolled') then all(present(hypertension)"
    )
