"""Age and sex, read from the patient's birth date and recorded sex."""

from __future__ import annotations

import calendar
from datetime import date

from criteria_nlp.evaluate.context import EvaluationContext
from criteria_nlp.evaluate.dates import completed_age
from criteria_nlp.evaluate.index import PatientIndex
from criteria_nlp.evaluate.plan import AgePlan, Review, SexPlan, holds, plan_for
from criteria_nlp.evaluate.traces import review_trace, trace
from criteria_nlp.explain.trace import TraceNode, evidence_item
from criteria_nlp.ir import Node
from criteria_nlp.ir.interval import Interval, operator_interval
from criteria_nlp.ir.logic import Truth, all_of


def evaluate_age(node: Node, plan: AgePlan, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    birth = index.patient.birth_date
    if birth is None:
        return trace(node, Truth.UNKNOWN, "no birth date recorded", threshold=plan.threshold, missing=("birth date",))
    latest = _latest_birth(birth, index.patient.birth_date_precision)
    if latest > ctx.index_date:
        return trace(
            node,
            Truth.UNKNOWN,
            f"birth date {birth} is after the index date {ctx.index_date}: needs review",
            threshold=plan.threshold,
        )
    oldest = completed_age(birth, ctx.index_date, "year")
    limit = ctx.lexicon.variables["age"].plausible[1] if "age" in ctx.lexicon.variables else None
    if limit is not None and oldest > limit:
        return trace(
            node,
            Truth.UNKNOWN,
            f"born {birth}: age {oldest} years at {ctx.index_date} is not plausible (above {limit:g}); the birth date "
            "is taken for a data error: needs review",
            threshold=plan.threshold,
            missing=("a plausible birth date",),
        )
    low, high = age_bounds(birth, index.patient.birth_date_precision, ctx.index_date, plan.unit)
    outcome = all_of(_age_test(low, high, test.operator, test.limit) for test in plan.tests)
    evidence = (
        evidence_item(resource_type="Patient", resource_id=index.patient.id, text="birth date", date=str(birth)),
    )
    if low == high:
        sentence = (
            f"age {high} {plan.unit}s at {ctx.index_date} (born {birth}); age {plan.threshold} is {outcome.value}"
        )
    elif latest == birth:
        reason = _anniversary_reason(birth, plan.unit)
        sentence = (
            f"age {low} or {high} {plan.unit}s at {ctx.index_date} (born {birth}: {reason}); age {plan.threshold} "
            f"is {outcome.value}"
        )
    else:
        sentence = (
            f"age {low}–{high} {plan.unit}s at {ctx.index_date} (birth date recorded only as "
            f"{index.patient.birth_date_precision} {birth:%Y-%m}); age {plan.threshold} is {outcome.value}"
        )
    return trace(node, outcome, sentence, evidence=evidence, threshold=plan.threshold)


def age_bounds(birth: date, precision: str, on: date, unit: str) -> tuple[int, int]:
    """The completed age on ``on`` as [low, high]: an interval when the birth date was recorded as a year or a month,
    or when the anniversary falls on a day the index month lacks (see :func:`missing_anniversary`)."""
    low = completed_age(_latest_birth(birth, precision), on, unit)
    high = completed_age(birth, on, unit)
    if precision == "day" and missing_anniversary(birth, on, unit):
        high += 1
    return low, high


def missing_anniversary(birth: date, on: date, unit: str) -> bool:
    """Whether ``on`` is the last day of a month that lacks the birth's day (29 February in a common year, 30 April for
    someone born on the 31st) and the age in ``unit`` turns that day or the next: jurisdictions differ (some count a
    29 February birthday on 28 February, others on 1 March), so the age is unknown by one at that boundary.
    :func:`completed_age` counts the next day; the other convention is one more."""
    last = calendar.monthrange(on.year, on.month)[1]
    if unit not in ("year", "month") or on.day != last or birth.day <= last:
        return False
    return unit == "month" or birth.month == on.month


def _anniversary_reason(birth: date, unit: str) -> str:
    if (birth.month, birth.day) == (2, 29):
        return "a 29 February birthday counts on 28 February or on 1 March in a common year, by the jurisdiction"
    return f"a {unit}'s anniversary on day {birth.day} counts on the month's last day or on the next, by the convention"


def _latest_birth(birth: date, precision: str) -> date:
    """The last day a birth date recorded as a year or a month may stand for."""
    if precision == "year":
        return date(birth.year, 12, 31)
    if precision == "month":
        return date(birth.year, birth.month, calendar.monthrange(birth.year, birth.month)[1])
    return birth


def _age_test(low: int, high: int, operator: str, limit: float) -> Truth:
    """A test on an age known to lie in [low, high]: unknown when the threshold falls inside."""
    if low == high:
        return Truth.of(holds(low, operator, limit))
    test = operator_interval(operator, limit)  # type: ignore[arg-type]
    if test is None:
        return Truth.UNKNOWN
    ages = Interval(low, True, high, True)
    if ages.covered_by([test]):
        return Truth.TRUE
    return Truth.UNKNOWN if ages.overlaps(test) else Truth.FALSE


def evaluate_sex(node: Node, plan: SexPlan, index: PatientIndex) -> TraceNode:
    recorded = index.patient.sex
    evidence = (evidence_item(resource_type="Patient", resource_id=index.patient.id, text=f"sex {recorded}"),)
    if recorded not in ("female", "male"):
        return trace(
            node,
            Truth.UNKNOWN,
            f"sex recorded as {recorded or 'nothing'}; the criterion asks for {plan.sex}",
            evidence=evidence,
            missing=("sex",),
        )
    outcome = Truth.of(recorded == plan.sex)
    return trace(node, outcome, f"sex {recorded}; {plan.sex} is {outcome.value}", evidence=evidence)


def eval_demographic(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    plan = plan_for(node, ctx)
    if isinstance(plan, Review):
        return review_trace(node, plan)
    if isinstance(plan, SexPlan):
        return evaluate_sex(node, plan, index)
    assert isinstance(plan, AgePlan)
    return evaluate_age(node, plan, index, ctx)
