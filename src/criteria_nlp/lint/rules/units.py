"""Unit rules (``U…``): a unit that cannot apply to its variable."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from criteria_nlp.ir import Comparison, Diagnostic, Range
from criteria_nlp.lint.context import CriterionContext
from criteria_nlp.lint.model import Hit
from criteria_nlp.lint.registry import criterion_rule

# the units offered as alternatives, in this order, when they fit the variable's dimension
_COMMON_UNITS = (
    "mg/dL",
    "g/dL",
    "g/L",
    "mmol/L",
    "umol/L",
    "mEq/L",
    "U/L",
    "10^9/L",
    "10^3/uL",
    "1/uL",
    "%",
    "mmol/mol",
    "mL/min",
    "mL/min/1.73m^2",
    "mmHg",
    "1/min",
    "kg",
    "kg/m^2",
    "cm",
    "ms",
    "degC",
    "ng/mL",
    "pg/mL",
    "year",
)


@cache
def _expected_units(unit: str, molar_mass: float | None, analyte: str) -> tuple[str, ...]:
    from criteria_nlp.knowledge import units  # pint loads when a rule runs, not when a stored report is rendered

    found = [unit]
    for candidate in _COMMON_UNITS:
        if candidate != unit and units.compatible(candidate, unit, molar_mass=molar_mass, analyte=analyte):
            found.append(candidate)
    return tuple(found[:5])


def _unit_dimension(ctx: CriterionContext, diagnostic: Diagnostic) -> Hit:
    node = next(
        (n for n in ctx.nodes if isinstance(n, Comparison | Range) and n.span == diagnostic.span and n.variable.id),
        None,
    )
    message = diagnostic.message
    suggestion = diagnostic.suggestion
    variable = ctx.lexicon.variables.get(node.variable.id or "") if node is not None else None
    if node is not None and variable is not None and variable.unit:
        expected = _expected_units(variable.unit, variable.molar_mass, variable.id)
        quantity = node.quantity if isinstance(node, Comparison) else (node.low or node.high)
        written = quantity.unit if quantity is not None else None
        message = f"unit {written!r} cannot apply to {variable.name}; expected units: " + ", ".join(expected)
        if quantity is not None:
            suggestion = f"{node.variable.mention} … {quantity.value:g} {variable.unit}"
    return ctx.hit(diagnostic.span, message, suggestion)


@criterion_rule(
    "U001",
    "unit-dimension",
    "units",
    "error",
    description="A threshold whose unit cannot apply to its variable (dimension mismatch); the expected units are "
    "listed.",
    example="HbA1c < 7 mg",
    fix="HbA1c < 7 %",
)
def unit_dimension(ctx: CriterionContext) -> Iterator[Hit]:
    for diagnostic in ctx.criterion.diagnostics:
        if diagnostic.code == "unit-dimension":
            yield _unit_dimension(ctx, diagnostic)
