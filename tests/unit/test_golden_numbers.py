"""Golden cases of issue 11 items 6 and 7 (tests/golden/numbers.jsonl): numbers that are not thresholds, and units
and references that used to fall off. Each line fixes the whole expression of a composed criterion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp import parse_criterion, render

_CASES = [
    json.loads(line)
    for line in (Path(__file__).parent.parent / "golden" / "numbers.jsonl").read_text("utf-8").splitlines()
    if line.strip()
]


def test_every_mechanism_has_ten_cases_with_a_why() -> None:
    for mechanism in (6, 7):
        cases = [case for case in _CASES if case["mechanism"] == mechanism]
        assert len(cases) >= 10
        assert all(case["why"] and case["id"] for case in cases)
    assert len({case["id"] for case in _CASES}) == len(_CASES)


@pytest.mark.parametrize("case", _CASES, ids=[case["id"] for case in _CASES])
def test_number_case(case: dict[str, Any]) -> None:
    criterion = parse_criterion(case["text"], section=case["section"])
    assert render(criterion.expression) == case["expression"], case["why"]
