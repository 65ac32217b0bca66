"""How the evaluation writes numbers, names and thresholds in its sentences (the decisions are made elsewhere)."""

from __future__ import annotations

from criteria_nlp.ir import Quantity


def fmt(value: float) -> str:
    """A number as a person would write it: up to 4 significant digits, no trailing zeros."""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:.0f}" if value == round(value) else f"{value:.1f}"
    return f"{value:.4g}"


def variable_name(variable_id: str) -> str:
    return variable_id.replace("_", " ")


def missing_measurement(variable_id: str, loinc: tuple[str, ...], within: str) -> str:
    """The datum that would decide a measurement: "lvef (LOINC 10230-1) within 12 months" (``within``: the plan's
    ``Lookback.within()``)."""
    code = f" (LOINC {loinc[0]})" if loinc else ""
    return f"{variable_id}{code} {within}"


def interval_text(
    low: Quantity | float | None, low_inclusive: bool, high: Quantity | float | None, high_inclusive: bool
) -> str:
    """ "[18, 65)" with "-inf"/"inf" for an open end; quantities as written, numbers through :func:`fmt`."""
    low_text = "-inf" if low is None else (str(low) if isinstance(low, Quantity) else fmt(low))
    high_text = "inf" if high is None else (str(high) if isinstance(high, Quantity) else fmt(high))
    return f"{'[' if low_inclusive else '('}{low_text}, {high_text}{']' if high_inclusive else ')'}"
