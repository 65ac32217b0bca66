"""Plans are data: what each leaf needs and how it is decided, read without evaluating a patient; and the k-of-n
container through the engine."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from criteria_nlp.errors import CriteriaEvaluationError
from criteria_nlp.evaluate import EVALUATORS, EvaluationContext, evaluate, plan_for
from criteria_nlp.evaluate.plan import (
    INACTIVE_CONDITION,
    AgePlan,
    MeasurementPlan,
    PresencePlan,
    ReferencePlan,
    Review,
    history_qualifiers,
)
from criteria_nlp.ir import (
    KINDS,
    All,
    AtLeast,
    Comparison,
    ConceptRef,
    Demographic,
    NotComputable,
    Presence,
    Quantity,
    ReferenceMultiple,
    Span,
    TemporalWindow,
    VariableRef,
)
from criteria_nlp.ir.logic import Truth
from criteria_nlp.screen import deciding_leaves
from criteria_nlp.sources.patient import Patient

SPAN = Span(start=0, end=1)
INDEX = date(2026, 11, 1)
T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN


@pytest.fixture()
def ctx() -> EvaluationContext:
    return EvaluationContext(index_date=INDEX)


def cmp(variable: str | None, operator: str, value: float, unit: str | None = None) -> Comparison:
    ref = VariableRef(id=variable, mention=variable or "zork", span=SPAN)
    return Comparison(span=SPAN, variable=ref, operator=operator, quantity=Quantity(value=value, unit=unit))  # type: ignore[arg-type]


def present(concept: str | None, window: TemporalWindow | None = None, **kw: object) -> Presence:
    ref = ConceptRef(id=concept, mention=concept or "frobnitis", span=SPAN, **kw)  # type: ignore[arg-type]
    return Presence(span=SPAN, concept=ref, window=window)


def test_measurement_plan_holds_variable_codes_threshold_conversion_and_lookback(ctx: EvaluationContext) -> None:
    plan = plan_for(cmp("creatinine", "<=", 133, "µmol/L"), ctx)
    assert isinstance(plan, MeasurementPlan)
    assert plan.variable == "creatinine"
    assert "2160-0" in plan.loinc
    assert plan.lexicon_unit == "mg/dL"
    (test,) = plan.tests
    assert (test.operator, test.limit, test.unit, test.assumed) == ("<=", 133, "umol/L", False)
    (conversion,) = plan.conversions
    assert (conversion.source, conversion.target) == ("mg/dL", "umol/L")
    assert conversion.slope == pytest.approx(10_000 / 113.12)  # 1 mg/dL = 10 mg/L over 113.12 g/mol = 88.4 µmol/L
    assert conversion.offset == pytest.approx(0)
    assert conversion.apply(1.5) == pytest.approx(132.6, rel=1e-3)
    assert "molar mass" in conversion.note
    assert (plan.lookback.months, plan.lookback.start, plan.lookback.end) == (12, date(2025, 11, 1), INDEX)
    assert plan.lookback.policy == "most_recent"


def test_a_plan_is_frozen_data_made_once_per_node_and_context(ctx: EvaluationContext) -> None:
    node = cmp("creatinine", "<=", 1.5, "mg/dL")
    plan = plan_for(node, ctx)
    assert plan_for(node, ctx) is plan
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.variable = "other"  # type: ignore[misc, union-attr]
    assert isinstance(plan, MeasurementPlan) and plan.conversions == ()  # threshold in the lexicon's unit
    wider = plan_for(node, EvaluationContext(index_date=INDEX, lookback_months=24))
    assert isinstance(wider, MeasurementPlan) and wider.lookback.start == date(2024, 11, 1)


def test_a_threshold_without_unit_takes_the_lexicon_unit_marked_assumed(ctx: EvaluationContext) -> None:
    plan = plan_for(cmp("creatinine", "<", 2), ctx)
    assert isinstance(plan, MeasurementPlan)
    assert plan.tests[0].unit == "mg/dL" and plan.tests[0].assumed
    assert plan.threshold == "< 2 mg/dL"
    assert plan.assumed_note is not None and "mg/dL is assumed" in plan.assumed_note


def test_reference_plan_reads_the_observation_range_first_then_the_lexicon_default(ctx: EvaluationContext) -> None:
    node = ReferenceMultiple(
        span=SPAN, variable=VariableRef(id="alt", mention="ALT", span=SPAN), operator="<=", factor=2.5, reference="ULN"
    )
    assert plan_for(node, ctx).sources == ("observation",)  # type: ignore[union-attr]  # issue 10 item 17
    ctx = EvaluationContext(index_date=ctx.index_date, assume_default_ranges=True)
    plan = plan_for(node, ctx)
    assert isinstance(plan, ReferencePlan)
    assert plan.sources == ("observation", "lexicon")
    assert (plan.default_limit, plan.default_unit) == (40, "U/L")
    assert (plan.operator, plan.factor, plan.reference) == ("<=", 2.5, "ULN")


def test_presence_plan_holds_code_sets_statuses_window_and_flags(ctx: EvaluationContext) -> None:
    six_months = TemporalWindow(max_ago=Quantity(value=6, unit="months"), span=SPAN)
    plan = plan_for(present("diabetes_mellitus", window=six_months), ctx)
    assert isinstance(plan, PresencePlan)
    assert plan.codes is not None and "73211009" in plan.codes.snomed
    assert ("E08", "E13") in plan.codes.icd10
    assert plan.inactive_condition == INACTIVE_CONDITION
    assert "refuted" in plan.ignored_verification and "provisional" in plan.unconfirmed_verification
    assert plan.window is not None and (plan.window.earliest, plan.window.latest) == (date(2026, 5, 1), INDEX)
    assert not plan.active_at_latest and plan.text_pattern is not None
    assert (plan.complete_flag, plan.record_list) == ("conditions_complete", "condition")
    pregnancy = plan_for(present("pregnancy"), ctx)
    assert isinstance(pregnancy, PresencePlan)
    assert (pregnancy.patient_flag, pregnancy.not_applicable_to) == ("pregnant", "male")
    assert pregnancy.active_at_latest


def test_history_qualifiers_are_data(ctx: EvaluationContext) -> None:
    assert {"history", "history of", "prior", "previous", "past", "ever"} <= history_qualifiers()
    plan = plan_for(present("diabetes_mellitus", qualifiers=("Prior",)), ctx)
    assert isinstance(plan, PresencePlan) and plan.historical and not plan.active_at_latest


def test_age_plan_counts_completed_units(ctx: EvaluationContext) -> None:
    plan = plan_for(Demographic(span=SPAN, attribute="age", low=18, high=65, high_inclusive=False), ctx)
    assert isinstance(plan, AgePlan)
    assert (plan.unit, plan.base, plan.factor) == ("year", "month", 12)
    assert [(t.operator, t.limit) for t in plan.tests] == [(">=", 18), ("<", 65)]
    weeks = plan_for(cmp("age", ">", 6, "weeks"), ctx)
    assert isinstance(weeks, AgePlan) and (weeks.unit, weeks.base, weeks.factor) == ("week", "day", 7)


def test_leaves_no_data_can_decide_plan_to_review(ctx: EvaluationContext) -> None:
    assert isinstance(plan_for(cmp(None, "<", 1), ctx), Review)
    assert isinstance(plan_for(cmp("creatinine", "<", 1, "furlongs"), ctx), Review)
    assert isinstance(plan_for(present("no_such_concept"), ctx), Review)
    minutes = TemporalWindow(max_ago=Quantity(value=30, unit="minutes"), span=SPAN)  # minutes are no window unit
    review = plan_for(present("diabetes_mellitus", window=minutes), ctx)
    assert isinstance(review, Review) and review.reason == "window unit 'minutes' is not a duration: needs review"


def test_only_leaves_have_plans_and_every_leaf_kind_an_evaluator(ctx: EvaluationContext) -> None:
    with pytest.raises(CriteriaEvaluationError, match="no plan for node kind 'all'"):
        plan_for(All(span=SPAN, children=()), ctx)
    assert {name for name, kind in KINDS.items() if kind.is_leaf} <= set(EVALUATORS)


# --- at least k of n, through the engine ---------------------------------------------------------------------------


def _leaf(outcome: Truth) -> Demographic | NotComputable:
    if outcome is U:
        return NotComputable(span=SPAN, category="consent", text="consent")
    return Demographic(span=SPAN, attribute="sex", sex="female" if outcome is T else "male")


@pytest.mark.parametrize(
    ("count", "children", "expected"),
    [
        (2, (T, T, F), T),  # 2 true >= 2
        (2, (T, U, T), T),
        (2, (T, F, F), F),  # 2 false > 3 - 2: the rest cannot reach 2
        (3, (T, T, F), F),
        (2, (T, U, F), U),
        (2, (U, U, U), U),
        (1, (F, F, U), U),
        (3, (T, T, T), T),
    ],
)
def test_at_least_is_true_at_k_true_false_past_n_minus_k_false_else_unknown(
    ctx: EvaluationContext, count: int, children: tuple[Truth, ...], expected: Truth
) -> None:
    node = AtLeast(span=SPAN, count=count, children=tuple(_leaf(c) for c in children))
    trace = evaluate(node, Patient(id="p", sex="female"), ctx)
    assert trace.outcome is expected
    assert trace.kind == "at_least" and trace.label == f"at least {count} of"
    assert [child.outcome for child in trace.children] == list(children)
    assert trace.sentence.startswith(f"at least {count} of {len(children)} (")
    decided = deciding_leaves(trace)
    matching = [child for child in trace.children if child.outcome is expected]
    assert decided == (matching or list(trace.children))


def test_a_context_that_keeps_fixed_traces_makes_them_once_and_changes_no_trace() -> None:
    from criteria_nlp.pipeline import parse_criteria
    from criteria_nlp.resources import corpus_path
    from criteria_nlp.sources import load_patient

    doc = parse_criteria(corpus_path("trials", "NCT03219801.txt").read_text(encoding="utf-8"))
    patients = [load_patient(path) for path in sorted(corpus_path("patients").glob("*.json"))]
    plain = EvaluationContext(index_date=date(2026, 11, 1))
    keeping = EvaluationContext(index_date=date(2026, 11, 1), keep_fixed_traces=True)
    for patient in patients:
        for criterion in doc.criteria:
            assert evaluate(criterion.expression, patient, keeping) == evaluate(criterion.expression, patient, plain)
    assert not plain.fixed
    fixed = [trace for _, trace in keeping.fixed.values() if trace is not None]
    assert fixed and all(trace.outcome is Truth.UNKNOWN for trace in fixed)
    consent = next(c.expression for c in doc.criteria if c.expression.kind == "not_computable")
    assert evaluate(consent, patients[0], keeping) is evaluate(consent, patients[1], keeping)
