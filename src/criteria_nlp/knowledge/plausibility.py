"""What a variable can physically take (``plausible_low`` / ``plausible_high`` in ``corpora/lexicon/variables.tsv``).

One question, asked of patient values (:mod:`criteria_nlp.sources.check`: outside is a data error, the value is not
used) and of thresholds (:mod:`criteria_nlp.check.plausibility`: far outside is not computable; a number such as
"100.000" is read the one way that falls inside).
"""

from __future__ import annotations

from functools import cache, lru_cache

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.knowledge.durations import duration_of
from criteria_nlp.knowledge.lexicon import Variable
from criteria_nlp.resources import corpus_path

_DAYS_PER_YEAR = 365.25


@lru_cache(maxsize=4096)
def _affine(source: str, target: str, molar_mass: float | None, analyte: str) -> tuple[float, float] | None:
    from criteria_nlp.knowledge.units import convert

    try:
        zero = convert(0.0, source, target, molar_mass=molar_mass, analyte=analyte).value
        one = convert(1.0, source, target, molar_mass=molar_mass, analyte=analyte).value
    except CriteriaSemanticError:
        return None
    return one - zero, zero


def in_variable_unit(variable: Variable, value: float, unit: str | None) -> float | None:
    """``value`` (in ``unit``, any spelling) in the variable's lexicon unit; None when it cannot be converted."""
    if variable.id == "age":
        duration = duration_of(unit or "year")
        if duration is None:
            return None
        return value * duration.factor / (12.0 if duration.base == "month" else _DAYS_PER_YEAR)
    if unit is None or variable.unit is None or unit == variable.unit:
        return value if (unit is None) == (variable.unit is None) or unit == variable.unit else None
    affine = _affine(unit, variable.unit, variable.molar_mass, variable.id)
    if affine is None:
        return None
    slope, offset = affine
    return slope * value + offset


def has_plausible_range(variable: Variable) -> bool:
    return variable.plausible != (None, None)


def plausible(variable: Variable, value: float, unit: str | None) -> bool | None:
    """Whether the value lies in the variable's physical range; None when the lexicon gives none or units differ."""
    if not has_plausible_range(variable):
        return None
    converted = in_variable_unit(variable, value, unit)
    return None if converted is None else not variable.implausible(converted)


def may_be_negative(variable: Variable) -> bool:
    """Whether the variable takes values below zero (base excess, a T-score): its plausible or reference range in
    the lexicon goes below zero. A negative record of any other variable is a data error."""
    low = variable.plausible[0]
    reference = variable.reference.low if variable.reference is not None else None
    return (low is not None and low < 0) or (reference is not None and reference < 0)


def range_text(variable: Variable) -> str:
    low, high = variable.plausible
    shown = f"{'' if low is None else f'{low:g}'}–{'' if high is None else f'{high:g}'}"
    return f"{shown} {variable.unit or ('years' if variable.id == 'age' else '')}".strip()


@cache
def _units_by_code() -> dict[tuple[str, str], tuple[str, str]]:
    table: dict[tuple[str, str], tuple[str, str]] = {}
    lines = corpus_path("lexicon", "unit_by_code.tsv").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    for code, written, read_as, why in rows[1:]:
        table[(code, written)] = (read_as, why)
    return table


def unit_fixed_by_code(code: str | None, unit_normalized: str | None) -> tuple[str, str] | None:
    """(unit, why) when the observation's LOINC code fixes the unit its text leaves out (eGFR per 1.73 m²)."""
    if code is None or unit_normalized is None:
        return None
    return _units_by_code().get((code, unit_normalized))
