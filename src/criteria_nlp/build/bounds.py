"""Thresholds as IR nodes: one threshold on one variable, a threshold's unit or scale, and two bounds as one.

Pure functions over the grammar's :class:`~criteria_nlp.grammar.Threshold` values and the nodes made of them;
no text is read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from criteria_nlp.errors import CriteriaError
from criteria_nlp.grammar import Threshold, VariableMention
from criteria_nlp.ir import (
    All,
    Any_,
    Comparison,
    Demographic,
    Node,
    Quantity,
    Range,
    ReferenceMultiple,
    Span,
    VariableRef,
)
from criteria_nlp.ir.interval import Interval
from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.durations import NAMES, duration_of
from criteria_nlp.knowledge.lexicon import Lexicon

# ages and windows are read in hours or longer
TIME_UNITS = NAMES - {"minute"}


def threshold_node(
    lexicon: Lexicon,
    variables: Sequence[VariableMention],
    thresholds: Sequence[Threshold],
    span: Span,
    either: bool = False,
) -> Node:
    """The thresholds on the variables: each variable meets one of the thresholds; all variables, or ``either``."""
    per_variable: list[Node] = []
    references = [ref for variable in variables for ref in _expand(lexicon, variable)]
    if len(references) == 2 and any(t.pair is not None for t in thresholds):
        # "BP ≤ 140/90 mmHg": the first value bounds the first variable of the pair, the second the other
        first, second = references
        children = (_one_threshold(first, thresholds[0]), _one_threshold(second, _pair_threshold(thresholds[0])))
        if pair_reading(thresholds[0]) == "either":
            return Any_(span=span, children=children)
        return All(span=span, children=children)
    for ref in references:
        alternatives = [_one_threshold(ref, t) for t in thresholds]
        per_variable.append(
            alternatives[0] if len(alternatives) == 1 else Any_(span=span, children=tuple(alternatives))
        )
    if len(per_variable) == 1:
        return per_variable[0]
    if either:
        return Any_(span=span, children=tuple(per_variable))
    return All(span=span, children=tuple(per_variable))


def pair_reading(t: Threshold, excluding: bool | None = None) -> str:
    """How "x/y" bounds a pair of variables: "both", "either", or "agree" (decided only where both readings agree).

    By its direction alone (``excluding`` None): an upper bound ("BP < 140/90": controlled) holds when both values
    are under theirs ("both"); a lower bound ("BP > 140/90": hypertension) when either value is over its own
    ("either"), as hypertension is defined; an equality needs both. With the side it is read on (``excluding``: a
    condition that excludes, as in the exclusion section or negated in the inclusion one) these two stay the
    convention only where they are one: a lower bound that excludes (hypertension), an upper bound that is
    required (a controlled pressure). An upper bound that excludes ("BP < 90/60": hypotension is either value
    under its own) and a lower bound that is required (a minimum pressure may need both) have no convention:
    "agree"."""
    lower = t.low is not None and t.high is None
    upper = t.high is not None and t.low is None
    if excluding is None or not (lower or upper) or lower == excluding:
        return "either" if lower else "both"
    return "agree"


def _expand(lexicon: Lexicon, variable: VariableMention) -> list[VariableRef]:
    if variable.is_group and variable.id in lexicon.groups:
        group = lexicon.groups[variable.id]
        return [
            VariableRef(id=m, mention=variable.mention, span=variable.span, group=variable.mention)
            for m in group.members
        ]
    return [VariableRef(id=variable.id or None, mention=variable.mention, span=variable.span)]


def _one_threshold(variable: VariableRef, t: Threshold) -> Node:
    span = variable.span.cover(t.span)
    if variable.id == "age" and _no_time(first_unit_of(t)):
        # "Wound area of 2 to 10 cm2, … more than 4 weeks old": a quantity in a unit of no time is no age, whatever
        # age word the clause holds; kept as written on a variable the engine does not know, so it decides nothing
        variable = VariableRef(id=None, mention=variable.mention, span=variable.span)
    elif variable.id == "age":
        unit = time_unit(first_unit_of(t)) or "year"
        return Demographic(
            span=span,
            attribute="age",
            low=t.low.value if t.low else None,
            low_inclusive=t.low_inclusive,
            high=_in_unit(t.high, unit) if t.high else None,
            high_inclusive=t.high_inclusive,
            unit=unit,
        )
    if t.reference is not None:
        factor = (t.low or t.high or Quantity(value=1.0)).value
        operator = t.operator if t.operator in ("<", "<=", ">", ">=") else "=="
        return ReferenceMultiple(span=span, variable=variable, operator=operator, factor=factor, reference=t.reference)
    if t.operator in ("<", "<=", ">", ">=") and (t.low is None) != (t.high is None):
        quantity = t.low if t.low is not None else t.high
        assert quantity is not None
        return Comparison(span=span, variable=variable, operator=t.operator, quantity=quantity)
    if t.low is not None and t.high is not None and t.low == t.high and t.low_inclusive and t.high_inclusive:
        return Comparison(span=span, variable=variable, operator="==", quantity=t.low)
    return Range(
        span=span,
        variable=variable,
        low=t.low,
        low_inclusive=t.low_inclusive,
        high=t.high,
        high_inclusive=t.high_inclusive,
    )


def first_unit_of(t: Threshold) -> str | None:
    for q in (t.low, t.high):
        if q is not None and q.unit_normalized:
            return q.unit_normalized
    return None


def with_scale(t: Threshold, scale: str) -> Threshold:
    low = Quantity(value=t.low.value, unit=scale) if t.low is not None and not t.low.unit else t.low
    high = Quantity(value=t.high.value, unit=scale) if t.high is not None and not t.high.unit else t.high
    return Threshold(low, t.low_inclusive, high, t.high_inclusive, t.reference, t.operator, t.span, t.explicit, t.pair)


def _pair_threshold(t: Threshold) -> Threshold:
    second = t.pair
    low = second if t.low is not None else None
    high = second if t.high is not None else None
    return Threshold(low, t.low_inclusive, high, t.high_inclusive, t.reference, t.operator, t.span, t.explicit)


def propagate_units(thresholds: list[Threshold]) -> list[Threshold]:
    """ "< 40 or > 100 mmHg": a unit written once applies to the thresholds of the list that lack one."""
    written = [q for t in thresholds for q in (t.low, t.high) if q is not None and q.unit]
    if not written or len(thresholds) < 2:
        return thresholds
    unit = written[-1]
    result = []
    for t in thresholds:
        if t.reference is not None:
            result.append(t)
            continue
        low = _with_unit(t.low, unit)
        high = _with_unit(t.high, unit)
        result.append(
            Threshold(low, t.low_inclusive, high, t.high_inclusive, t.reference, t.operator, t.span, t.explicit)
        )
    return result


def _with_unit(q: Quantity | None, unit: Quantity) -> Quantity | None:
    if q is None or q.unit:
        return q
    return Quantity(value=q.value, unit=unit.unit, unit_normalized=unit.unit_normalized)


def with_operator(threshold: Threshold, operator: str) -> Threshold:
    """A bare value ("48 kg") as a bound with ``operator``."""
    value = threshold.low or threshold.high
    if operator in (">", ">="):
        return replace(
            threshold, low=value, low_inclusive=operator == ">=", high=None, high_inclusive=False, operator=operator
        )
    if operator in ("<", "<="):
        return replace(
            threshold, low=None, low_inclusive=False, high=value, high_inclusive=operator == "<=", operator=operator
        )
    return threshold


def _in_unit(quantity: Quantity, unit: str) -> float:
    """ "aged 28 days to 18 years": the upper end in the unit of the lower one (one unit per age node)."""
    written = time_unit(quantity.unit_normalized)
    if written is None or written == unit:
        return quantity.value
    try:
        return units.convert(quantity.value, written, unit).value
    except CriteriaError:
        return quantity.value


def _no_time(unit: str | None) -> bool:
    """A unit the registry knows with no time in it at all ("cm2", "kg"); an unknown spelling, or one with a time in
    it however odd ("years in second", a piece of text the registry reads), is not judged."""
    if unit is None or time_unit(unit) is not None:
        return False
    try:
        return units.is_unit(unit) and "[time]" not in units.parse_unit(unit).dimensionality
    except CriteriaError:
        return False


def time_unit(unit: str | None) -> str | None:
    """The canonical time unit of a singular or plural name ("years" -> "year"); abbreviations are no names here."""
    if unit is None:
        return None
    name = unit.rstrip("s")
    duration = duration_of(name)
    return name if duration is not None and duration.name == name and name in TIME_UNITS else None


def _one_sided(node: Node) -> tuple[tuple[str, str | None], Interval] | None:
    """((variable, unit), interval) of an age or comparison bound, else None."""
    if isinstance(node, Demographic) and node.attribute == "age":
        return ("age", node.unit), Interval(node.low, node.low_inclusive, node.high, node.high_inclusive)
    if isinstance(node, Comparison) and node.operator in (">", ">=", "<", "<=") and node.variable.id:
        value, unit = node.quantity.value, node.quantity.unit_normalized
        if node.operator in (">", ">="):
            return (node.variable.id, unit), Interval(value, node.operator == ">=", None, False)
        return (node.variable.id, unit), Interval(None, False, value, node.operator == "<=")
    return None


def admit_no_value_together(first: Node, second: Node) -> bool:
    """Are these a lower and an upper bound of one variable, in one unit, that no value meets together
    ("> 45 and < 18")?"""
    one, two = _one_sided(first), _one_sided(second)
    if one is None or two is None or one[0] != two[0]:
        return False
    bounds = (one[1], two[1])
    if sum(b.low is not None for b in bounds) != 1 or sum(b.high is not None for b in bounds) != 1:
        return False
    return one[1].intersect(two[1]).is_empty()


def different_values(first: Node, second: Node) -> bool:
    """ "ASA I, ASA II or ASA III": two equalities of one known variable, in one unit, on different values (no
    value meets both; the writer listed alternatives)."""
    if not (isinstance(first, Comparison) and isinstance(second, Comparison)):
        return False
    if first.operator != "==" or second.operator != "==" or not first.variable.id:
        return False
    one, two = first.quantity, second.quantity
    return (
        first.variable.id == second.variable.id
        and one.unit_normalized == two.unit_normalized
        and one.value != two.value
    )


def merge_bounds(first: Node, second: Node) -> Node | None:
    """ "Age ≥ 18 and < 65 years": two one-sided bounds of one variable make one interval."""
    if (
        isinstance(first, Demographic)
        and isinstance(second, Demographic)
        and first.attribute == second.attribute == "age"
    ):
        if first.high is None and second.low is None and first.low is not None and second.high is not None:
            return Demographic(
                span=first.span.cover(second.span),
                attribute="age",
                low=first.low,
                low_inclusive=first.low_inclusive,
                high=second.high,
                high_inclusive=second.high_inclusive,
                unit=second.unit or first.unit,
            )
        return None
    if (
        isinstance(first, Comparison)
        and isinstance(second, Comparison)
        and first.variable.id == second.variable.id
        and first.operator in (">", ">=")
        and second.operator in ("<", "<=")
    ):
        return Range(
            span=first.span.cover(second.span),
            variable=first.variable,
            low=first.quantity,
            low_inclusive=first.operator == ">=",
            high=second.quantity,
            high_inclusive=second.operator == "<=",
        )
    return None
