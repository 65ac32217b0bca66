"""Decision rules of screen(), and the properties: order independence and monotonicity in the data."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from criteria_nlp.ir import (
    Comparison,
    ConceptRef,
    CriteriaDocument,
    Criterion,
    Demographic,
    Node,
    NotComputable,
    Presence,
    Quantity,
    ReferenceMultiple,
    Span,
    VariableRef,
)
from criteria_nlp.ir.logic import Truth
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.screen import screen, screen_many
from criteria_nlp.sources.patient import Condition, Observation, Patient

SPAN = Span(start=0, end=1)
INDEX = "2026-11-01"


def criterion(cid: str, section: str, expression: Node) -> Criterion:
    return Criterion(
        id=cid,
        section=section,
        label=cid,
        text=f"criterion {cid}",
        span=SPAN,
        expression=expression,  # type: ignore[arg-type]
        status="computable",
    )


def doc(*criteria: Criterion) -> CriteriaDocument:
    return CriteriaDocument(text="x", criteria=criteria)


def female() -> Demographic:
    return Demographic(span=SPAN, attribute="sex", sex="female")


def male() -> Demographic:
    return Demographic(span=SPAN, attribute="sex", sex="male")


def consent() -> NotComputable:
    return NotComputable(span=SPAN, category="consent", text="signs consent")


def cmp(variable: str, op: str, value: float, unit: str) -> Comparison:
    return Comparison(
        span=SPAN,
        variable=VariableRef(id=variable, mention=variable, span=SPAN),
        operator=op,  # type: ignore[arg-type]
        quantity=Quantity(value=value, unit=unit),
    )


def has(concept: str) -> Presence:
    return Presence(span=SPAN, concept=ConceptRef(id=concept, mention=concept, span=SPAN))


PATIENT = Patient(id="p", birth_date=date(1980, 1, 1), sex="female")


def test_eligible_ineligible_needs_review() -> None:
    assert (
        screen(
            doc(criterion("1", "inclusion", female()), criterion("2", "exclusion", male())), PATIENT, index_date=INDEX
        ).decision
        == "eligible"
    )
    result = screen(
        doc(criterion("1", "inclusion", male()), criterion("2", "exclusion", consent())), PATIENT, index_date=INDEX
    )
    assert result.decision == "ineligible"
    assert result.reasons[0].startswith("inclusion 1 is false")
    result = screen(
        doc(criterion("1", "inclusion", female()), criterion("2", "exclusion", female())), PATIENT, index_date=INDEX
    )
    assert result.decision == "ineligible"
    result = screen(
        doc(criterion("1", "inclusion", female()), criterion("2", "inclusion", consent())), PATIENT, index_date=INDEX
    )
    assert result.decision == "needs_review"
    assert result.unknown == ("inclusion 2",)
    assert result.not_computable == ("inclusion 2 (consent): criterion 2",)


def test_missing_data_listed() -> None:
    result = screen(doc(criterion("1", "inclusion", cmp("lvef", ">=", 50, "%"))), PATIENT, index_date=INDEX)
    assert result.decision == "needs_review"
    assert result.missing_data == ("lvef (LOINC 10230-1) within 12 months",)


def test_unknown_section_never_decides_alone() -> None:
    result = screen(doc(criterion("1", "unknown", female())), PATIENT, index_date=INDEX)
    assert result.decision == "needs_review"
    assert result.warnings


def test_result_serialises_and_explains() -> None:
    result = screen(doc(criterion("1", "inclusion", female())), PATIENT, index_date=INDEX)
    data = json.loads(result.to_json())
    assert data["decision"] == "eligible"
    assert data["criteria"][0]["trace"]["outcome"] == "true"
    text = result.explain()
    assert "inclusion 1: TRUE (met)" in text
    assert "<html" in result.to_html()


def test_screen_many_shares_one_context() -> None:
    patients = [PATIENT, PATIENT.model_copy(update={"id": "q", "sex": "male"})]
    decisions = [
        r.decision for r in screen_many(doc(criterion("1", "inclusion", female())), patients, index_date=INDEX)
    ]
    assert decisions == ["eligible", "ineligible"]


# --- properties ---------------------------------------------------------------------------------------------------

PROTOCOL = doc(
    criterion("1", "inclusion", cmp("creatinine", "<=", 1.5, "mg/dL")),
    criterion("2", "inclusion", cmp("hemoglobin", ">=", 100, "g/L")),
    criterion("3", "inclusion", cmp("lvef", ">=", 50, "%")),
    criterion(
        "4",
        "inclusion",
        ReferenceMultiple(
            span=SPAN,
            variable=VariableRef(id="alt", mention="ALT", span=SPAN),
            operator="<=",
            factor=2.5,
            reference="ULN",
        ),
    ),
    criterion("5", "exclusion", has("tuberculosis")),
    criterion("6", "exclusion", cmp("platelets", "<", 100, "10^9/L")),
)

UNITS = {"creatinine": "µmol/L", "hemoglobin": "g/dL", "lvef": "%", "alt": "U/L", "platelets": "10*3/uL"}
SCALE = {"creatinine": 150.0, "hemoglobin": 16.0, "lvef": 80.0, "alt": 150.0, "platelets": 400.0}

observation_rows = st.lists(
    st.tuples(
        st.sampled_from(sorted(UNITS)),
        st.floats(min_value=0.05, max_value=1.0),
        st.integers(min_value=0, max_value=500),
    ),
    max_size=12,
)


def build_patient(rows: list[tuple[str, float, int]], tb: bool, keep: set[str] | None = None, **kw: Any) -> Patient:
    """Observations keep the id of their row, so withholding some rows does not rename the others."""
    observations = tuple(
        Observation(
            id=f"o{i}",
            variable=v,
            value=round(fraction * SCALE[v], 3),
            unit=UNITS[v],
            unit_normalized=None,
            effective=datetime(2025, 7, 1) + (datetime(2025, 7, 2) - datetime(2025, 7, 1)) * day,
            reference_high=40.0 if v == "alt" and i % 2 else None,
        )
        for i, (v, fraction, day) in enumerate(rows)
        if keep is None or v in keep
    )
    conditions = (Condition(id="tb", system="icd10", code="A15.0", clinical_status="active"),) if tb else ()
    return Patient(
        id="p", birth_date=date(1980, 1, 1), sex="female", observations=observations, conditions=conditions, **kw
    )


@settings(max_examples=50, deadline=None)
@given(observation_rows, st.booleans(), st.randoms(use_true_random=False))
def test_decision_independent_of_order(rows: list[tuple[str, float, int]], tb: bool, rnd: Any) -> None:
    patient = build_patient(rows, tb)
    shuffled_rows = list(enumerate(rows))
    rnd.shuffle(shuffled_rows)
    # same ids, different order
    reordered = patient.model_copy(update={"observations": tuple(patient.observations[i] for i, _ in shuffled_rows)})
    criteria = list(PROTOCOL.criteria)
    rnd.shuffle(criteria)
    first = screen(PROTOCOL, patient, index_date=INDEX)
    second = screen(doc(*criteria), reordered, index_date=INDEX)
    assert first.decision == second.decision
    assert {(c.criterion_id, c.outcome) for c in first.criteria} == {
        (c.criterion_id, c.outcome) for c in second.criteria
    }
    assert set(first.missing_data) == set(second.missing_data)


@settings(max_examples=50, deadline=None)
@given(observation_rows, st.booleans(), st.sets(st.sampled_from(sorted(UNITS))), st.booleans())
def test_adding_data_only_decides_unknowns(
    rows: list[tuple[str, float, int]], tb: bool, withheld: set[str], withhold_tb: bool
) -> None:
    full = build_patient(rows, tb)
    partial = build_patient(rows, tb and not withhold_tb, keep=set(UNITS) - withheld)
    full_result = screen(PROTOCOL, full, index_date=INDEX)
    partial_result = screen(PROTOCOL, partial, index_date=INDEX)
    for before, after in zip(partial_result.criteria, full_result.criteria, strict=True):
        if before.outcome is not Truth.UNKNOWN:
            assert after.outcome is before.outcome, before.criterion_id
    if partial_result.decision != "needs_review":
        assert full_result.decision == partial_result.decision


@pytest.mark.parametrize("lookback", [1, 12, 60])
def test_lookback_parameter_is_used(lookback: int) -> None:
    patient = build_patient([("lvef", 0.8, 0)], False)  # LVEF 64 % on 2025-07-01
    result = screen(
        doc(criterion("1", "inclusion", cmp("lvef", ">=", 50, "%"))),
        patient,
        index_date=INDEX,
        lookback_months=lookback,
    )
    assert result.decision == ("eligible" if lookback >= 16 else "needs_review")


def test_an_exception_to_a_condition_never_excludes_by_itself() -> None:
    """ "Cancer of any kind (with the exception of non-melanoma skin cancer)": a patient whose only cancer is the
    exception is not excluded outright; the parser keeps the exception as text the engine cannot apply, so the
    criterion needs review instead of holding."""
    document = parse_criteria(
        "Exclusion criteria:\n- Active cancer of any kind (with the exception of non-melanoma skin cancer)\n"
    )
    basal_cell = Condition(
        id="bcc", system="http://hl7.org/fhir/sid/icd-10-cm", code="C44.91", clinical_status="active"
    )
    result = screen(document, PATIENT.model_copy(update={"conditions": (basal_cell,)}), index_date=INDEX)
    assert result.decision == "needs_review"
    assert result.criteria[0].outcome is Truth.UNKNOWN


@pytest.mark.parametrize(
    "text",
    [
        "Female patients must have a negative serum pregnancy test at screening",
        "Women must have a negative urine pregnancy test within 7 days",
    ],
)
def test_an_obligation_of_women_does_not_exclude_men(text: str) -> None:
    """Read as "female and not pregnant", this would make every man ineligible."""
    document = parse_criteria(f"Inclusion criteria:\n- {text}\n")
    man = PATIENT.model_copy(update={"sex": "male"})
    assert screen(document, man, index_date=INDEX).criteria[0].outcome is Truth.TRUE
    woman_with_complete_records = PATIENT.model_copy(update={"conditions_complete": True})
    assert screen(document, woman_with_complete_records, index_date=INDEX).criteria[0].outcome is Truth.TRUE
