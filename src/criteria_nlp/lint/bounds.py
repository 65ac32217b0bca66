"""Numeric bounds read off leaves (age, a variable converted to its lexicon unit, a multiple of a reference limit)
as intervals, for the rules that compare bounds on one variable (empty, overlapping, contradictory)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.ir import Comparison, Criterion, Demographic, Node, Range, ReferenceMultiple
from criteria_nlp.ir.interval import Interval, complement, operator_interval
from criteria_nlp.knowledge.lexicon import Lexicon
from criteria_nlp.lint.context import Leaf


@dataclass(frozen=True)
class Bound:
    key: str  # variable id, "age", or "alt@ULN" for reference multiples
    unit: str
    intervals: tuple[Interval, ...]  # a union (a negated interval becomes its complement)
    node: Node
    criterion: Criterion
    leaf: Leaf


@lru_cache(maxsize=65536)
def _convert(
    value: float, unit: str | None, target: str | None, molar_mass: float | None, analyte: str
) -> float | None:
    from criteria_nlp.knowledge import units  # pint loads when a rule runs, not when a stored report is rendered

    if unit is None or target is None:
        return value if unit == target else None
    if unit == target:
        return value
    try:
        return units.convert(value, unit, target, molar_mass=molar_mass, analyte=analyte).value
    except (CriteriaSemanticError, ValueError, ZeroDivisionError):
        return None


def _age_interval(node: Demographic) -> Interval | None:
    low = _convert(node.low, node.unit or "year", "year", None, "age") if node.low is not None else None
    high = _convert(node.high, node.unit or "year", "year", None, "age") if node.high is not None else None
    if (node.low is not None and low is None) or (node.high is not None and high is None):
        return None
    return Interval(low, node.low_inclusive, high, node.high_inclusive)


def _measured_interval(node: Comparison | Range, target: str | None, molar_mass: float | None) -> Interval | None:
    variable_id = node.variable.id or ""
    if isinstance(node, Comparison):
        value = _convert(node.quantity.value, node.quantity.unit_normalized, target, molar_mass, variable_id)
        return None if value is None else operator_interval(node.operator, value)
    low = high = None
    if node.low is not None:
        low = _convert(node.low.value, node.low.unit_normalized, target, molar_mass, variable_id)
        if low is None:
            return None
    if node.high is not None:
        high = _convert(node.high.value, node.high.unit_normalized, target, molar_mass, variable_id)
        if high is None:
            return None
    return Interval(low, node.low_inclusive, high, node.high_inclusive)


def bound_of(leaf: Leaf, criterion: Criterion, lexicon: Lexicon) -> Bound | None:
    """The bound a leaf sets, or None (not a numeric leaf, no variable id, a unit that cannot be converted)."""
    node = leaf.node
    interval: Interval | None
    if isinstance(node, Demographic):
        if node.attribute != "age":
            return None
        interval = _age_interval(node)
        key, unit = "age", "years"
    elif isinstance(node, ReferenceMultiple):
        if not node.variable.id:
            return None
        interval = operator_interval(node.operator, node.factor)
        key, unit = f"{node.variable.id}@{node.reference}", f"× {node.reference}"
    elif isinstance(node, Comparison | Range):
        variable_id = node.variable.id
        if not variable_id:
            return None
        variable = lexicon.variables.get(variable_id)
        target = variable.unit if variable is not None else None
        interval = _measured_interval(node, target, variable.molar_mass if variable is not None else None)
        key, unit = variable_id, target or ""
    else:
        return None
    if interval is None:
        return None
    intervals = tuple(complement(interval)) if leaf.negated else (interval,)
    return Bound(key, unit, intervals, node, criterion, leaf)


def is_point(interval: Interval) -> bool:
    return interval.low is not None and interval.low == interval.high


def conflicting_side(first: Interval, second: Interval) -> bool:
    """Both set a lower (or an upper) bound, and differently."""
    lows = first.low is not None and second.low is not None
    highs = first.high is not None and second.high is not None
    return (lows and (first.low, first.low_inclusive) != (second.low, second.low_inclusive)) or (
        highs and (first.high, first.high_inclusive) != (second.high, second.high_inclusive)
    )


__all__ = ["Bound", "bound_of", "conflicting_side", "is_point"]
