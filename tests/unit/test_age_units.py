"""An age reading takes only quantities of time (build/bounds.py, issue 11 mechanism 8, the variable's name).

A clause with an age word ("a wound more than 4 weeks old") once made every threshold without a variable an age,
and the age then took the number in years whatever its unit: "2 to 10 cm2" became an age of 2 to 10 years and
decided patients. A quantity in a unit the registry knows that holds no time is kept as written, on a variable the
engine does not know; times, and units the registry does not know, keep the age reading.
"""

from __future__ import annotations

import pytest

from criteria_nlp.build.bounds import threshold_node
from criteria_nlp.grammar import Threshold, VariableMention
from criteria_nlp.ir import Comparison, Demographic, Quantity, Range, Span
from criteria_nlp.knowledge.lexicon import load_lexicon

_SPAN = Span(start=0, end=10)
_AGE = VariableMention("age", False, "age", _SPAN)


def _range(low: float, high: float, unit: str | None, normalized: str | None) -> Threshold:
    def quantity(value: float) -> Quantity:
        return Quantity(value=value, unit=unit, unit_normalized=normalized)

    return Threshold(quantity(low), True, quantity(high), True, None, None, _SPAN, True)


def _over(value: float, unit: str | None, normalized: str | None) -> Threshold:
    quantity = Quantity(value=value, unit=unit, unit_normalized=normalized)
    return Threshold(quantity, False, None, False, None, ">", _SPAN, True)


@pytest.mark.parametrize(
    ("threshold", "unit"),
    [
        (_range(2, 10, "cm2", "cm^2"), "cm2"),  # as the pipeline normalises it
        (_range(2, 10, "cm2", "cm2"), "cm2"),
        (_over(300, "mL", "mL"), "mL"),
        (_over(20, "g", "g"), "g"),
        (_over(30, "kg/m2", "kg/m2"), "kg/m2"),
        (_range(1, 5, "mm", "mm"), "mm"),
    ],
)
def test_a_quantity_with_no_time_is_no_age(threshold: Threshold, unit: str) -> None:
    node = threshold_node(load_lexicon(), (_AGE,), [threshold], _SPAN)
    assert isinstance(node, Range | Comparison)
    assert node.variable.id is None  # the engine decides nothing on it
    quantity = node.quantity if isinstance(node, Comparison) else node.low
    assert quantity is not None and quantity.unit == unit  # kept as written, not turned into years


@pytest.mark.parametrize(
    ("threshold", "unit"),
    [
        (_range(18, 65, "years", "year"), "year"),
        (_range(6, 60, "months", "month"), "month"),
        (_over(18, None, None), "year"),  # "older than 18": a bare number after an age word
        (_over(18, "years in second", "years in second"), "year"),  # an odd spelling with a time in it
        (_over(18, "yrz", "yrz"), "year"),  # a spelling the registry does not know is not judged
    ],
)
def test_times_and_unknown_spellings_stay_ages(threshold: Threshold, unit: str) -> None:
    node = threshold_node(load_lexicon(), (_AGE,), [threshold], _SPAN)
    assert isinstance(node, Demographic) and node.attribute == "age" and node.unit == unit
