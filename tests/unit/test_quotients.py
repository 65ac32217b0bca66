"""Two variables joined by "/" before a value (issue 11 mechanism 4): their quotient, or a bound on each of them.

The grammar (``grammar.variables``) and the thresholds reader (``build.ratios``) make the same test,
:func:`slash_names_a_quotient`: a value with no unit, or with a unit of a ratio neither variable is measured in, is
the quotient's; a reference limit, a pair of bounds or a unit of both is each variable's own.
"""

from __future__ import annotations

import pytest

from criteria_nlp.grammar.variables import slash_names_a_quotient
from criteria_nlp.text.signs import raised_power


@pytest.mark.parametrize(
    ("numerator", "denominator", "unit", "each", "quotient"),
    [
        ("ldl_cholesterol", "hdl_cholesterol", None, False, True),  # "LDL/HDL > 3.5"
        ("albumin", "creatinine", "mg/g", False, True),  # dimensionless
        ("albumin", "creatinine", "mg/mmol", False, True),  # a mass per amount
        ("ldl_cholesterol", "hdl_cholesterol", "%", False, True),
        ("ast", "alt", None, True, False),  # "x ULN": each one's limit
        ("ast", "alt", "U/L", False, False),  # the unit of both
        ("ldl_cholesterol", "hdl_cholesterol", "mmol/L", False, False),
        ("karnofsky", "lansky", None, False, False),  # two scores without a unit
        ("inr", "aptt", "s", False, False),  # not a ratio's unit: left as written
        ("apob", "", None, False, True),  # a name the lexicon lacks
    ],
)
def test_slash_names_a_quotient(numerator: str, denominator: str, unit: str | None, each: bool, quotient: bool) -> None:
    assert slash_names_a_quotient(numerator, denominator, unit, each) is quotient


@pytest.mark.parametrize(
    ("word", "value"), [("10⁵", 1e5), ("10⁹", 1e9), ("10¹²", 1e12), ("10", None), ("10^5", None), ("2⁵", None)]
)
def test_raised_power(word: str, value: float | None) -> None:
    assert raised_power(word) == value
