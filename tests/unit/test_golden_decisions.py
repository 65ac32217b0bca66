"""The decision-safety golden set (``tests/golden/decisions.jsonl``, issue 10): no confident wrong decision.

Each case screens a short protocol against one patient at an index date; the decision must be one of the case's
acceptable decisions ("error": screening or loading the patient must refuse). A case marked ``xfail`` fails today for
the reason it gives (a known failure is never deleted); it is reported, not hidden: when it starts passing, the
marker goes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.errors import CriteriaError
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.screen import screen
from criteria_nlp.sources.fhir import patient_from_fhir
from criteria_nlp.sources.own_json import OWN_JSON

CASES_FILE = Path(__file__).resolve().parents[2] / "tests" / "golden" / "decisions.jsonl"
CATEGORIES = {
    "control", "empty-protocol", "section-header", "lists", "subgroup-threshold", "thousands-separator",
    "scientific-notation", "spaced-comparator", "format-characters", "qualifier", "history-status", "exception",
    "lead-in-scope", "plausibility", "fhir-comparator", "deceased", "birth-date", "same-day", "reference-range",
    "contradiction", "egfr-code", "own-json",
}  # fmt: skip
# issue 11: readings that change decisions
CATEGORIES |= {"pressure-pair", "letter-class", "relative-change", "definition"}
CATEGORIES |= {"named-duration"}  # gen-lists: a time threshold on the duration of a thing named before it
CATEGORIES |= {"bare-value"}  # trust-bare: a value written with no comparator (check.bare)
CATEGORIES |= {"variable-name"}  # gen-names: a wrong variable's name (an area read as an age) must not decide
CATEGORIES |= {"subgroup-requirement"}  # gen-defs2: "<requirement> for <people>" applies to those people only
CATEGORIES |= {"unit-reading"}  # gen-units: a unit or reference misread would decide the patient wrongly
CATEGORIES |= {"ratio-reading"}  # gen-ratios: "A/B > 3.5" is a bound on the quotient, not on each of them
CATEGORIES |= {"engine-parity"}  # redteam: where population screening (SQL) and the Python engine could part
CATEGORIES |= {"drug-class", "serology"}  # trust-terms: drugs of a therapy class; antibodies are not the disease
CATEGORIES |= {"negated-alternative", "record-code", "record-negation"}  # trust-rec: "X or Y negative"; records
CATEGORIES |= {"threshold-reading"}  # read-safe2: a misread chain, window or value list must not decide


def load_cases() -> list[dict[str, Any]]:
    lines = CASES_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip() and not line.startswith("#")]


CASES = load_cases()


def decision_of(case: dict[str, Any]) -> str:
    """The decision, or "error" when the protocol or the patient is refused."""
    try:
        data = case["patient"]
        if "resourceType" in data:
            patient = patient_from_fhir(data, source=case["id"])
        else:
            patient = OWN_JSON.read(data, source=case["id"], strict=False, validate=False, lexicon=load_lexicon())
        return screen(parse_criteria(case["protocol"]), patient, index_date=case["index_date"]).decision
    except CriteriaError:
        return "error"


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=c["id"], marks=[pytest.mark.xfail(reason=c["xfail"], strict=True)] if "xfail" in c else [])
        for c in CASES
    ],
)
def test_no_confident_wrong_decision(case: dict[str, Any]) -> None:
    decision = decision_of(case)
    assert decision in case["acceptable"], f"{case['why']}: got {decision}"


def test_the_set_is_large_varied_and_a_quarter_controls() -> None:
    assert len(CASES) >= 150
    assert len({case["id"] for case in CASES}) == len(CASES)
    assert {case["category"] for case in CASES} == CATEGORIES
    controls = [case for case in CASES if case.get("control")]
    assert len(controls) * 4 >= len(CASES)
    for case in controls:  # a control has one confident answer: over-caution fails it
        assert case["acceptable"] in (["eligible"], ["ineligible"]), case["id"]
    for case in CASES:
        assert set(case["acceptable"]) <= {"eligible", "ineligible", "needs_review", "error"}
        assert case["why"] and case["protocol"] is not None
