"""A chain of two comparators around a variable (part of the thresholds reader), issue 11 mechanism 1: "20 ≤ Age <
80", "130 mmHg < SBP < 180 mmHg", and "20 = Age < 80", where "=" stands for a "≤" lost in typing or in an encoding.

The grammar reads the variable with the comparator and number after it ("Age < 80"); the value before is bare and
its comparator prose. That value is the lower end when the chain's shape says so and nothing else: one variable
whose own threshold is an upper bound, a value below that bound, in a unit of the same kind. "=" is read as "≤" only
there (an equality of the variable with the value before an upper bound of it would be an empty or pointless
reading). "18 = age = 65", both "≤" lost, is the range [18, 65] only when the first value is the smaller: an equality
of the variable with two values is no reading at all. Another chain ending in "=" ("65 = age = 18", "18 ≤ age = 65")
has lost a comparator that cannot be told: its threshold is left unparsed, never read as an equality. A chain whose
variable keeps a comparator of its own ("20 = Age > 10") keeps that threshold, which holds whatever was lost.
"""

from __future__ import annotations

from dataclasses import replace

from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import ConstraintChunk, ProseChunk, Threshold, VariableMention
from criteria_nlp.grammar.lookahead import same_quantity_kind

READER = "thresholds"
_LOWER = {"<": ">", "<=": ">=", "==": ">="}  # the comparator written before the variable -> the bound on it


def chained_upper(state: BuildState, index: int) -> tuple[VariableMention, str] | None:
    """The variable after the bare value at ``index`` in "20 ≤ Age < 80" and the lower bound's operator; None when
    the value is no lower end of such a chain."""
    shape = _chain_shape(state, index)
    if shape is None:
        return None
    low, written, upper = shape
    operator = _LOWER.get(written)
    high = upper.thresholds[0]
    if operator is None or low.low is None or low.reference is not None:
        return None
    # "18 = age = 65": an equality after an "=" is the chain's upper end, both "≤" lost
    upper_operators = ("<", "<=", "==") if written == "==" else ("<", "<=")
    if high.operator not in upper_operators or high.high is None or high.reference is not None:
        return None
    low_unit, high_unit = low.low.unit_normalized, high.high.unit_normalized
    if low_unit is not None and (high_unit is None or not same_quantity_kind(low_unit, high_unit)):
        return None
    if low_unit == high_unit and low.low.value >= high.high.value:
        return None  # "80 ≤ Age < 20" is no range
    if high.operator == "==" and low_unit != high_unit and low_unit is not None:
        return None  # "18 years = age = 65 months": the lost comparators cannot be told across units
    return upper.variables[0], operator


def _chain_shape(state: BuildState, index: int) -> tuple[Threshold, str, ConstraintChunk] | None:
    """A bare value at ``index``, a comparator written as prose after it, then one variable with one threshold: the
    value's threshold, the comparator and the variable's chunk ("20 ≤ Age < 80"), whether or not they make a range."""
    chunks = state.chunks
    if index + 2 >= len(chunks):
        return None
    value, comparator, upper = chunks[index], chunks[index + 1], chunks[index + 2]
    if not isinstance(value, ConstraintChunk) or not isinstance(comparator, ProseChunk):
        return None
    if not isinstance(upper, ConstraintChunk) or len(upper.variables) != 1 or len(upper.thresholds) != 1:
        return None
    written = comparator.piece.kinds.get("CMP_PRE")
    if written is None or value.variables or len(value.thresholds) != 1:
        return None
    low = value.thresholds[0]
    if low.explicit or low.operator != "==":
        return None
    return low, written, upper


def broken_chain(state: BuildState, index: int) -> bool:
    """Is the variable's threshold at ``index`` an "=" ending a chain that is no range ("65 = age = 18", "18 ≤ age =
    65")? That "=" may itself be a lost comparator: the threshold is unsure. A comparator of its own ("20 = Age > 10")
    holds whatever the lost one was, and stays read."""
    if index < 2 or _chain_shape(state, index - 2) is None or chained_upper(state, index - 2) is not None:
        return False
    upper = state.chunks[index]
    return isinstance(upper, ConstraintChunk) and upper.thresholds[0].operator == "=="


def with_lower_end(state: BuildState, index: int, thresholds: list[Threshold]) -> list[Threshold]:
    """The upper bound at ``index`` of a chain ("Age < 80" in "20 ≤ Age < 80") as one range with the chain's lower end,
    whose value and comparator are taken here; the thresholds unchanged when no chain ends at ``index``."""
    if index < 2 or len(thresholds) != 1 or chained_upper(state, index - 2) is None:
        return thresholds
    value, comparator = state.chunks[index - 2], state.chunks[index - 1]
    assert isinstance(value, ConstraintChunk) and isinstance(comparator, ProseChunk)
    operator = _LOWER[comparator.piece.kinds["CMP_PRE"]]
    low, high = value.thresholds[0].low, thresholds[0]
    if low is None or high.high is None:
        return thresholds
    if low.unit is None:  # "2 < HbA1c ≤ 10%": the unit is written once, at the end
        low = low.model_copy(update={"unit": high.high.unit, "unit_normalized": high.high.unit_normalized})
    state.place(value, READER)
    state.take(comparator.piece, READER, "comparator")
    span = value.span.cover(high.span)
    return [replace(high, low=low, low_inclusive=operator == ">=", operator=None, span=span, explicit=True)]


def chain_start(state: BuildState, index: int) -> bool:
    """Is the bare value at ``index`` the lower end of a chain (read with the chain's upper bound, not alone)?"""
    return chained_upper(state, index) is not None
