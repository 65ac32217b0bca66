"""Patient loading: the library's JSON, small FHIR bundles, and bad data (errors or warnings, never silent values)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.errors import PatientDataError
from criteria_nlp.resources import corpus_path
from criteria_nlp.sources import Patient, load_patient, load_patients
from criteria_nlp.sources.fhir import parse_fhir_datetime, patient_from_fhir

DEMO = corpus_path("patients")


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


PATIENT = {"resourceType": "Patient", "id": "pat1", "birthDate": "1970-02-03", "gender": "female"}


def quantity_obs(oid: str, code: str, value: Any, ucum: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "effectiveDateTime": "2026-10-01T08:00:00Z",
        "valueQuantity": {"value": value, "unit": ucum, "system": "http://unitsofmeasure.org", "code": ucum},
        **extra,
    }


def test_demo_patients_load() -> None:
    patients = {p.id: p for p in load_patients(DEMO)}
    assert {"sle-eligible", "sle-ineligible-pregnant", "sle-needs-review-missing-lvef", "sle-fhir-patient"} <= set(
        patients
    )
    eligible = patients["sle-eligible"]
    assert eligible.conditions_complete and eligible.pregnant is False
    creatinine = next(o for o in eligible.observations if o.variable == "creatinine")
    assert creatinine.unit == "µmol/L" and creatinine.unit_normalized == "umol/L"
    assert not eligible.warnings


def test_own_json_round_trips(tmp_path: Path) -> None:
    original = load_patient(DEMO / "sle-eligible.json")
    path = write(tmp_path, "copy.json", json.loads(original.model_dump_json()))
    assert load_patient(path).model_dump(exclude={"source"}) == original.model_dump(exclude={"source"})


def test_fhir_bundle_demo_maps_components_and_units() -> None:
    patient = load_patient(DEMO / "sle-fhir-bundle.json")
    by_variable = {o.variable: o for o in patient.observations}
    assert by_variable["systolic_bp"].value == 124 and by_variable["systolic_bp"].id == "sle-fhir-bp/8480-6"
    assert by_variable["diastolic_bp"].value == 78
    assert by_variable["systolic_bp"].unit_normalized == "mmHg"
    assert by_variable["alt"].reference_high == 40
    assert by_variable["creatinine"].unit_normalized == "umol/L"
    assert patient.conditions[0].code == "55464009"
    assert ("http://hl7.org/fhir/sid/icd-10", "M32.9") in patient.conditions[0].alternate_codes
    assert patient.medications[0].status == "active"
    assert not patient.conditions_complete  # FHIR data is never assumed complete


def test_validate_option_runs_fhir_resources() -> None:
    assert load_patient(DEMO / "sle-fhir-bundle.json", validate=True).id == "sle-fhir-patient"
    broken = bundle(
        PATIENT, {"resourceType": "Observation", "id": "o1", "status": "final", "code": "not a CodeableConcept"}
    )
    with pytest.raises(PatientDataError, match="not a valid FHIR R4 Bundle"):
        load_patient(broken, validate=True)


def test_malformed_json_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.json", '{"id": "x", ')
    with pytest.raises(PatientDataError, match=r"broken\.json: malformed JSON at line 1"):
        load_patient(path)


def test_missing_field_names_the_resource(tmp_path: Path) -> None:
    data = {"id": "p", "observations": [{"id": "obs-7", "value": "not a number"}]}
    with pytest.raises(PatientDataError, match=r"observations\.0\.value \(id obs-7\)"):
        load_patient(write(tmp_path, "p.json", data))
    with pytest.raises(PatientDataError, match="not a criteria_nlp patient"):
        load_patient(write(tmp_path, "q.json", {"name": "no id"}))


def test_impossible_and_unknown_values_become_warnings() -> None:
    data = bundle(
        PATIENT,
        quantity_obs("w1", "29463-7", -70, "kg"),
        quantity_obs("c1", "2160-0", 1.1, "furlong/fortnight"),
        quantity_obs("e1", "10230-1", 140, "%"),
        quantity_obs("ok", "2160-0", 1.1, "mg/dL"),
    )
    patient = load_patient(data)
    values = {o.id: o.value for o in patient.observations}
    assert values == {"w1": None, "c1": None, "e1": None, "ok": 1.1}
    text = "\n".join(patient.warnings)
    assert "Observation w1" in text and "negative" in text
    assert "Observation c1" in text and "unknown unit" in text
    assert "Observation e1" in text and "above 100" in text
    with pytest.raises(PatientDataError, match=r"Observation (w1|c1)"):
        load_patient(data, strict=True)


def test_fhir_structure_errors() -> None:
    with pytest.raises(PatientDataError, match="no Patient resource"):
        load_patient(bundle({"resourceType": "Practitioner", "id": "dr"}))
    with pytest.raises(PatientDataError, match="2 Patient resources"):
        load_patient(bundle(PATIENT, {**PATIENT, "id": "pat2"}))
    with pytest.raises(PatientDataError, match="entry 0"):
        load_patient({"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]})
    with pytest.raises(PatientDataError, match="not a Bundle"):
        load_patient({"resourceType": "Observation", "id": "x"})


def test_bare_patient_resource_and_missing_birth_date() -> None:
    patient = load_patient({"resourceType": "Patient", "id": "solo", "gender": "male"})
    assert patient.id == "solo" and patient.sex == "male"
    assert any("no birth date" in w for w in patient.warnings)


def test_reference_range_in_other_unit_is_dropped_with_warning() -> None:
    obs = quantity_obs(
        "c1",
        "2160-0",
        90,
        "umol/L",
        referenceRange=[
            {"high": {"value": 1.2, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"}}
        ],
    )
    patient = load_patient(bundle(PATIENT, obs))
    assert patient.observations[0].reference_high is None
    assert any("reference range" in w and "c1" in w for w in patient.warnings)


def test_condition_status_and_dates() -> None:
    condition = {
        "resourceType": "Condition",
        "id": "cond1",
        "clinicalStatus": {"coding": [{"code": "resolved"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "56717001"}], "text": "Tuberculosis"},
        "onsetPeriod": {"start": "2019-03"},
        "abatementDateTime": "2020-01-01",
    }
    patient = patient_from_fhir(bundle(PATIENT, condition))
    (parsed,) = patient.conditions
    assert parsed.clinical_status == "resolved" and parsed.onset is not None and parsed.onset.month == 3
    assert parsed.abatement is not None and parsed.abatement.year == 2020


def test_parse_fhir_datetime() -> None:
    assert parse_fhir_datetime("2019") is not None
    assert parse_fhir_datetime("2019-05-02T10:00:00Z") is not None
    assert parse_fhir_datetime("yesterday") is None


def test_load_patients_skips_bundles_without_patients(tmp_path: Path) -> None:
    write(tmp_path, "a.json", bundle(PATIENT))
    write(tmp_path, "practitioners.json", bundle({"resourceType": "Practitioner", "id": "dr"}))
    assert [p.id for p in load_patients(tmp_path)] == ["pat1"]
    with pytest.raises(PatientDataError, match="not a directory"):
        list(load_patients(tmp_path / "nope"))


def test_patient_model_is_frozen() -> None:
    patient = Patient(id="x")
    with pytest.raises(ValueError):
        patient.id = "y"  # type: ignore[misc]
