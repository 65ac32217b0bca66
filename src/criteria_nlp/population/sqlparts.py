"""SQL fragments the compiler assembles (written in DuckDB's dialect, parsed by sqlglot and emitted per dialect):
literals, the tolerant comparison of :func:`~criteria_nlp.evaluate.plan.holds`, and the interval tests of a value
reported with a comparator (:func:`~criteria_nlp.evaluate.measurements.test_outcome`).

Numbers are written as ``CAST('repr' AS DOUBLE)`` so that both engines read the same double (a bare ``50.0`` is a
DECIMAL in Spark).
"""

from __future__ import annotations

from datetime import date

from criteria_nlp.evaluate.plan import RELATIVE_TOLERANCE
from criteria_nlp.ir.interval import operator_interval

ABS_TOLERANCE = 1e-12  # plan._close's abs_tol


def text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def num(value: float) -> str:
    return f"CAST('{float(value)!r}' AS DOUBLE)"


def day(value: date) -> str:
    return f"DATE '{value.isoformat()}'"


def truth_code(expression: str) -> str:
    """A nullable boolean as 1 (TRUE), 0 (FALSE), 2 (unknown)."""
    return f"(CASE WHEN {expression} THEN 1 WHEN NOT {expression} THEN 0 ELSE 2 END)"


def close(a: str, b: str) -> str:
    """``math.isclose(a, b, rel_tol, abs_tol)`` as CPython computes it (finite values)."""
    rel, diff = num(RELATIVE_TOLERANCE), f"ABS(({b}) - ({a}))"
    return (
        f"(({a}) = ({b}) OR {diff} <= ABS({rel} * ({b})) OR {diff} <= ABS({rel} * ({a})) "
        f"OR {diff} <= {num(ABS_TOLERANCE)})"
    )


def holds(value: str, operator: str, bound: str) -> str:
    """:func:`~criteria_nlp.evaluate.plan.holds` (``bound`` a SQL expression): equality and inclusive bounds with
    the relative tolerance."""
    near = close(value, bound)
    if operator == "<":
        return f"(({value}) < {bound} AND NOT {near})"
    if operator == "<=":
        return f"(({value}) <= {bound} OR {near})"
    if operator == ">":
        return f"(({value}) > {bound} AND NOT {near})"
    if operator == ">=":
        return f"(({value}) >= {bound} OR {near})"
    if operator == "==":
        return near
    if operator == "!=":
        return f"(NOT {near})"
    raise ValueError(f"unknown comparison operator {operator!r}")


SqlInterval = tuple[str | None, bool, str | None, bool]  # ends as SQL expressions (None: unbounded)


def operator_ends(operator: str, bound: str) -> SqlInterval | None:
    """``operator_interval(operator, bound)`` with a SQL expression for the bound; None where it has none."""
    shape = operator_interval(operator, 0.0)  # type: ignore[arg-type]
    if shape is None:
        return None
    return (
        bound if shape.low is not None else None,
        shape.low_inclusive,
        bound if shape.high is not None else None,
        shape.high_inclusive,
    )


def _before(low: str, low_inclusive: bool, high: str, high_inclusive: bool) -> str:
    """``low`` may start an interval that ends at ``high`` (``Interval.is_empty`` of the two ends, negated)."""
    return f"({low} <= {high})" if low_inclusive and high_inclusive else f"({low} < {high})"


def interval_test(reported: SqlInterval, test: SqlInterval) -> str:
    """TRUE when ``reported`` lies inside ``test``, FALSE when they do not meet, else unknown (both non-empty), as
    ``Interval.covered_by`` / ``Interval.overlaps``; the ends' presence is known when compiling."""
    r_low, r_low_inc, r_high, r_high_inc = reported
    t_low, t_low_inc, t_high, t_high_inc = test
    covered: list[str] = []
    if t_low is not None:
        if r_low is None:
            covered.append("FALSE")
        else:
            covered.append(f"({r_low} >= {t_low})" if t_low_inc or not r_low_inc else f"({r_low} > {t_low})")
    if t_high is not None:
        if r_high is None:
            covered.append("FALSE")
        else:
            covered.append(f"({r_high} <= {t_high})" if t_high_inc or not r_high_inc else f"({r_high} < {t_high})")
    meets: list[str] = []
    if r_low is not None and t_high is not None:
        meets.append(_before(r_low, r_low_inc, t_high, t_high_inc))
    if t_low is not None and r_high is not None:
        meets.append(_before(t_low, t_low_inc, r_high, r_high_inc))
    inside = " AND ".join(covered) or "TRUE"
    overlap = " AND ".join(meets) or "TRUE"
    return f"(CASE WHEN {inside} THEN TRUE WHEN {overlap} THEN NULL ELSE FALSE END)"


COMPARATORS = ("<", "<=", ">", ">=")  # sources.patient.Comparator


def test_outcome(value: str, comparator: str, operator: str, bound: str, seen: tuple[str, ...] = COMPARATORS) -> str:
    """:func:`~criteria_nlp.evaluate.measurements.test_outcome` on a value column and its comparator column.
    ``seen``: the comparators the population holds; a branch for one it does not hold could never run (any other
    comparator is unknown, as before)."""
    test = operator_ends(operator, bound)
    branches = [f"WHEN {comparator} IS NULL THEN {holds(value, operator, bound)}"]
    if test is not None:
        for reported_operator in (c for c in COMPARATORS if c in seen):
            reported = operator_ends(reported_operator, value)
            assert reported is not None
            branches.append(f"WHEN {comparator} = {text(reported_operator)} THEN {interval_test(reported, test)}")
    return "(CASE " + " ".join(branches) + " ELSE NULL END)"


def age_test(low: str, high: str, operator: str, limit: float) -> str:
    """``demographics._age_test``: an exact age by :func:`holds`, an age interval [low, high] against the test."""
    exact = holds(f"CAST({low} AS DOUBLE)", operator, num(limit))
    test = operator_ends(operator, num(limit))
    ranged = "NULL" if test is None else interval_test((low, True, high, True), test)
    return f"(CASE WHEN {low} = {high} THEN {exact} ELSE {ranged} END)"
