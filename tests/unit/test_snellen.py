"""Snellen fractions ("BCVA 20/50 to 20/320", "6/60"): one visual acuity, never two numbers nor a blood pressure.

The threshold keeps the fraction's numerator as its number and gets the unit of the chart line (``snellen_D``,
``decimal_acuity / D``), so that its value in decimal acuity is the fraction's; only a criterion about vision reads a
fraction so (golden cases ``units4-`` with topic ``acuity`` in tests/golden/numbers.jsonl).
"""

from __future__ import annotations

import pytest

from criteria_nlp import parse_criterion
from criteria_nlp.ir.kinds import walk
from criteria_nlp.ir.nodes import Comparison, Range
from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.units.acuity import snellen_unit


def _numeric(text: str) -> list[Comparison | Range]:
    return [node for node in walk(parse_criterion(text).expression) if isinstance(node, (Comparison, Range))]


@pytest.mark.parametrize(
    ("numerator", "denominator", "decimal"),
    [("20", "200", 0.1), ("6", "60", 0.1), ("20", "40", 0.5), ("6", "7.5", 0.8), ("20", "20", 1.0)],
)
def test_a_chart_line_is_a_decimal_acuity(numerator: str, denominator: str, decimal: float) -> None:
    unit = snellen_unit(numerator, denominator)
    assert unit is not None
    assert units.convert(float(numerator), unit, "decimal").value == pytest.approx(decimal)


@pytest.mark.parametrize(
    ("numerator", "denominator"), [("140", "90"), ("20", "7"), ("5", "10"), ("6", "10"), ("6", "x")]
)
def test_other_fractions_are_no_chart_line(numerator: str, denominator: str) -> None:
    assert snellen_unit(numerator, denominator) is None


def test_decimal_acuity_never_converts_to_logmar() -> None:
    assert not units.compatible("snellen_200", "logMAR")
    assert not units.compatible("snellen_200", "mmHg")


def test_a_threshold_in_snellen_is_one_value_with_the_chart_line() -> None:
    (node,) = _numeric("BCVA ≥ 20/40")
    assert isinstance(node, Comparison)
    assert (node.quantity.value, node.quantity.unit_normalized) == (20.0, "snellen_40")


def test_a_range_of_chart_lines_is_ordered_by_acuity() -> None:
    (node,) = _numeric("Best corrected visual acuity of 20/50 to 20/320")
    assert isinstance(node, Range)
    assert node.low is not None and node.high is not None
    low = units.convert(node.low.value, node.low.unit_normalized or "", "decimal").value
    high = units.convert(node.high.value, node.high.unit_normalized or "", "decimal").value
    assert (low, high) == pytest.approx((0.0625, 0.4))


def test_without_a_vision_word_a_fraction_is_left_as_it_was() -> None:
    (node,) = _numeric("Pain ≥ 6/10")
    assert isinstance(node, Comparison)
    assert (node.quantity.value, node.quantity.unit_normalized) == (6.0, None)


def test_a_blood_pressure_beside_an_acuity_is_still_a_pair() -> None:
    nodes = _numeric("Visual acuity ≥ 20/40 and blood pressure < 140/90 mmHg")
    pressures = [n for n in nodes if isinstance(n, Comparison) and n.quantity.unit_normalized == "mmHg"]
    assert len(pressures) == 2
