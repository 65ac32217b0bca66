"""Thresholds checked against what their variable can physically take (the lexicon's plausible range).

* A number with dots every three digits ("Platelets ≥ 100.000/µL") is a European thousands separator or a decimal
  point: it is read the one way whose value lies in the plausible range; when neither or both do, the threshold is
  unparsed with the reason (never a silent 100).
* A threshold ten times beyond the plausible range ("age ≥ 1e199", "Hb ≥ 900 g/dL") is unparsed with the reason:
  it decides nothing.
"""

from __future__ import annotations

import re

from criteria_nlp.check.context import CheckContext
from criteria_nlp.ir import (
    Comparison,
    Demographic,
    Diagnostic,
    Node,
    Quantity,
    Range,
    Unparsed,
    children_of,
    map_children,
)
from criteria_nlp.knowledge.lexicon import Variable
from criteria_nlp.knowledge.plausibility import has_plausible_range, in_variable_unit, plausible, range_text

_DOTTED = re.compile(r"(?<![\d.,])[1-9]\d{0,2}(?:\.\d{3})+(?![\d.,])")
_ABSURD = 10.0
_THRESHOLDS = (Comparison, Range, Demographic)


def check_plausible_thresholds(node: Node, context: CheckContext) -> Node:
    """The pass: each comparison, range or age interval with an ambiguous or absurd number is fixed or unparsed."""
    if context.types(node).isdisjoint(_THRESHOLDS):
        return node  # most criteria hold no threshold: the tree is not rebuilt node by node for nothing
    return _checked(node, context)


def _checked(node: Node, context: CheckContext) -> Node:
    if children_of(node):
        return map_children(node, lambda child: _checked(child, context))
    if isinstance(node, Comparison | Range):
        variable = context.lexicon.variables.get(node.variable.id or "")
        if variable is None or not has_plausible_range(variable):
            return _no_range(node, context)
        return _measurement(node, variable, context)
    if isinstance(node, Demographic) and node.attribute == "age":
        variable = context.lexicon.variables.get("age")
        if variable is not None:
            for bound in (node.low, node.high):
                if bound is not None and _absurd(variable, bound, node.unit):
                    return _unparsed(node, context, f"age {bound:g} {node.unit or 'year'} is not a possible age")
    return node


def _quantities(node: Comparison | Range) -> list[Quantity]:
    if isinstance(node, Comparison):
        return [node.quantity]
    return [q for q in (node.low, node.high) if q is not None]


def _dotted_numbers(node: Node, context: CheckContext) -> list[str]:
    if not context.text or "." not in context.text[node.span.start : node.span.end]:
        return []
    return _DOTTED.findall(context.text, node.span.start, node.span.end)


def _no_range(node: Comparison | Range, context: CheckContext) -> Node:
    """Without a plausible range a dotted thousands number cannot be decided either way."""
    for written in _dotted_numbers(node, context):
        if any(q.value == float(written) for q in _quantities(node)):
            return _unparsed(
                node,
                context,
                f"{written!r} is a thousands separator ({_thousands(written):g}) or a decimal point "
                f"({float(written):g}); the variable gives no plausible range to decide",
            )
    return node


def _measurement(node: Comparison | Range, variable: Variable, context: CheckContext) -> Node:
    replaced: dict[float, float] = {}
    for written in _dotted_numbers(node, context):
        decimal = float(written)
        quantity = next((q for q in _quantities(node) if q.value == decimal), None)
        if quantity is None:
            continue
        unit = quantity.unit_normalized
        as_decimal = plausible(variable, decimal, unit)
        as_thousands = plausible(variable, _thousands(written), unit)
        if as_decimal and not as_thousands:
            continue
        if as_thousands and not as_decimal:
            replaced[decimal] = _thousands(written)
            continue
        return _unparsed(
            node,
            context,
            f"{written!r} is a thousands separator ({_thousands(written):g}) or a decimal point ({decimal:g}); "
            f"{'both' if as_decimal else 'neither'} fit {variable.name} ({range_text(variable)})",
        )
    for quantity in _quantities(node):
        value = replaced.get(quantity.value, quantity.value)
        if _absurd(variable, value, quantity.unit_normalized):
            return _unparsed(
                node,
                context,
                f"threshold {value:g} {quantity.unit or ''} is far outside what {variable.name} can take "
                f"({range_text(variable)})".replace("  ", " "),
            )
    if not replaced:
        return node
    context.diagnostics.append(
        Diagnostic(
            code="thousands-separator",
            severity="info",
            message=", ".join(f"{old:g} read as {new:g} (a thousands separator)" for old, new in replaced.items())
            + f": the only reading that fits {variable.name} ({range_text(variable)})",
            span=node.span,
        )
    )
    return _with_values(node, replaced)


def _with_values(node: Comparison | Range, replaced: dict[float, float]) -> Node:
    def fixed(quantity: Quantity | None) -> Quantity | None:
        if quantity is None or quantity.value not in replaced:
            return quantity
        return quantity.model_copy(update={"value": replaced[quantity.value]})

    if isinstance(node, Comparison):
        return node.model_copy(update={"quantity": fixed(node.quantity)})
    return node.model_copy(update={"low": fixed(node.low), "high": fixed(node.high)})


def _thousands(written: str) -> float:
    return float(written.replace(".", ""))


def _absurd(variable: Variable, value: float, unit: str | None) -> bool:
    converted = in_variable_unit(variable, value, unit)
    low, high = variable.plausible
    if converted is None:
        # no unit converts a negative number into a positive one (a body temperature is never below 0 °F either), so
        # a negative threshold on a variable that cannot be negative is absurd whatever its unit ("height < -3")
        return value < 0 and low is not None and low >= 0
    too_high = high is not None and converted > max(high, 1.0) * _ABSURD
    too_low = low is not None and (converted < 0 <= low or (low > 0 and converted < low / _ABSURD))
    return too_high or too_low


def _unparsed(node: Node, context: CheckContext, reason: str) -> Node:
    """The node as unparsed text; ``report_unparsed`` turns the reason into the criterion's diagnostic."""
    text = context.text[node.span.start : node.span.end] if context.text else reason
    return Unparsed(span=node.span, text=text, reason=reason)
