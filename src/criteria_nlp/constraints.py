"""The flat numeric-constraint table (``criteria-nlp parse --format constraints``, ``doc.constraints()``).

One record per criterion: ``{"id", "section", "text", "constraints": [...]}``; each numeric constraint is
``{"variable", "mention", "interval": [low, low_inclusive, high, high_inclusive], "unit", "reference", "span"}``
with values in the unit written in the text and thresholds as written (the exclusion section is not negated).
A disjunction gives one constraint per interval; a threshold shared by several variables one per variable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from criteria_nlp.ir import Comparison, Demographic, Node, Range, ReferenceMultiple, walk

if TYPE_CHECKING:
    from criteria_nlp.ir import CriteriaDocument, Criterion


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


def constraints_of(node: Node) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for item in walk(node):
        if isinstance(item, Comparison):
            rows.append(
                {
                    "variable": item.variable.id,
                    "mention": item.variable.mention,
                    "interval": _interval(item.operator, item.quantity.value),
                    "unit": item.quantity.unit,
                    "reference": None,
                    "span": [item.span.start, item.span.end],
                }
            )
        elif isinstance(item, Range):
            rows.append(
                {
                    "variable": item.variable.id,
                    "mention": item.variable.mention,
                    "interval": [
                        item.low.value if item.low else None,
                        item.low_inclusive if item.low else False,
                        item.high.value if item.high else None,
                        item.high_inclusive if item.high else False,
                    ],
                    "unit": _range_unit(item),
                    "reference": None,
                    "span": [item.span.start, item.span.end],
                }
            )
        elif isinstance(item, ReferenceMultiple):
            rows.append(
                {
                    "variable": item.variable.id,
                    "mention": item.variable.mention,
                    "interval": _interval(item.operator, item.factor),
                    "unit": f"x {item.reference}",
                    "reference": item.reference,
                    "span": [item.span.start, item.span.end],
                }
            )
        elif isinstance(item, Demographic) and item.attribute == "age":
            rows.append(
                {
                    "variable": "age",
                    "mention": "age",
                    "interval": [
                        item.low,
                        item.low_inclusive if item.low is not None else False,
                        item.high,
                        item.high_inclusive if item.high is not None else False,
                    ],
                    "unit": item.unit or "year",
                    "reference": None,
                    "span": [item.span.start, item.span.end],
                }
            )
    return rows


def criterion_record(criterion: Criterion) -> dict[str, Any]:
    return {
        "id": criterion.id,
        "section": criterion.section,
        "text": criterion.text,
        "constraints": constraints_of(criterion.expression),
    }


def constraint_records(document: CriteriaDocument) -> list[dict[str, Any]]:
    return [criterion_record(c) for c in document.criteria]
