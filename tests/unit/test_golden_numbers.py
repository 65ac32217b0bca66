"""Golden cases of issue 11 (tests/golden/numbers.jsonl): numbers that are not thresholds, units and references that
used to fall off, and the ways a number is written (signs, decimal commas in lists, list labels glued to it,
symbol-font comparators, numbers glued to their unit by a hyphen, scale names that start with a number, units written
as in other languages or spelt out, counts per unit of time, raised decimal points, magnitude words). Each line
fixes the whole expression of a composed criterion; a case not read yet carries ``xfail`` with the reason and fails
strictly, so a fix shows up."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp import parse_criterion, render

_CASES = [
    json.loads(line)
    for line in (Path(__file__).parent.parent / "golden" / "numbers.jsonl").read_text("utf-8").splitlines()
    if line.strip()
]
# the ways of writing a number (the "topic" of a case), each with at least ten cases
_TOPICS = (
    "signed",
    "list-comma",
    "list-label",
    "unit-after-comparator",
    "symbol-font",
    "hyphen-unit",
    "scale-name",
    "written-unit",
    "count-per-time",
    "raised-point",
    "magnitude-word",
    "acuity",  # gen-units: Snellen fractions in a criterion about vision
)


def test_every_mechanism_has_ten_cases_with_a_why() -> None:
    for mechanism in (6, 7):
        cases = [case for case in _CASES if case["mechanism"] == mechanism and "topic" not in case]
        assert len(cases) >= 10
    assert all(case["why"] and case["id"] for case in _CASES)
    assert len({case["id"] for case in _CASES}) == len(_CASES)
    topics = Counter(case.get("topic") for case in _CASES)
    assert all(topics[topic] >= 10 for topic in _TOPICS), topics
    assert set(topics) <= {None, *_TOPICS}, topics


def _param(case: dict[str, Any]) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []
    return pytest.param(case, id=case["id"], marks=marks)


@pytest.mark.parametrize("case", [_param(case) for case in _CASES])
def test_number_case(case: dict[str, Any]) -> None:
    criterion = parse_criterion(case["text"], section=case["section"])
    assert render(criterion.expression) == case["expression"], case["why"]
