"""The flat numeric-constraint table (``criteria-nlp parse --format constraints``, ``doc.constraints()``).

One record per criterion: ``{"id", "section", "text", "constraints": [...]}``; each numeric constraint is
``{"variable", "mention", "interval": [low, low_inclusive, high, high_inclusive], "unit", "reference", "span"}``
with values in the unit written in the text and thresholds as written (the exclusion section is not negated).
A disjunction gives one constraint per interval; a threshold shared by several variables one per variable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from criteria_nlp.ir.criterion import Criterion
from criteria_nlp.ir.kinds import walk
from criteria_nlp.ir.nodes import Comparison, Demographic, Node, Range, ReferenceMultiple


def _interval(operator: str, value: float) -> list[Any]:
    if operator == ">":
        return [value, False, None, False]
    if operator == ">=":
        return [value, True, None, False]
    if operator == "<":
        return [None, False, value, False]
    if operator == "<=":
        return [None, False, value, True]
    return [value, True, value, True]


def _range_unit(item: Range) -> str | None:
    bound = item.high or item.low
    return bound.unit if bound is not None else None


def _row(
    node: Node, variable: str | None, mention: str, interval: list[Any], unit: str | None, reference: str | None
) -> dict[str, Any]:
    return {
        "variable": variable,
        "mention": mention,
        "interval": interval,
        "unit": unit,
        "reference": reference,
        "span": [node.span.start, node.span.end],
    }


def _bounds(low: float | None, low_inclusive: bool, high: float | None, high_inclusive: bool) -> list[Any]:
    """An interval as the table writes it: an open end is null and never inclusive."""
    return [low, low_inclusive if low is not None else False, high, high_inclusive if high is not None else False]


def constraints_of(node: Node) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for item in walk(node):
        if isinstance(item, Comparison):
            interval = _interval(item.operator, item.quantity.value)
            rows.append(_row(item, item.variable.id, item.variable.mention, interval, item.quantity.unit, None))
        elif isinstance(item, Range):
            interval = _bounds(
                item.low.value if item.low else None,
                item.low_inclusive,
                item.high.value if item.high else None,
                item.high_inclusive,
            )
            rows.append(_row(item, item.variable.id, item.variable.mention, interval, _range_unit(item), None))
        elif isinstance(item, ReferenceMultiple):
            interval = _interval(item.operator, item.factor)
            unit = f"x {item.reference}"
            rows.append(_row(item, item.variable.id, item.variable.mention, interval, unit, item.reference))
        elif isinstance(item, Demographic) and item.attribute == "age":
            interval = _bounds(item.low, item.low_inclusive, item.high, item.high_inclusive)
            rows.append(_row(item, "age", "age", interval, item.unit or "year", None))
    return rows


def criterion_record(criterion: Criterion) -> dict[str, Any]:
    return {
        "id": criterion.id,
        "section": criterion.section,
        "text": criterion.text,
        "constraints": constraints_of(criterion.expression),
    }


def constraint_records(criteria: Iterable[Criterion]) -> list[dict[str, Any]]:
    return [criterion_record(c) for c in criteria]
