"""Words no reader took after an "or" are an alternative: the check pass ``guard_unread_alternatives`` alone and in
the parser, on the composed cases of ``tests/golden/unread_alternatives.jsonl``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from check_helpers import unguarded
from criteria_nlp.check.passes import PASSES
from criteria_nlp.check.unread_alternatives import guard_unread_alternatives
from criteria_nlp.ir import Any_, Not, nodes_of, render
from criteria_nlp.pipeline import parse_criterion

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    json.loads(line)
    for line in (ROOT / "tests" / "golden" / "unread_alternatives.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]


def test_the_golden_cases_are_varied() -> None:
    assert len({c["id"] for c in CASES}) == len(CASES) >= 10
    assert {c["section"] for c in CASES if c["changed"]} == {"inclusion", "exclusion"}
    assert sum(c["changed"] for c in CASES) >= 4 and sum(not c["changed"] for c in CASES) >= 4
    assert guard_unread_alternatives in PASSES


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_the_pass_alone(case: dict[str, Any]) -> None:
    node, context = unguarded(case["text"], case["section"])
    result = guard_unread_alternatives(node, context)
    assert (result is not node) == case["changed"], case["why"]
    if case["changed"]:
        assert any(isinstance(n, Any_) for n in nodes_of(result)), case["why"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_the_parse(case: dict[str, Any]) -> None:
    assert render(parse_criterion(case["text"], section=case["section"]).expression) == case["expression"], case["why"]


def test_a_negated_sibling_takes_the_alternative_under_its_negation() -> None:
    expression = parse_criterion("No insulin or oral agents").expression
    assert isinstance(expression, Not) and isinstance(expression.child, Any_)
