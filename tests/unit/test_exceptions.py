"""Exceptions, permissions that narrow an exclusion and subgroups (issue 10 item 10): the composed golden cases of
``tests/golden/exceptions.jsonl`` (the format of ``tests/golden/readers/<reader>.jsonl``) and the clause split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.build.clauses import split_clauses
from criteria_nlp.grammar import ProseChunk, parse_chunks, pieces_of
from criteria_nlp.ir import All, Any_, Not, render
from criteria_nlp.pipeline import default_parser, parse_criterion
from criteria_nlp.text.nlp import annotate

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent.parent / "golden" / "exceptions.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]


def test_the_golden_file_is_varied() -> None:
    assert len(CASES) >= 10 and len({c["id"] for c in CASES}) == len(CASES)
    assert {c["section"] for c in CASES} == {"inclusion", "exclusion"}
    assert sum("control" in c["why"] for c in CASES) >= 3
    for case in CASES:
        assert set(case) >= {"id", "section", "text", "expression", "why"}, case["id"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_golden_exception(case: dict[str, Any]) -> None:
    criterion = parse_criterion(case["text"], section=case["section"])
    assert render(criterion.expression) == case["expression"], case["why"]


def _clauses(text: str) -> list[tuple[bool, str]]:
    (doc,) = annotate(default_parser().nlp, [text])
    chunks, _ = parse_chunks(pieces_of(doc))
    return [
        (
            clause.exception,
            " ".join(c.piece.text if isinstance(c, ProseChunk) else "#" for c in clause.chunks),
        )
        for clause in split_clauses(chunks)
    ]


def test_an_exception_is_a_clause_to_its_end_or_its_closing_bracket() -> None:
    assert _clauses("Known HIV infection, unless CD4 ≥ 350 cells/µL") == [
        (False, "Known HIV infection"),
        (True, ", unless #"),
    ]
    found = _clauses("Hypertension (unless on treatment) or diabetes")
    assert [exception for exception, _ in found] == [False, True, False]
    assert found[1][1].endswith(")") and found[2][1].startswith("or")


def test_no_split_without_a_statement_on_either_side() -> None:
    assert [e for e, _ in _clauses("Unless CD4 ≥ 350 cells/µL")] == [False]
    assert [e for e, _ in _clauses("Known HIV infection, unless")] == [False]


@pytest.mark.parametrize("text", ["Known HIV infection unless CD4 ≥ 350 cells/µL", "Diabetes, except if HbA1c < 7%"])
def test_the_section_decides_how_the_exception_narrows(text: str) -> None:
    excluded = parse_criterion(text, section="exclusion").expression
    assert isinstance(excluded, All) and isinstance(excluded.children[1], Not)
    required = parse_criterion(text, section="inclusion").expression
    assert isinstance(required, Any_)
    assert render(required.children[1]) == render(excluded.children[1].child)


def test_the_exception_is_not_read_as_more_conditions_of_the_exclusion() -> None:
    expression = parse_criterion("Known HIV infection, unless CD4 ≥ 350 cells/µL", section="exclusion").expression
    thresholds_outside_not = [
        child for child in getattr(expression, "children", ()) if "cd4" in render(child) and not isinstance(child, Not)
    ]
    assert thresholds_outside_not == []
