"""Golden window bounds (tests/golden/window_bounds.jsonl): the readers set ``TemporalWindow.min_inclusive`` /
``max_inclusive`` where the wording says whether the boundary day is inside ("within", "in the last", "less than ...
ago", "in the ... before", "at least", "or more", "more than", a wash-out's "since"), and nowhere else.

Each case gives, in ``bounds``, the fields the window's JSON carries: only those set (a None bound is left out of the
JSON, so documents without a written bound read as before)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.pipeline import parse_criteria, parse_criterion
from window_helpers import json_windows

CASES_PATH = Path(__file__).parent.parent / "golden" / "window_bounds.jsonl"
BOUND_KEYS = ("min_inclusive", "max_inclusive")


def _cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def _bounds(expression: Any) -> list[dict[str, bool]]:
    """The bound fields of every window in an expression's JSON, in document order."""
    return [{key: window[key] for key in BOUND_KEYS if key in window} for window in json_windows(expression)]


def test_cases_are_well_formed() -> None:
    cases = _cases()
    assert len({case["id"] for case in cases}) == len(cases)
    for case in cases:
        assert set(case) == {"id", "section", "text", "bounds", "why"}, case["id"]
        assert case["id"].startswith("wb-") and case["section"] in ("inclusion", "exclusion"), case["id"]
        assert set(case["bounds"]) <= set(BOUND_KEYS) and all(isinstance(v, bool) for v in case["bounds"].values())
    # both kinds of bound, each both ways, and wordings that set none
    written = {(key, value) for case in cases for key, value in case["bounds"].items()}
    assert written == {(key, value) for key in BOUND_KEYS for value in (True, False)}
    assert any(not case["bounds"] for case in cases)


@pytest.mark.parametrize("case", _cases(), ids=lambda case: str(case["id"]))
def test_golden_window_bounds(case: dict[str, Any]) -> None:
    criterion = parse_criterion(case["text"], section=case["section"])
    assert _bounds(criterion.expression.model_dump(mode="json")) == [case["bounds"]], case["why"]


def test_a_lead_in_window_keeps_its_bound() -> None:
    """build/lead_ins.py rebuilds the lead-in's window onto each item: the bound goes with it."""
    doc = parse_criteria("Exclusion Criteria:\nAny of the following within 6 months before screening:\n- stroke\n")
    assert [_bounds(c.expression.model_dump(mode="json")) for c in doc.criteria] == [[{"max_inclusive": True}]]


def test_an_unbounded_window_serialises_without_the_fields() -> None:
    criterion = parse_criterion("Myocardial infarction 6 months prior to screening", section="exclusion")
    assert "inclusive" not in criterion.expression.model_dump_json()
