"""Age and sex, read from the patient's birth date and recorded sex."""

from __future__ import annotations

from criteria_nlp.evaluate.context import EvaluationContext
from criteria_nlp.evaluate.dates import completed_age
from criteria_nlp.evaluate.index import PatientIndex
from criteria_nlp.evaluate.plan import AgePlan, Review, SexPlan, holds, plan_for
from criteria_nlp.evaluate.traces import review_trace, trace
from criteria_nlp.explain.trace import TraceNode, evidence_item
from criteria_nlp.ir import Node
from criteria_nlp.ir.logic import Truth


def evaluate_age(node: Node, plan: AgePlan, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    birth = index.patient.birth_date
    if birth is None:
        return trace(node, Truth.UNKNOWN, "no birth date recorded", threshold=plan.threshold, missing=("birth date",))
    if birth > ctx.index_date:
        return trace(
            node,
            Truth.UNKNOWN,
            f"birth date {birth} is after the index date {ctx.index_date}: needs review",
            threshold=plan.threshold,
        )
    age = completed_age(birth, ctx.index_date, plan.unit)
    outcome = Truth.of(all(holds(age, test.operator, test.limit) for test in plan.tests))
    evidence = (
        evidence_item(resource_type="Patient", resource_id=index.patient.id, text="birth date", date=str(birth)),
    )
    sentence = f"age {age} {plan.unit}s at {ctx.index_date} (born {birth}); age {plan.threshold} is {outcome.value}"
    return trace(node, outcome, sentence, evidence=evidence, threshold=plan.threshold)


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
