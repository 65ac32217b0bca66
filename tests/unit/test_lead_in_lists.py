"""Lists under a lead-in ("At least 2 of the following:", "All of the following:") read at the document level, from
the golden file ``tests/golden/lead_in_lists.jsonl`` (a protocol and the (section, expression) of each criterion)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.build.lead_ins import ListReading, count_of, ends_with_or, leading_count, list_reading
from criteria_nlp.ir import render
from criteria_nlp.pipeline import parse_criteria

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent.parent / "golden" / "lead_in_lists.jsonl").read_text("utf-8").splitlines()
    if line.strip()
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["id"])
def test_lead_in_list(case: dict[str, Any]) -> None:
    document = parse_criteria(case["protocol"])
    found = [[c.section, render(c.expression)] for c in document.criteria]
    assert found == case["criteria"], case["why"]


def test_list_readings() -> None:
    assert list_reading("At least 3 of the following:") == ListReading("at_least", 3)
    assert list_reading("Any two of the following") == ListReading("at_least", 2)
    assert list_reading("at least one of the following") == ListReading("any")
    assert list_reading("All of the following:") == ListReading("all")
    assert list_reading("Grade 3 or more of the following:") is None
    assert list_reading("Adequate organ function:") is None
    assert leading_count("  at least 2 of A, B and C") == (2, 15)
    assert leading_count("at least 2 episodes of") is None
    assert count_of("four") == 4 and count_of("7") == 7 and count_of("many") is None
    assert ends_with_or("ALT ≤ 3 x ULN, or") and not ends_with_or("ALT ≤ 3 x ULN")
