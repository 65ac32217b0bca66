"""Each semantic rule of the rule engine, on hand-built IR and hand-built patients."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from criteria_nlp.errors import CriteriaEvaluationError
from criteria_nlp.evaluate import EvaluationContext, completed_age, evaluate, months_before
from criteria_nlp.ir import (
    All,
    Any_,
    Comparison,
    ConceptRef,
    Conditional,
    Demographic,
    Not,
    NotComputable,
    Presence,
    Quantity,
    Range,
    ReferenceMultiple,
    Span,
    TemporalWindow,
    Unparsed,
    VariableRef,
)
from criteria_nlp.ir.logic import Truth, all_of, any_of
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.sources.patient import Condition, Medication, Observation, Patient, Procedure

SPAN = Span(start=0, end=1)
INDEX = date(2026, 11, 1)
T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN


@pytest.fixture(scope="module")
def ctx() -> EvaluationContext:
    return EvaluationContext(index_date=INDEX)


def var(variable_id: str | None, mention: str | None = None) -> VariableRef:
    return VariableRef(id=variable_id, mention=mention or variable_id or "?", span=SPAN)


def qty(value: float, unit: str | None = None) -> Quantity:
    return Quantity(value=value, unit=unit)


def cmp(variable_id: str | None, op: str, value: float, unit: str | None = None) -> Comparison:
    return Comparison(span=SPAN, variable=var(variable_id), operator=op, quantity=qty(value, unit))  # type: ignore[arg-type]


def present(concept_id: str | None, mention: str = "", window: TemporalWindow | None = None, **kw: Any) -> Presence:
    return Presence(
        span=SPAN,
        concept=ConceptRef(id=concept_id, mention=mention or concept_id or "?", span=SPAN, **kw),
        window=window,
    )


def obs(
    variable: str, value: float | None, unit: str | None, when: str, oid: str | None = None, **kw: Any
) -> Observation:
    return Observation(
        id=oid or f"{variable}-{when}",
        variable=variable,
        value=value,
        unit=unit,
        effective=datetime.fromisoformat(when),
        **kw,
    )


def patient(**kw: Any) -> Patient:
    fields: dict[str, Any] = {"id": "p1", "birth_date": date(1980, 6, 15), "sex": "female"}
    fields.update(kw)
    return Patient(**fields)


def leaf(outcome: Truth) -> Any:
    """A node whose outcome is fixed: TRUE/FALSE through sex, UNKNOWN through not_computable."""
    if outcome is U:
        return NotComputable(span=SPAN, category="consent", text="consent")
    return Demographic(span=SPAN, attribute="sex", sex="female" if outcome is T else "male")


# --- three-valued logic -------------------------------------------------------------------------------------------

TRUTHS = [T, F, U]


@pytest.mark.parametrize("a", TRUTHS)
@pytest.mark.parametrize("b", TRUTHS)
def test_all_any_not_truth_tables(ctx: EvaluationContext, a: Truth, b: Truth) -> None:
    p = patient()
    expected_and = F if F in (a, b) else (U if U in (a, b) else T)
    expected_or = T if T in (a, b) else (U if U in (a, b) else F)
    assert evaluate(All(span=SPAN, children=(leaf(a), leaf(b))), p, ctx).outcome is expected_and
    assert evaluate(Any_(span=SPAN, children=(leaf(a), leaf(b))), p, ctx).outcome is expected_or
    assert evaluate(Not(span=SPAN, child=leaf(a)), p, ctx).outcome is {T: F, F: T, U: U}[a]


def test_empty_all_and_any(ctx: EvaluationContext) -> None:
    assert evaluate(All(span=SPAN, children=()), patient(), ctx).outcome is T
    assert evaluate(Any_(span=SPAN, children=()), patient(), ctx).outcome is F
    assert all_of([]) is T and any_of([]) is F


@pytest.mark.parametrize(
    ("when", "then", "otherwise", "expected"),
    [
        (T, F, None, F),
        (F, F, None, T),
        (U, T, None, T),
        (U, F, None, U),
        (F, T, F, F),
        (U, F, F, F),
        (U, T, F, U),
    ],
)
def test_conditional(
    ctx: EvaluationContext, when: Truth, then: Truth, otherwise: Truth | None, expected: Truth
) -> None:
    node = Conditional(
        span=SPAN, when=leaf(when), then=leaf(then), otherwise=leaf(otherwise) if otherwise is not None else None
    )
    assert evaluate(node, patient(), ctx).outcome is expected


def test_not_computable_and_unparsed_need_review(ctx: EvaluationContext) -> None:
    trace = evaluate(NotComputable(span=SPAN, category="consent", text="signs consent"), patient(), ctx)
    assert trace.outcome is U and "needs review" in trace.sentence
    trace = evaluate(Unparsed(span=SPAN, text="blah", reason="no grammar rule"), patient(), ctx)
    assert trace.outcome is U and "needs review" in trace.sentence and "no grammar rule" in trace.sentence


def test_unknown_node_kind_fails_fast(ctx: EvaluationContext) -> None:
    bogus = leaf(T).model_copy(update={"kind": "frobnicate"})
    with pytest.raises(CriteriaEvaluationError, match="frobnicate"):
        evaluate(bogus, patient(), ctx)


# --- comparisons, units ---------------------------------------------------------------------------------------------


def test_missing_value_is_unknown_with_missing_datum(ctx: EvaluationContext) -> None:
    trace = evaluate(cmp("lvef", ">=", 50, "%"), patient(), ctx)
    assert trace.outcome is U
    assert trace.missing == ("lvef (LOINC 10230-1) within 12 months",)


def test_creatinine_umol_vs_mg_dl(ctx: EvaluationContext) -> None:
    p = patient(observations=(obs("creatinine", 132, "µmol/L", "2026-10-02"),))
    trace = evaluate(cmp("creatinine", "<=", 1.5, "mg/dL"), p, ctx)
    assert trace.outcome is T
    assert "1.493 mg/dL" in trace.sentence and "molar mass" in trace.conversions[0]
    assert evaluate(cmp("creatinine", "<=", 1.4, "mg/dL"), p, ctx).outcome is F
    # and the other way: a mg/dL value against a µmol/L threshold
    p2 = patient(observations=(obs("creatinine", 1.0, "mg/dL", "2026-10-02"),))
    assert evaluate(cmp("creatinine", "<=", 88.5, "umol/L"), p2, ctx).outcome is T  # 88.40 µmol/L
    assert evaluate(cmp("creatinine", "<", 88.0, "umol/L"), p2, ctx).outcome is F


def test_boundary_value_after_conversion_is_inclusive(ctx: EvaluationContext) -> None:
    molar = load_lexicon().variable("creatinine").molar_mass
    assert molar is not None
    exactly_one = 1.0 * 10 / molar * 1000  # 1 mg/dL in µmol/L with the lexicon's molar mass
    p = patient(observations=(obs("creatinine", exactly_one, "umol/L", "2026-10-02"),))
    assert evaluate(cmp("creatinine", "<=", 1.0, "mg/dL"), p, ctx).outcome is T
    assert evaluate(cmp("creatinine", "<", 1.0, "mg/dL"), p, ctx).outcome is F


def test_hba1c_percent_vs_mmol_per_mol(ctx: EvaluationContext) -> None:
    p = patient(observations=(obs("hba1c", 7.0, "%", "2026-10-02"),))
    # 7 % NGSP = 10.929 * (7 - 2.15) = 53.0 mmol/mol IFCC
    assert evaluate(cmp("hba1c", "<", 53.5, "mmol/mol"), p, ctx).outcome is T
    trace = evaluate(cmp("hba1c", "<", 52.5, "mmol/mol"), p, ctx)
    assert trace.outcome is F
    assert "IFCC" in trace.conversions[0]
    p2 = patient(observations=(obs("hba1c", 63, "mmol/mol", "2026-10-02"),))
    assert evaluate(cmp("hba1c", "<", 8.0, "%"), p2, ctx).outcome is T  # 63 / 10.929 + 2.15 = 7.91 %
    p3 = patient(observations=(obs("hba1c", 64, "mmol/mol", "2026-10-02"),))
    assert evaluate(cmp("hba1c", "<", 8.0, "%"), p3, ctx).outcome is F  # 8.006 %


def test_incompatible_units_are_unknown_not_an_exception(ctx: EvaluationContext) -> None:
    p = patient(observations=(obs("hemoglobin", 13.0, "g/dL", "2026-10-02"),))
    trace = evaluate(cmp("hemoglobin", ">=", 9, "mmHg"), p, ctx)
    assert trace.outcome is U
    assert "cannot be converted" in trace.sentence


def test_threshold_without_unit_assumes_lexicon_unit(ctx: EvaluationContext) -> None:
    p = patient(observations=(obs("hemoglobin", 13.0, "g/dL", "2026-10-02"),))
    trace = evaluate(cmp("hemoglobin", ">=", 9), p, ctx)
    assert trace.assumed
    assert trace.outcome is not U


def test_unknown_variable_is_unknown(ctx: EvaluationContext) -> None:
    trace = evaluate(cmp(None, ">", 3), patient(), ctx)
    assert trace.outcome is U and "not a variable" in trace.sentence


def test_range_inclusive_and_exclusive(ctx: EvaluationContext) -> None:
    p = patient(observations=(obs("hemoglobin", 12.0, "g/dL", "2026-10-02"),))

    def rng(low: float, high: float, high_inclusive: bool = True) -> Range:
        return Range(
            span=SPAN,
            variable=var("hemoglobin"),
            low=qty(low, "g/dL"),
            high=qty(high, "g/dL"),
            high_inclusive=high_inclusive,
        )

    assert evaluate(rng(9, 12), p, ctx).outcome is T
    assert evaluate(rng(9, 12, high_inclusive=False), p, ctx).outcome is F
    # bounds in g/L: 12 g/dL = 120 g/L
    assert (
        evaluate(
            Range(span=SPAN, variable=var("hemoglobin"), low=qty(100, "g/L"), high=qty(130, "g/L")), p, ctx
        ).outcome
        is T
    )


# --- reference ranges -------------------------------------------------------------------------------------------


def test_reference_multiple_uses_the_observations_own_range(ctx: EvaluationContext) -> None:
    p = patient(observations=(obs("alt", 96, "U/L", "2026-10-02", reference_low=7, reference_high=40),))
    node = ReferenceMultiple(span=SPAN, variable=var("alt"), operator=">", factor=2, reference="ULN")
    trace = evaluate(node, p, ctx)
    assert trace.outcome is T
    assert not trace.assumed
    assert "reference range of the observation" in trace.sentence
    assert "2 × ULN = 80 U/L" in trace.sentence
    node = ReferenceMultiple(span=SPAN, variable=var("alt"), operator="<=", factor=2.5, reference="ULN")
    assert evaluate(node, p, ctx).outcome is T


def test_reference_multiple_falls_back_to_assumed_lexicon_range(ctx: EvaluationContext) -> None:
    ctx = EvaluationContext(index_date=ctx.index_date, assume_default_ranges=True)  # issue 10 item 17: opt in
    reference = load_lexicon().variable("creatinine").reference
    assert reference is not None and reference.high is not None
    p = patient(observations=(obs("creatinine", 132, "µmol/L", "2026-10-02"),))
    node = ReferenceMultiple(span=SPAN, variable=var("creatinine"), operator=">", factor=2, reference="ULN")
    trace = evaluate(node, p, ctx)
    assert trace.assumed
    assert "assumed" in trace.sentence
    assert trace.outcome is F  # 132 µmol/L is 1.49 mg/dL, well under twice any creatinine ULN


# --- time: look-back and windows --------------------------------------------------------------------------------


def test_most_recent_value_within_lookback_wins(ctx: EvaluationContext) -> None:
    p = patient(
        observations=(
            obs("lvef", 40, "%", "2026-03-01"),
            obs("lvef", 60, "%", "2026-09-01"),
            obs("lvef", 30, "%", "2027-01-01"),  # after the index date
        )
    )
    trace = evaluate(cmp("lvef", ">=", 50, "%"), p, ctx)
    assert trace.outcome is T
    assert trace.evidence[0].resource_id == "lvef-2026-09-01"
    assert "after the index date" in trace.sentence


def test_values_older_than_lookback_are_ignored_and_said_so(ctx: EvaluationContext) -> None:
    p = patient(observations=(obs("lvef", 60, "%", "2025-10-31"),))
    trace = evaluate(cmp("lvef", ">=", 50, "%"), p, ctx)
    assert trace.outcome is U
    assert "look-back" in trace.sentence and "2025-10-31" in trace.sentence
    wide = EvaluationContext(index_date=INDEX, lookback_months=24)
    assert evaluate(cmp("lvef", ">=", 50, "%"), p, wide).outcome is T
    # the look-back boundary itself is included
    p = patient(observations=(obs("lvef", 60, "%", "2025-11-01"),))
    assert evaluate(cmp("lvef", ">=", 50, "%"), p, ctx).outcome is T


def test_months_before_clamps_month_end() -> None:
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 11, 1), 12) == date(2025, 11, 1)
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)


def test_presence_window(ctx: EvaluationContext) -> None:
    lex = load_lexicon()
    code = lex.concept("myocardial_infarction").snomed[0]
    mi = Condition(
        id="mi",
        system="http://snomed.info/sct",
        code=code,
        onset=datetime(2026, 6, 1),
        abatement=datetime(2026, 6, 20),
        clinical_status="resolved",
    )
    p = patient(conditions=(mi,), conditions_complete=True)
    within_6 = TemporalWindow(max_ago=qty(6, "month"), span=SPAN)
    within_3 = TemporalWindow(max_ago=qty(3, "month"), span=SPAN)
    assert evaluate(present("myocardial_infarction", window=within_6), p, ctx).outcome is T
    assert evaluate(present("myocardial_infarction", window=within_3), p, ctx).outcome is F
    assert evaluate(present("myocardial_infarction"), p, ctx).outcome is F  # not active at the index date
    assert evaluate(present("myocardial_infarction", qualifiers=("history",)), p, ctx).outcome is T
    at_least_6 = TemporalWindow(min_ago=qty(6, "month"), span=SPAN)
    assert evaluate(present("myocardial_infarction", window=at_least_6), p, ctx).outcome is F


# --- age and sex ------------------------------------------------------------------------------------------------


def test_age_in_completed_years_at_index_date(ctx: EvaluationContext) -> None:
    assert completed_age(date(1966, 11, 2), INDEX) == 59
    assert completed_age(date(1966, 11, 1), INDEX) == 60
    node = Demographic(span=SPAN, attribute="age", low=14, high=60, unit="year")
    assert evaluate(node, patient(birth_date=date(1966, 11, 2)), ctx).outcome is T
    assert evaluate(node, patient(birth_date=date(1966, 11, 1)), ctx).outcome is T
    assert evaluate(node, patient(birth_date=date(1965, 10, 31)), ctx).outcome is F  # 61
    assert evaluate(node, patient(birth_date=date(2012, 11, 2)), ctx).outcome is F  # 13
    exclusive = Demographic(span=SPAN, attribute="age", low=18, low_inclusive=False)
    assert evaluate(exclusive, patient(birth_date=date(2008, 11, 1)), ctx).outcome is F  # exactly 18
    unknown = evaluate(node, patient(birth_date=None), ctx)
    assert unknown.outcome is U and unknown.missing == ("birth date",)


def test_age_as_comparison_and_in_months(ctx: EvaluationContext) -> None:
    assert evaluate(cmp("age", ">=", 18, "years"), patient(birth_date=date(2008, 11, 1)), ctx).outcome is T
    months = Demographic(span=SPAN, attribute="age", high=6, unit="month")
    assert evaluate(months, patient(birth_date=date(2026, 5, 2)), ctx).outcome is T
    assert evaluate(months, patient(birth_date=date(2026, 4, 1)), ctx).outcome is F


def test_sex(ctx: EvaluationContext) -> None:
    female = Demographic(span=SPAN, attribute="sex", sex="female")
    assert evaluate(female, patient(sex="female"), ctx).outcome is T
    assert evaluate(female, patient(sex="male"), ctx).outcome is F
    assert evaluate(female, patient(sex=None), ctx).outcome is U


# --- presence ---------------------------------------------------------------------------------------------------


def test_presence_by_snomed_code_including_listed_descendants(ctx: EvaluationContext) -> None:
    concept = load_lexicon().concept("tuberculosis")
    past_forms = {"11999007"}  # inactive tuberculosis: corpora/lexicon/code_states.tsv
    for code in concept.snomed:
        condition = Condition(id="c", system="http://snomed.info/sct", code=code, clinical_status="active")
        trace = evaluate(present("tuberculosis"), patient(conditions=(condition,)), ctx)
        assert trace.outcome is (U if code in past_forms else T), code
        assert trace.evidence[0].resource_id == "c"
    assert past_forms <= set(concept.snomed)


def test_a_code_of_a_past_or_latent_form_is_unsure_now_and_counts_as_history(ctx: EvaluationContext) -> None:
    latent = Condition(id="c", system="http://hl7.org/fhir/sid/icd-10-cm", code="Z22.7", clinical_status="active")
    now = evaluate(present("tuberculosis", qualifiers=("active",)), patient(conditions=(latent,)), ctx)
    assert now.outcome is U
    assert "past, latent or inactive form" in now.sentence
    history = evaluate(present("tuberculosis", qualifiers=("history",)), patient(conditions=(latent,)), ctx)
    assert history.outcome is T
    active = latent.model_copy(update={"code": "A15.0"})
    assert evaluate(present("tuberculosis", qualifiers=("active",)), patient(conditions=(active,)), ctx).outcome is T


def test_a_state_qualifier_makes_a_record_of_the_concept_at_most_unknown(ctx: EvaluationContext) -> None:
    record = Condition(id="c", system="http://hl7.org/fhir/sid/icd-10-cm", code="I10", clinical_status="active")
    trace = evaluate(present("hypertension", qualifiers=("uncontrolled",)), patient(conditions=(record,)), ctx)
    assert trace.outcome is U
    assert "uncontrolled" in trace.sentence
    assert evaluate(present("hypertension"), patient(conditions=(record,)), ctx).outcome is T
    complete = patient(conditions=(), conditions_complete=True)
    assert evaluate(present("hypertension", qualifiers=("uncontrolled",)), complete, ctx).outcome is F


def test_presence_by_icd10_prefix(ctx: EvaluationContext) -> None:
    concept = load_lexicon().concept("type_2_diabetes")
    first = concept.icd10[0].split("-")[0].replace(".", "")
    code = first[:3] + "." + (first[3:] or "9")
    condition = Condition(id="c", system="http://hl7.org/fhir/sid/icd-10-cm", code=code, clinical_status="active")
    assert evaluate(present("type_2_diabetes"), patient(conditions=(condition,)), ctx).outcome is T
    other = condition.model_copy(update={"code": "Z99.9"})
    assert (
        evaluate(present("type_2_diabetes"), patient(conditions=(other,), conditions_complete=True), ctx).outcome is F
    )


def test_presence_by_icd10_range(ctx: EvaluationContext) -> None:
    # the lexicon writes tuberculosis as the category range A15-A19
    for code, expected in (("A17.0", T), ("A19", T), ("A15.0", T), ("A20.1", F), ("A14", F)):
        condition = Condition(id="c", system="icd10", code=code, clinical_status="active")
        result = evaluate(present("tuberculosis"), patient(conditions=(condition,), conditions_complete=True), ctx)
        assert result.outcome is expected, code


def test_abated_or_resolved_is_not_active(ctx: EvaluationContext) -> None:
    code = load_lexicon().concept("tuberculosis").snomed[0]
    abated = Condition(id="c", system="snomed", code=code, onset=datetime(2020, 1, 1), abatement=datetime(2021, 1, 1))
    resolved = Condition(id="d", system="snomed", code=code, clinical_status="resolved")
    for condition in (abated, resolved):
        assert (
            evaluate(present("tuberculosis"), patient(conditions=(condition,), conditions_complete=True), ctx).outcome
            is F
        )
        # with an incomplete record, a resolved entry does not rule out an active one elsewhere
        assert evaluate(present("tuberculosis"), patient(conditions=(condition,)), ctx).outcome is U
    # abatement after the index date: still active at the index date
    later = abated.model_copy(update={"abatement": datetime(2027, 1, 1)})
    assert evaluate(present("tuberculosis"), patient(conditions=(later,)), ctx).outcome is T


def test_refuted_ignored_unconfirmed_unknown(ctx: EvaluationContext) -> None:
    code = load_lexicon().concept("tuberculosis").snomed[0]
    refuted = Condition(id="c", system="snomed", code=code, verification_status="refuted")
    assert evaluate(present("tuberculosis"), patient(conditions=(refuted,), conditions_complete=True), ctx).outcome is F
    provisional = Condition(id="c", system="snomed", code=code, verification_status="provisional")
    assert evaluate(present("tuberculosis"), patient(conditions=(provisional,)), ctx).outcome is U


def test_absence_depends_on_record_completeness(ctx: EvaluationContext) -> None:
    incomplete = evaluate(present("tuberculosis"), patient(), ctx)
    assert incomplete.outcome is U
    assert incomplete.missing and "not known to be complete" in incomplete.missing[0]
    assert evaluate(present("tuberculosis"), patient(conditions_complete=True), ctx).outcome is F


def test_text_only_match_is_reported_and_unknown(ctx: EvaluationContext) -> None:
    condition = Condition(id="c", text="Latent tuberculosis, treated elsewhere", clinical_status="active")
    trace = evaluate(present("tuberculosis"), patient(conditions=(condition,), conditions_complete=True), ctx)
    assert trace.outcome is U
    assert "text-only match" in trace.sentence


def test_pregnancy_from_flag_condition_and_sex(ctx: EvaluationContext) -> None:
    assert evaluate(present("pregnancy"), patient(pregnant=True), ctx).outcome is T
    assert evaluate(present("pregnancy"), patient(pregnant=False), ctx).outcome is F
    assert evaluate(present("pregnancy"), patient(), ctx).outcome is U
    assert evaluate(present("pregnancy"), patient(sex="male"), ctx).outcome is F
    code = load_lexicon().concept("pregnancy").snomed[0]
    pregnant = Condition(id="preg", system="snomed", code=code, onset=datetime(2026, 8, 1), clinical_status="active")
    assert evaluate(present("pregnancy"), patient(conditions=(pregnant,)), ctx).outcome is T
    assert evaluate(present("breastfeeding"), patient(breastfeeding=True), ctx).outcome is T


def test_medications_and_procedures(ctx: EvaluationContext) -> None:
    lex = load_lexicon()
    chemo = lex.concept("chemotherapy")
    surgery = lex.concept("surgery")
    p = patient(
        procedures=(
            Procedure(
                id="op",
                system="http://snomed.info/sct",
                code=surgery.snomed[0],
                performed_start=datetime(2026, 10, 1),
                performed_end=datetime(2026, 10, 1),
            ),
        ),
        medications=(
            Medication(
                id="m",
                system="http://snomed.info/sct",
                code=(chemo.snomed or ("x",))[0],
                status="stopped",
                start=datetime(2025, 1, 1),
            ),
        ),
        procedures_complete=True,
        medications_complete=True,
    )
    within_6_weeks = TemporalWindow(max_ago=qty(6, "week"), span=SPAN)  # from 2026-09-20
    within_4_weeks = TemporalWindow(max_ago=qty(4, "week"), span=SPAN)  # from 2026-10-04
    assert evaluate(present("surgery", window=within_6_weeks, category="procedure"), p, ctx).outcome is T
    assert evaluate(present("surgery", window=within_4_weeks, category="procedure"), p, ctx).outcome is F


# --- properties ---------------------------------------------------------------------------------------------------

VALUES = st.floats(min_value=0.1, max_value=500, allow_nan=False, allow_infinity=False)
DAYS = st.integers(min_value=0, max_value=900)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["creatinine", "alt", "lvef"]), VALUES, DAYS), min_size=0, max_size=8),
    st.randoms(use_true_random=False),
)
def test_outcome_does_not_depend_on_observation_order(rows: list[tuple[str, float, int]], rnd: Any) -> None:
    ctx = EvaluationContext(index_date=INDEX)
    units = {"creatinine": "mg/dL", "alt": "U/L", "lvef": "%"}
    observations = [
        Observation(
            id=f"o{i}",
            variable=v,
            value=value if v != "lvef" else min(value, 99),
            unit=units[v],
            effective=datetime(2024, 1, 1) + timedelta(days=day),
        )
        for i, (v, value, day) in enumerate(rows)
    ]
    node = All(
        span=SPAN,
        children=(cmp("creatinine", "<=", 1.5, "mg/dL"), cmp("alt", "<", 100, "U/L"), cmp("lvef", ">=", 50, "%")),
    )
    shuffled = list(observations)
    rnd.shuffle(shuffled)
    first = evaluate(node, patient(observations=tuple(observations)), ctx)
    second = evaluate(node, patient(observations=tuple(shuffled)), ctx)
    assert first.outcome is second.outcome
    assert first == second
