"""Checks that the golden parse cases (tests/golden/parse_cases.jsonl) are well formed.

These tests check the data only, not the parser: JSON per line, unique ids, the interval shape, known variable and
concept ids, that every number in an expected constraint is written in the text, and that every construction the
parser issue lists has at least six cases.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from required_ids import REQUIRED_CONCEPTS, REQUIRED_VARIABLES

GOLDEN_FILE = Path(__file__).resolve().parents[1] / "golden" / "parse_cases.jsonl"

MIN_CASES_PER_CONSTRUCTION = 6
MIN_CASES = 200

CONSTRUCTION_PREFIXES: dict[str, str] = {
    "comparison-symbol": "cmp-sym",
    "comparison-word": "cmp-word",
    "range": "range",
    "glued-token": "glued",
    "reference-multiple": "ref-mult",
    "disjunction": "disj",
    "shared-threshold": "shared",
    "conditional-threshold": "cond",
    "multi-criteria": "multi",
    "lab-unit": "lab",
    "score": "score",
    "age": "age",
    "sex": "sex",
    "presence": "presence",
    "temporal": "temporal",
    "not-computable": "nc",
    "number-word": "numword",
    "misspelling": "misspell",
}

# The REQUIRED ids of the team contracts: golden cases may only name these (or null with a "mention").
VARIABLE_IDS = frozenset(REQUIRED_VARIABLES)
GROUP_MEMBERS: dict[str, frozenset[str]] = {
    "transaminases": frozenset({"alt", "ast"}),
    "liver_function_tests": frozenset({"alt", "ast", "total_bilirubin", "alkaline_phosphatase"}),
}
CONCEPT_IDS = frozenset(REQUIRED_CONCEPTS)
TIME_UNITS = frozenset({"day", "week", "month", "year"})

CASE_KEYS = frozenset({"id", "construction", "section", "text", "constraints", "concepts", "status", "sex", "xfail"})
REQUIRED_CASE_KEYS = frozenset({"id", "construction", "section", "text", "constraints"})
CONSTRAINT_KEYS = frozenset({"variable", "interval", "unit", "reference", "mention", "group"})
CONCEPT_KEYS = frozenset({"id", "negated", "mention", "window"})
WINDOW_KEYS = frozenset({"min_ago", "max_ago", "anchor"})

# Surface forms the parser issue (and the brief for this data) names explicitly; each must occur in some case.
REQUIRED_SURFACE_FORMS = (
    "≥",
    "≤",
    ">=",
    "=>",
    "=<",
    ">/=",
    "</=",
    " < ",
    " > ",
    " = ",
    "more than",
    "greater than",
    "at least",
    "no less than",
    "not exceeding",
    "less than",
    "or greater",
    "or older",
    "or more",
    "or less",
    "above",
    "below",
    "up to",
    "exceeding",
    "minimum of",
    "maximum of",
    "14 to 60",
    "from ",
    "between ",
    "–",
    "~",
    "18-65 years",
    "≥50%",
    "<=1.5mg/dL",
    "2×ULN",
    "10^9/L",
    "0~2",
    ">=18years",
    "× ULN",
    "twice the upper limit of normal",
    "times ULN",
    "x institutional ULN",
    "≥ LLN",
    "within normal limits",
    " or > ",
    "ALT and AST",
    "AST/ALT",
    "transaminases",
    "if liver metastases",
    ";",
    "g/dL",
    "mg/dL",
    "µmol/L",
    "/mm3",
    "cells/µL",
    "mL/min",
    "mL/min/1.73 m²",
    "mmHg",
    "kg/m²",
    "bpm",
    " ms",
    "ECOG performance status 0-1",
    "ECOG ≤ 2",
    "Karnofsky performance status ≥ 70%",
    "NYHA class III or IV",
    "MMSE ≥ 24",
    "aged 18 years or older",
    "≥ 18 years of age",
    "Age 18-75",
    "between 18 and 65 years old",
    "Men and women aged 40 to 80",
    "Female",
    "Women of childbearing potential",
    "Male patients",
    "active tuberculosis",
    "No serious infection",
    "without",
    "history of myocardial infarction",
    "Pregnancy and breastfeeding women",
    "Known HIV infection",
    "Hepatitis B or C",
    "within 6 months prior to screening",
    "in the last 3 months",
    "at least 4 weeks before randomization",
    "Signed informed consent",
    "Willing and able to comply",
    "twice",
    "three times",
    "one hundred",
    "sever ",
    "twice times",
)

NUMBER_WORDS: dict[str, float] = {
    "one and a half": 1.5,
    "twofold": 2,
    "twice": 2,
    "two": 2,
    "three": 3,
    "triple": 3,
    "five": 5,
    "six": 6,
    "eighteen": 18,
    "thirty": 30,
    "one hundred": 100,
}
ROMAN_NUMERALS: dict[str, float] = {"I": 1, "II": 2, "III": 3, "IV": 4}
NUMBER_PATTERN = re.compile(r"\d+(?:\.\d+)?")


def load_cases() -> list[dict[str, Any]]:
    cases = []
    for number, line in enumerate(GOLDEN_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"line {number} is blank"
        record = json.loads(line)
        assert isinstance(record, dict), f"line {number} is not a JSON object"
        cases.append(record)
    return cases


CASES = load_cases()


def case_id(case: dict[str, Any]) -> str:
    return str(case.get("id"))


def numbers_written(text: str) -> set[float]:
    """Every number a reader finds in the text: digits (thousands separators removed), number words, NYHA classes."""
    plain = re.sub(r"(?<=\d)[, ](?=\d{3}\b)", "", text).replace("⁹", "^9").replace("³", "^3")
    found = {float(match) for match in NUMBER_PATTERN.findall(plain)}
    lowered = text.lower()
    found.update(value for word, value in NUMBER_WORDS.items() if re.search(rf"\b{word}\b", lowered))
    if "NYHA" in text:
        found.update(ROMAN_NUMERALS[numeral] for numeral in re.findall(r"\b(IV|I{1,3})\b", text))
    return found


def test_file_has_enough_cases() -> None:
    assert len(CASES) >= MIN_CASES


def test_ids_are_unique() -> None:
    duplicates = [identifier for identifier, count in Counter(case_id(c) for c in CASES).items() if count > 1]
    assert duplicates == []


def test_every_construction_has_enough_cases() -> None:
    counts = Counter(c["construction"] for c in CASES)
    too_few = {name: counts[name] for name in CONSTRUCTION_PREFIXES if counts[name] < MIN_CASES_PER_CONSTRUCTION}
    assert too_few == {}


def test_every_named_surface_form_occurs() -> None:
    texts = [c["text"] for c in CASES]
    missing = [form for form in REQUIRED_SURFACE_FORMS if not any(form.lower() in t.lower() for t in texts)]
    assert missing == []


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_fields(case: dict[str, Any]) -> None:
    assert REQUIRED_CASE_KEYS <= case.keys() <= CASE_KEYS
    assert case["construction"] in CONSTRUCTION_PREFIXES
    assert re.fullmatch(rf"{CONSTRUCTION_PREFIXES[case['construction']]}-\d{{3}}", case["id"])
    assert case["section"] in ("inclusion", "exclusion")
    assert isinstance(case["text"], str)
    assert case["text"] == case["text"].strip()
    assert case["text"]
    assert isinstance(case["constraints"], list)
    assert case.get("status", "computable") in ("computable", "partial", "not_computable")
    assert case.get("sex", "female") in ("female", "male")
    if "concepts" in case:
        assert case["concepts"], "omit 'concepts' rather than giving an empty list"
    if case.get("status") == "not_computable":
        assert case["constraints"] == []
        assert "concepts" not in case


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_constraints_are_well_formed(case: dict[str, Any]) -> None:
    written = numbers_written(case["text"])
    for constraint in case["constraints"]:
        assert set(constraint) <= CONSTRAINT_KEYS
        assert {"variable", "interval", "unit", "reference"} <= constraint.keys()

        variable = constraint["variable"]
        if variable is None:
            assert isinstance(constraint.get("mention"), str)
            assert constraint["mention"].lower() in case["text"].lower()
        else:
            assert variable in VARIABLE_IDS
        if "group" in constraint:
            assert variable in GROUP_MEMBERS[constraint["group"]]

        interval = constraint["interval"]
        assert isinstance(interval, list)
        assert len(interval) == 4
        low, low_inclusive, high, high_inclusive = interval
        assert isinstance(low_inclusive, bool)
        assert isinstance(high_inclusive, bool)
        assert low is not None or high is not None, "an interval needs at least one end"
        for end, inclusive in ((low, low_inclusive), (high, high_inclusive)):
            if end is None:
                assert inclusive is False, "an open end is never inclusive"
            else:
                assert isinstance(end, int | float)
                assert not isinstance(end, bool)
        if low is not None and high is not None:
            assert low <= high
            if low == high:
                assert low_inclusive
                assert high_inclusive

        unit, reference = constraint["unit"], constraint["reference"]
        assert unit is None or (isinstance(unit, str) and unit == unit.strip() and unit)
        assert reference in (None, "ULN", "LLN")
        if reference is not None:
            assert unit == f"x {reference}"
        else:
            assert unit not in ("x ULN", "x LLN")
        if variable == "age":
            assert unit in TIME_UNITS

        for end in (low, high):
            if end is not None and not (reference is not None and end == 1):
                assert float(end) in written, f"{end} is not written in {case['text']!r}"


@pytest.mark.parametrize("case", [c for c in CASES if "concepts" in c], ids=case_id)
def test_concepts_are_well_formed(case: dict[str, Any]) -> None:
    written = numbers_written(case["text"])
    for concept in case["concepts"]:
        assert set(concept) <= CONCEPT_KEYS
        assert isinstance(concept["negated"], bool)
        if concept["id"] is None:
            assert concept.get("mention", "").lower() in case["text"].lower()
        else:
            assert concept["id"] in CONCEPT_IDS
        window = concept.get("window")
        if window is None:
            continue
        assert set(window) == WINDOW_KEYS
        assert window["min_ago"] is not None or window["max_ago"] is not None
        for bound in (window["min_ago"], window["max_ago"]):
            if bound is not None:
                amount, unit = bound
                assert unit in TIME_UNITS
                assert float(amount) in written
        if window["anchor"] is not None:
            assert window["anchor"].lower() in case["text"].lower()


def test_sex_cases_name_a_sex() -> None:
    with_sex = [c for c in CASES if "sex" in c]
    assert len(with_sex) >= MIN_CASES_PER_CONSTRUCTION
    for case in with_sex:
        assert re.search(r"\b(female|male|wom[ae]n|m[ae]n)\b", case["text"], re.IGNORECASE)
