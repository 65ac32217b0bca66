"""Odd patient records read so that they mean what they seem to mean (red team 3): a FHIR resource of another
patient, a condition abated without a date, several reference ranges, a UCUM code written as the unit of the
library's own JSON."""

from __future__ import annotations

from typing import Any

import pytest

from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.sources.fhir import patient_from_fhir
from criteria_nlp.sources.own_json import OWN_JSON

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SCT = "http://snomed.info/sct"
FEMALE = [{"coding": [{"system": SCT, "code": "248152002"}]}]
MALE = [{"coding": [{"system": SCT, "code": "248153007"}]}]


def bundle(*resources: dict[str, Any], gender: str = "female", url: str | None = None) -> dict[str, Any]:
    patient: dict[str, Any] = {"resource": {"resourceType": "Patient", "id": "p1", "gender": gender}}
    if url is not None:
        patient["fullUrl"] = url
    return {"resourceType": "Bundle", "type": "collection", "entry": [patient] + [{"resource": r} for r in resources]}


def condition(cid: str, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A15.0"}]},
        **fields,
    }


def alt(*ranges: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "1742-6"}]},
        "effectiveDateTime": "2026-05-01",
        "valueQuantity": {"value": 90, "unit": "U/L", "system": UCUM, "code": "U/L"},
        "referenceRange": list(ranges),
    }


def limit(high: float, **fields: Any) -> dict[str, Any]:
    return {"high": {"value": high, "unit": "U/L", "system": UCUM, "code": "U/L"}, **fields}


@pytest.mark.parametrize(
    ("reference", "url", "kept"),
    [
        ("Patient/p1", None, True),
        ("Patient/p2", None, False),
        ("https://example.org/fhir/Patient/p2", None, False),
        ("https://example.org/fhir/Patient/p1", None, True),
        ("urn:uuid:aaaa", "urn:uuid:aaaa", True),
        ("urn:uuid:bbbb", "urn:uuid:aaaa", False),
        ("urn:uuid:bbbb", None, True),  # nothing to compare with: kept
        ("urn:uuid:bbbb", "https://example.org/fhir/Patient/p1", True),  # named otherwise: cannot tell
    ],
)
def test_a_resource_about_another_patient_is_skipped_with_a_warning(
    reference: str, url: str | None, kept: bool
) -> None:
    patient = patient_from_fhir(bundle(condition("c1", subject={"reference": reference}), url=url))
    assert [c.id for c in patient.conditions] == (["c1"] if kept else [])
    assert any("not Patient p1; skipped" in w for w in patient.warnings) is not kept


@pytest.mark.parametrize(
    "abatement",
    [{"abatementBoolean": True}, {"abatementString": "in 2019"}, {"abatementAge": {"value": 30, "unit": "a"}}],
)
def test_a_condition_abated_without_a_date_and_no_status_is_resolved(abatement: dict[str, Any]) -> None:
    patient = patient_from_fhir(bundle(condition("c1", **abatement)))
    assert patient.conditions[0].clinical_status == "resolved"
    assert any("has ended (no date)" in w for w in patient.warnings)


def test_a_written_clinical_status_wins_over_the_abatement_and_false_is_no_abatement() -> None:
    active = {"coding": [{"code": "active"}]}
    patient = patient_from_fhir(
        bundle(condition("c1", clinicalStatus=active, abatementString="?"), condition("c2", abatementBoolean=False))
    )
    assert [c.clinical_status for c in patient.conditions] == ["active", None]


@pytest.mark.parametrize(
    ("gender", "ranges", "high"),
    [
        ("female", [limit(55, appliesTo=MALE), limit(33, appliesTo=FEMALE)], 33.0),
        ("male", [limit(55, appliesTo=MALE), limit(33, appliesTo=FEMALE)], 55.0),
        ("unknown", [limit(55, appliesTo=MALE), limit(33, appliesTo=FEMALE)], None),
        ("female", [limit(55, appliesTo=MALE)], None),
        ("female", [limit(100, type={"coding": [{"code": "therapeutic"}]}), limit(40)], 40.0),
        ("female", [limit(100, type={"coding": [{"code": "therapeutic"}]})], None),
        ("female", [limit(40, age={"high": {"value": 60}}), limit(50, age={"low": {"value": 60}})], None),
        ("female", [limit(40), limit(40)], 40.0),
        ("female", [limit(40, type={"coding": [{"code": "normal"}]})], 40.0),
    ],
)
def test_the_reference_range_is_the_patients_normal_one_or_none(
    gender: str, ranges: list[dict[str, Any]], high: float | None
) -> None:
    patient = patient_from_fhir(bundle(alt(*ranges), gender=gender))
    assert patient.observations[0].reference_high == high
    assert patient.observations[0].value == 90.0
    assert any("range ignored" in w for w in patient.warnings) is (high is None)


@pytest.mark.parametrize(
    ("unit", "normalized", "value"),
    [("{score}", "1", 24.0), ("mg/dL{calc}", "mg/dL", 24.0), ("mg/dL", "mg/dL", 24.0), ("bananas", None, None)],
)
def test_own_json_reads_a_ucum_code_as_the_unit_when_no_spelling_fits(
    unit: str, normalized: str | None, value: float | None
) -> None:
    data = {
        "id": "p1",
        "observations": [{"id": "o1", "variable": "glucose", "value": 24, "unit": unit, "effective": "2026-05-01"}],
    }
    observation = OWN_JSON.read(data, source="t", strict=False, validate=False, lexicon=load_lexicon()).observations[0]
    assert (observation.unit_normalized, observation.value) == (normalized, value)


def test_an_annotated_percentage_above_100_is_impossible() -> None:
    data = {
        "id": "p1",
        "observations": [
            {"id": "o1", "variable": "oxygen_saturation", "value": 104, "unit": "%{HemoglobinSaturation}",
             "effective": "2026-05-01"}
        ],
    }  # fmt: skip
    patient = OWN_JSON.read(data, source="t", strict=False, validate=False, lexicon=load_lexicon())
    assert patient.observations[0].value is None
    assert any("above 100 %" in w for w in patient.warnings)


@pytest.mark.parametrize(
    ("record_field", "record", "kept_end"),
    [
        ("conditions", {"id": "c1", "code": "A15.0", "onset": "2020-01-01", "abatement": "2019-01-01"}, None),
        ("conditions", {"id": "c1", "code": "A15.0", "onset": "2020-01-01", "abatement": "2021-01-01"}, "2021-01-01"),
        ("medications", {"id": "m1", "code": "11289", "start": "2026-01-01", "end": "2025-01-01"}, None),
        (
            "medications",
            {"id": "m1", "code": "11289", "start": "2026-01-01T10:00:00+02:00", "end": "2026-01-01"},
            "2026-01-01",
        ),
        ("medications", {"id": "m1", "code": "11289", "start": "2025-01-01", "end": "2026-01-01"}, "2026-01-01"),
    ],
)
def test_an_end_before_its_start_is_not_trusted_in_own_json(
    record_field: str, record: dict[str, Any], kept_end: str | None
) -> None:
    patient = OWN_JSON.read(
        {"id": "p1", record_field: [record]}, source="t", strict=False, validate=False, lexicon=load_lexicon()
    )
    read = getattr(patient, record_field)[0]
    end = read.abatement if record_field == "conditions" else read.end
    assert (None if end is None else end.date().isoformat()) == kept_end
    assert any("is before its start" in w for w in patient.warnings) is (kept_end is None)
