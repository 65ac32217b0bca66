"""Known confident wrong decisions (``tests/golden/decisions_known.jsonl``): found by composing criteria in the ways
real protocols write them, not fixed yet, each with the reason it fails today.

Every case is a strict xfail: it must still give a decision outside its acceptable ones. When one starts passing
(a fix landed), the test fails, and the case moves to ``decisions.jsonl`` without its marker.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.screen import screen
from criteria_nlp.sources.own_json import OWN_JSON

CASES_FILE = Path(__file__).resolve().parents[2] / "tests" / "golden" / "decisions_known.jsonl"
CASES = [
    json.loads(line)
    for line in CASES_FILE.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


def decision_of(case: dict[str, Any]) -> str:
    patient = OWN_JSON.read(case["patient"], source=case["id"], strict=False, validate=False, lexicon=load_lexicon())
    return screen(parse_criteria(case["protocol"]), patient, index_date=case["index_date"]).decision


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c["id"], marks=pytest.mark.xfail(reason=c["xfail"], strict=True)) for c in CASES]
)
def test_known_confident_wrong_decision(case: dict[str, Any]) -> None:
    assert decision_of(case) in case["acceptable"], case["why"]


KNOWN_PREFIXES = ("rt-known-", "tk-known-", "rt3-known-", "gd3-known-", "te-known-", "tt2-known-", "nl-known-")
KNOWN_PREFIXES += ("rt5-known-",)  # redteam5: data-side cases whose fix lies in evaluate/*
KNOWN_PREFIXES += ("tr2-known-",)  # trust-read


def test_every_known_case_says_why_it_fails() -> None:
    # the file may be empty: every known case fixed has moved to decisions.jsonl (its comment header stays)
    assert CASES_FILE.read_text(encoding="utf-8").startswith("# Known confident wrong decisions")
    assert len({c["id"] for c in CASES}) == len(CASES)
    for case in CASES:
        assert case["xfail"] and case["why"]
        assert case["id"].startswith(KNOWN_PREFIXES)
        assert "needs_review" in case["acceptable"]  # the safe answer is always acceptable
