"""Stage 5: checks and rewrites over built expressions, as plain ``Node -> Node`` passes listed in one place.

Each pass takes a node (and the check context) and returns a node; passes that only look record diagnostics in
the context. :data:`PASSES` is the order they run in (like sqlglot's optimizer rules).
"""

from __future__ import annotations

from collections.abc import Callable

from criteria_nlp.check.bare import guard_bare_values
from criteria_nlp.check.context import CheckContext
from criteria_nlp.check.guard import guard_negated_durations, guard_partial_readings
from criteria_nlp.check.plausibility import check_plausible_thresholds
from criteria_nlp.check.unread_alternatives import guard_unread_alternatives
from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.ir import (
    All,
    Any_,
    Comparison,
    Diagnostic,
    Node,
    Not,
    Range,
    Unparsed,
    children_of,
    rebuild,
)
from criteria_nlp.knowledge import units

Pass = Callable[[Node, CheckContext], Node]


def flatten(node: Node, context: CheckContext) -> Node:
    """all(all(a, b), c) -> all(a, b, c); any likewise; a one-child all/any is its child; not not a is a.

    Nodes that do not change are returned as they are (no copy): a tree with nothing to flatten is returned after
    one look at its nodes (the walk the passes after this one share).
    """
    if not any(_flattens(item) for item in context.of(node, _CONTAINERS)):
        return node
    return _flatten(node, context)


_CONTAINERS = (All, Any_, Not)


def _flattens(node: Node) -> bool:
    """Whether :func:`_flatten` changes ``node`` itself: an all/any with one child or a child of its own kind, or a
    not of a not (a tree none of whose nodes does is returned as it is)."""
    if isinstance(node, All | Any_):
        children = node.children
        return len(children) == 1 or any(type(child) is type(node) for child in children)
    return isinstance(node, Not) and isinstance(node.child, Not)


def _flatten(node: Node, context: CheckContext) -> Node:
    if isinstance(node, All | Any_):
        children: list[Node] = []
        changed = False
        for child in node.children:
            flat = _flatten(child, context)
            changed = changed or flat is not child
            if type(flat) is type(node):
                children.extend(flat.children)
                changed = True
            else:
                children.append(flat)
        if len(children) == 1:
            return children[0]
        return node.model_copy(update={"children": tuple(children)}) if changed else node
    if isinstance(node, Not):
        child = _flatten(node.child, context)
        if isinstance(child, Not):
            return child.child
        return node.model_copy(update={"child": child}) if child is not node.child else node
    parts = children_of(node)
    if not parts:
        return node
    return rebuild(node, tuple(_flatten(child, context) for child in parts))


_BOUNDED = (Comparison, Range)


def check_units(node: Node, context: CheckContext) -> Node:
    """A threshold's unit must fit its variable ("HbA1c < 7 mg" is reported); a missing unit is reported too."""
    for item in context.of(node, _BOUNDED):
        assert isinstance(item, Comparison | Range)
        variable_id = item.variable.id
        if not variable_id or variable_id not in context.lexicon.variables:
            continue
        variable = context.lexicon.variables[variable_id]
        quantities = [item.quantity] if isinstance(item, Comparison) else [q for q in (item.low, item.high) if q]
        for quantity in quantities:
            if quantity.unit_normalized is None:
                if variable.unit:
                    context.diagnostics.append(
                        Diagnostic(
                            code="unit-missing",
                            severity="warning",
                            message=f"threshold {quantity.value:g} for {variable.name} has no unit; "
                            f"expected a unit like {variable.unit}",
                            span=item.span,
                            suggestion=f"{quantity.value:g} {variable.unit}",
                        )
                    )
                continue
            if not variable.unit:
                continue
            try:
                fits = units.compatible(
                    quantity.unit_normalized, variable.unit, molar_mass=variable.molar_mass, analyte=variable.id
                )
            except CriteriaSemanticError:
                fits = False
            if not fits:
                context.diagnostics.append(
                    Diagnostic(
                        code="unit-dimension",
                        severity="error",
                        message=f"unit {quantity.unit!r} cannot apply to {variable.name} "
                        f"(expected a unit like {variable.unit})",
                        span=item.span,
                        suggestion=variable.unit,
                    )
                )
    return node


_RANGES = (Range,)


def check_ranges(node: Node, context: CheckContext) -> Node:
    """An empty range (low above high, or equal ends not both inclusive) is reported."""
    for item in context.of(node, _RANGES):
        if isinstance(item, Range) and item.low is not None and item.high is not None:
            empty = item.low.value > item.high.value or (
                item.low.value == item.high.value and not (item.low_inclusive and item.high_inclusive)
            )
            if empty:
                context.diagnostics.append(
                    Diagnostic(
                        code="range-empty", severity="error", message="the range admits no value", span=item.span
                    )
                )
    return node


_UNPARSED = (Unparsed,)


def report_unparsed(node: Node, context: CheckContext) -> Node:
    for item in context.of(node, _UNPARSED):
        if isinstance(item, Unparsed):
            context.diagnostics.append(
                Diagnostic(code="not-understood", severity="warning", message=item.reason, span=item.span)
            )
    return node


PASSES: tuple[Pass, ...] = (
    flatten,
    check_units,
    check_plausible_thresholds,
    check_ranges,
    report_unparsed,
    guard_unread_alternatives,  # "T or <words not understood>": any(T, unparsed), never all
    guard_negated_durations,  # "no X for at least 5 years": the time since X, or how long X lasted
    guard_bare_values,  # a value with no comparator: a lower or an upper limit, not written which
    guard_partial_readings,  # unread words that may change the meaning of the rest: the criterion is unknown
)

__all__ = ["PASSES", "CheckContext", "Pass", "run_passes"]


def run_passes(node: Node, context: CheckContext, passes: tuple[Pass, ...] = PASSES) -> Node:
    for step in passes:
        node = step(node, context)
    return node
