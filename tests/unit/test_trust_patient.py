"""Issue 10, patient data: items 12-20 (plausibility, FHIR comparator, deceased, partial birth dates, same-day
disagreement, reference ranges, contradictions, eGFR codes, the library's own JSON)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from criteria_nlp.evaluate import EvaluationContext, evaluate
from criteria_nlp.ir import CriteriaDocument, Quantity, ReferenceMultiple, Span, VariableRef
from criteria_nlp.ir.logic import Truth
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.screen import screen
from criteria_nlp.sources import Patient
from criteria_nlp.sources.fhir import patient_from_fhir
from criteria_nlp.sources.own_json import OWN_JSON

INDEX = "2026-06-01"
SPAN = Span(start=0, end=1)


def own(data: dict[str, Any]) -> Patient:
    return OWN_JSON.read(data, source="test", strict=False, validate=False, lexicon=load_lexicon())


def bundle(patient: dict[str, Any], *resources: dict[str, Any]) -> Patient:
    entries = [{"resource": {"resourceType": "Patient", "id": "p", **patient}}]
    entries += [{"resource": resource} for resource in resources]
    return patient_from_fhir({"resourceType": "Bundle", "type": "collection", "entry": entries}, source="b")


def fhir_obs(code: str, value: float, unit: str, **extra: Any) -> dict[str, Any]:
    quantity = {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
    quantity.update(extra.pop("quantity", {}))
    return {
        "resourceType": "Observation",
        "id": extra.pop("id", "o1"),
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "effectiveDateTime": extra.pop("date", "2026-05-01"),
        "valueQuantity": quantity,
        **extra,
    }


def decide(text: str, patient: Patient, **kw: Any) -> str:
    return screen(parse_criteria(text), patient, index_date=INDEX, **kw).decision


# --- item 12: implausible patient values ----------------------------------------------------------------------------


@pytest.mark.parametrize(("variable", "value", "unit"), [("hemoglobin", 0, "g/dL"), ("platelets", 1e7, "/uL")])
def test_item12_implausible_value_is_a_warning_and_unknown(variable: str, value: float, unit: str) -> None:
    patient = own(
        {
            "id": "p",
            "observations": [
                {"id": "o", "variable": variable, "value": value, "unit": unit, "effective": "2026-05-01"}
            ],
        }
    )
    assert any("physically" in w for w in patient.warnings)
    text = "Inclusion Criteria:\nHemoglobin ≥ 9 g/dL\nPlatelets ≥ 100 x 10^9/L\n"
    assert decide(text, patient) == "needs_review"


def test_item12_age_126_is_unknown() -> None:
    patient = Patient(id="p", birth_date="1900-03-01")  # type: ignore[arg-type]
    assert decide("Inclusion Criteria:\nAge ≥ 18 years\n", patient) == "needs_review"


# --- item 13: FHIR valueQuantity.comparator -------------------------------------------------------------------------


def test_item13_comparator_is_an_interval() -> None:
    patient = bundle({}, fhir_obs("1742-6", 10, "U/L", quantity={"comparator": ">"}))
    assert patient.observations[0].comparator == ">"
    assert decide("Inclusion Criteria:\nALT ≤ 40 U/L\n", patient) == "needs_review"
    assert decide("Exclusion Criteria:\nALT < 5 U/L\n", patient) != "ineligible"
    below = bundle({}, fhir_obs("1742-6", 10, "U/L", quantity={"comparator": "<"}))
    assert decide("Inclusion Criteria:\nALT ≤ 40 U/L\n", below) == "eligible"


# --- item 14: deceased patients -------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", [{"deceasedBoolean": True}, {"deceasedDateTime": "2010-05-02"}])
def test_item14_deceased_patients_are_never_eligible(field: dict[str, Any]) -> None:
    patient = bundle({"birthDate": "2008-01-01", **field})
    result = screen(parse_criteria("Inclusion Criteria:\nAge ≥ 1 years\n"), patient, index_date=INDEX)
    assert result.decision == "ineligible"
    assert "deceased" in result.reasons[0]


def test_item14_death_after_the_index_date_is_alive_then() -> None:
    patient = bundle({"birthDate": "1980-01-01", "deceasedDateTime": "2027-01-01"})
    assert decide("Inclusion Criteria:\nAge ≥ 18 years\n", patient) == "eligible"


# --- item 15: partial and sentinel birth dates ----------------------------------------------------------------------


def test_item15_partial_birth_date_gives_an_age_interval() -> None:
    patient = bundle({"birthDate": "2008"})
    assert patient.birth_date_precision == "year"
    assert decide("Inclusion Criteria:\nAge ≥ 18 years\n", patient) == "needs_review"  # 17 or 18 on 2026-06-01
    assert decide("Inclusion Criteria:\nAge ≥ 12 years\n", patient) == "eligible"
    month = bundle({"birthDate": "2008-12"})
    assert decide("Inclusion Criteria:\nAge ≥ 17 years\n", month) == "eligible"


@pytest.mark.parametrize("birth", ["0001-01-01", "1900-01-01"])
def test_item15_sentinel_birth_dates_are_unknown(birth: str) -> None:
    patient = bundle({"birthDate": birth})
    assert patient.birth_date is None and any("placeholder" in w for w in patient.warnings)
    assert decide("Inclusion Criteria:\nAge ≥ 18 years\n", patient) == "needs_review"


# --- item 16: same-day disagreement ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ids", [("a", "b"), ("b", "a")])
def test_item16_same_day_values_that_disagree_are_unknown(ids: tuple[str, str]) -> None:
    patient = bundle({}, fhir_obs("718-7", 8, "g/dL", id=ids[0]), fhir_obs("718-7", 12, "g/dL", id=ids[1]))
    result = screen(parse_criteria("Inclusion Criteria:\nHemoglobin ≥ 9 g/dL\n"), patient, index_date=INDEX)
    assert result.decision == "needs_review"
    assert "disagree" in result.criteria[0].trace.sentence
    assert len(result.criteria[0].trace.evidence) == 2


# --- item 17: reference ranges --------------------------------------------------------------------------------------


def test_item17_reference_range_units_compared_through_pint() -> None:
    ranged = fhir_obs("1742-6", 50, "U/L", referenceRange=[{"high": {"value": 40, "unit": "IU/L"}}])
    patient = bundle({}, ranged)
    assert patient.observations[0].reference_high == 40
    assert not any("reference range" in w for w in patient.warnings)


@pytest.mark.parametrize(
    "limits", [{"high": {"value": 0}}, {"low": {"value": -5}}, {"low": {"value": 50}, "high": {"value": 10}}]
)
def test_item17_bad_reference_range_ignored_with_a_warning(limits: dict[str, Any]) -> None:
    patient = bundle({}, fhir_obs("1742-6", 50, "U/L", referenceRange=[limits]))
    assert patient.observations[0].reference_high is None and patient.observations[0].reference_low is None
    assert any("reference range" in w for w in patient.warnings)


def test_item17_default_uln_is_an_assumption_off_by_default() -> None:
    node = ReferenceMultiple(
        span=SPAN, variable=VariableRef(id="alt", mention="ALT", span=SPAN), operator="<=", factor=2.5, reference="ULN"
    )
    patient = bundle({}, fhir_obs("1742-6", 50, "U/L"))
    trace = evaluate(node, patient, EvaluationContext(index_date=INDEX))  # type: ignore[arg-type]
    assert trace.outcome is Truth.UNKNOWN and "assumption" in trace.sentence
    assumed = evaluate(node, patient, EvaluationContext(index_date=INDEX, assume_default_ranges=True))  # type: ignore[arg-type]
    assert assumed.outcome is Truth.TRUE and assumed.assumed


# --- item 18: contradictions ----------------------------------------------------------------------------------------


def test_item18_ucum_code_contradicting_unit_text() -> None:
    patient = bundle({}, fhir_obs("718-7", 12, "g/dL", quantity={"code": "mg/dL"}))
    assert patient.observations[0].value is None
    assert any("contradicts" in w for w in patient.warnings)


def test_item18_pregnancy_flag_contradicting_a_coded_pregnancy_is_unknown() -> None:
    pregnancy = {
        "resourceType": "Condition",
        "id": "c1",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "77386006"}]},
        "onsetDateTime": "2026-04-01",
    }
    patient = bundle({"gender": "female"}, pregnancy).model_copy(update={"pregnant": False})
    result = screen(parse_criteria("Exclusion Criteria:\nPregnancy\n"), patient, index_date=INDEX)
    assert result.decision == "needs_review"
    assert "disagree" in result.criteria[0].trace.sentence


def test_item18_abatement_before_onset_and_code_without_system_warn() -> None:
    condition = {
        "resourceType": "Condition",
        "id": "c1",
        "code": {"coding": [{"code": "38341003"}]},
        "onsetDateTime": "2020-01-01",
        "abatementDateTime": "2019-01-01",
    }
    patient = bundle({}, condition)
    assert patient.conditions[0].abatement is None
    assert any("before onset" in w for w in patient.warnings)
    assert any("without a system" in w for w in patient.warnings)


# --- item 19: eGFR codes per 1.73 m² --------------------------------------------------------------------------------


def test_item19_egfr_code_fixes_the_normalisation() -> None:
    patient = bundle({}, fhir_obs("33914-3", 75, "mL/min"))
    assert patient.observations[0].unit_normalized == "mL/min/1.73m^2"
    result = screen(parse_criteria("Inclusion Criteria:\neGFR ≥ 60 mL/min/1.73 m2\n"), patient, index_date=INDEX)
    assert result.decision == "eligible"
    assert "1.73" in result.criteria[0].trace.sentence and "by definition" in result.criteria[0].trace.sentence


# --- item 20: the library's own JSON --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"id": "p", "birth_date": "20080801"},
        {"id": "p", "birth_date": 1217548800},
        {"id": "p", "observations": [{"id": "o", "value": True, "effective": "2026-01-01"}]},
        {"id": "p", "observations": [{"id": "o", "value": 1, "effective": 1767225600}]},
    ],
)
def test_item20_own_json_dates_are_iso_and_booleans_are_not_quantities(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Patient.model_validate(data)


def test_item20_nan_threshold_in_a_stored_trial_is_an_error() -> None:
    data = parse_criteria("Inclusion Criteria:\nAge ≥ 18 years\n").model_dump_json()
    assert '"low":18.0' in data
    data = data.replace('"low":18.0', '"low":NaN')
    with pytest.raises(ValidationError):
        CriteriaDocument.model_validate_json(data)
    with pytest.raises(ValidationError):
        Quantity(value=float("nan"))
