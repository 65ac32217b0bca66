"""Golden expressions of issue 11 (tests/golden/generalisation.jsonl): one construction a line, by mechanism.

Each case has the mechanism it exercises, its whole expression in the compact rendering of
:func:`criteria_nlp.ir.render` and why the reading matters. Cases the parser does not read yet carry ``xfail`` with
the reason and fail strictly, so a fix shows up; they are never deleted.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.ir import render
from criteria_nlp.pipeline import parse_criterion

CASES_PATH = Path(__file__).parent.parent / "golden" / "generalisation.jsonl"
MECHANISMS = (1, 2, 3, 4, 5, 8)  # the mechanisms of issue 11 the grammar and the builder own


def _cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def _param(case: dict[str, Any]) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []
    return pytest.param(case, id=case["id"], marks=marks)


def test_cases_are_well_formed() -> None:
    cases = _cases()
    assert len({case["id"] for case in cases}) == len(cases)
    for case in cases:
        assert set(case) >= {"id", "mechanism", "section", "text", "expression", "why"}, case["id"]
        assert case["section"] in ("inclusion", "exclusion"), case["id"]
        # ids name the mechanism, or the helper session that composed them (its prefix: "var-", "defs-")
        assert case["id"].startswith(
            (f"mech{case['mechanism']}-", "var-", "defs-", "defs2-", "names-", "names2-", "units2-", "units3-")
        ) or case["id"].startswith(
            # gen-names, session 3; names-safe; gen-lex, gen-mech1, gen-signs (session 5)
            ("names3-", "names4-", "lex5-", "mech1b-", "sg-")
        ), case["id"]
    per_mechanism = Counter(case["mechanism"] for case in cases)
    assert all(per_mechanism[m] >= 10 for m in MECHANISMS), per_mechanism


@pytest.mark.parametrize("case", [_param(case) for case in _cases()])
def test_golden_generalisation(case: dict[str, Any]) -> None:
    criterion = parse_criterion(case["text"], section=case["section"])
    assert render(criterion.expression) == case["expression"], case["why"]
