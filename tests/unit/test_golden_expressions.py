"""Golden expressions: criteria whose whole expression tree is fixed (tests/golden/expression_cases.jsonl).

Each case names the construction it is about in its id and why the reading matters in ``why``; the expression is
compared in the compact rendering of :func:`criteria_nlp.ir.render`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.ir import render
from criteria_nlp.pipeline import parse_criterion

CASES_PATH = Path(__file__).parent.parent / "golden" / "expression_cases.jsonl"


def _cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_cases_are_well_formed() -> None:
    cases = _cases()
    assert len({case["id"] for case in cases}) == len(cases)
    for case in cases:
        assert set(case) >= {"id", "section", "text", "expression", "why"}, case["id"]
        assert case["section"] in ("inclusion", "exclusion"), case["id"]


@pytest.mark.parametrize("case", _cases(), ids=lambda case: str(case["id"]))
def test_golden_expression(case: dict[str, Any]) -> None:
    criterion = parse_criterion(case["text"], section=case["section"])
    assert render(criterion.expression) == case["expression"], case["why"]
