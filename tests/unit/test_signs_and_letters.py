"""gen-signs (issue 11, mechanisms 7 and 8): the unit a bare "D" stands for, decided by what the criterion measures,
and the signed ends of a range after a plain word ("Refraction -1 to -10 diopters")."""

from __future__ import annotations

from pathlib import Path

import pytest

from criteria_nlp import parse_criterion
from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.grammar.bare_units import load_bare_letters
from criteria_nlp.ir import Comparison, Quantity, Range


def _bounds(text: str) -> list[Quantity]:
    expression = parse_criterion(text).expression
    if isinstance(expression, Comparison):
        return [expression.quantity]
    assert isinstance(expression, Range), expression
    return [q for q in (expression.low, expression.high) if q is not None]


@pytest.mark.parametrize(
    "text",
    [
        "Spherical equivalent between -2 and -6 D",
        "High myopia > 6D",
        "Astigmatism > 1.5 D",
        "Cycloplegic refraction ≥ +1.00 D",
        "Refraction -1 to -10 D",
    ],
)
def test_d_is_dioptres_where_a_refraction_is_named(text: str) -> None:
    assert {(q.unit, q.unit_normalized) for q in _bounds(text)} == {("D", "dpt")}


@pytest.mark.parametrize("text", ["Creatinine between 2 and 6 D", "Hemoglobin > 10 D"])
def test_d_is_kept_as_written_elsewhere(text: str) -> None:
    # the letter stays the threshold's unit as written (an empty normalised unit): never compared as dioptres
    assert {(q.unit, q.unit_normalized) for q in _bounds(text)} == {("D", "")}


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("Refraction -1 to -10 diopters", [-10.0, -1.0]),
        ("Spherical equivalent -0.5 to +0.5 D", [-0.5, 0.5]),
        ("Refraction -1 through -10 diopters", [-10.0, -1.0]),
    ],
)
def test_both_signed_ends_of_a_range_are_minus_signs(text: str, values: list[float]) -> None:
    assert [q.value for q in _bounds(text)] == values


@pytest.mark.parametrize("text", ["Hemoglobin -2 g/dL", "Day -1", "Refraction -1 to 10 diopters"])
def test_one_dash_alone_stays_unread(text: str) -> None:
    assert "unparsed" in parse_criterion(text).expression.model_dump_json()


def test_letters_file_needs_its_context_column(tmp_path: Path) -> None:
    path = tmp_path / "letters.tsv"
    path.write_text("letter\tcanonical\tlow\thigh\tafter\tcontext\nD\tdpt\t-40\t40\tbound\n", encoding="utf-8")
    with pytest.raises(CriteriaSemanticError, match="context"):
        load_bare_letters(path)
    path.write_text("letter\tcanonical\tlow\thigh\tafter\tcontext\nD\tdpt\t-40\t40\tbound\tmyop|Lens\n", "utf-8")
    assert load_bare_letters(path)["D"].context == ("myop", "lens")
