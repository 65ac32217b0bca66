"""Negative thresholds are read (tests/golden/numbers.jsonl, topic ``signed``) and decided: a negative record of a
variable that can be negative (its lexicon plausible or reference range goes below zero: base excess, a T-score) is
a value, while a negative record of one that cannot (platelets) stays a data error. The Python engine and DuckDB
decide alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from criteria_nlp import parse_criteria
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.population.engines import screen_population
from criteria_nlp.population.read import read_population
from criteria_nlp.population.source import ArrowPopulation
from criteria_nlp.population.tables import patients_to_tables
from criteria_nlp.screen import screen
from criteria_nlp.sources.check import check_patient
from criteria_nlp.sources.patient import Observation, Patient

INDEX = "2026-11-01"
PROTOCOL = """Inclusion Criteria:
- Base excess < -4 mmol/L
- T-score between -3.5 and -1
- Platelets >= 100 x 10^9/L
"""


def _patient(identifier: str, base_excess: float, t_score: float, platelets: float) -> Patient:
    observations = (
        Observation(id="be", variable="base_excess", value=base_excess, unit="mmol/L", effective="2026-10-01"),
        Observation(id="t", variable="bone_density_t_score", value=t_score, effective="2026-10-01"),
        Observation(id="plt", variable="platelets", value=platelets, unit="10^9/L", effective="2026-10-01"),
    )
    return Patient(id=identifier, birth_date="1960-01-01", sex="female", observations=observations)


PATIENTS = [
    _patient("in-range", -6.0, -2.0, 150.0),
    _patient("base-excess-too-high", -2.0, -2.0, 150.0),
    _patient("t-score-too-low", -6.0, -4.0, 150.0),
    _patient("negative-platelets", -6.0, -2.0, -150.0),
]


@pytest.mark.parametrize(
    ("patient", "decision"),
    list(zip(PATIENTS, ["eligible", "ineligible", "ineligible", "needs_review"], strict=True)),
    ids=[patient.id for patient in PATIENTS],
)
def test_negative_values_are_decided_on(patient: Patient, decision: str) -> None:
    checked = check_patient(patient, source=patient.id, strict=False, lexicon=load_lexicon())
    assert screen(parse_criteria(PROTOCOL), checked, index_date=INDEX).decision == decision


def test_a_negative_count_is_still_a_data_error() -> None:
    checked = check_patient(PATIENTS[3], source="p", strict=False, lexicon=load_lexicon())
    assert [o.value for o in checked.observations] == [-6.0, -2.0, None]
    assert any("platelets" in warning and "negative" in warning for warning in checked.warnings)


def test_duckdb_decides_negative_values_as_python() -> None:
    checked = [check_patient(patient, source=patient.id, strict=False, lexicon=load_lexicon()) for patient in PATIENTS]
    population = ArrowPopulation(patients_to_tables(checked), name="signed")
    doc = parse_criteria(PROTOCOL)
    expected = screen_population(doc, population, engine="python", index_date=INDEX).to_pylist()
    found = screen_population(doc, population, engine="duckdb", index_date=INDEX).to_pylist()
    assert found == expected
    assert [row["decision"] for row in found] == ["eligible", "ineligible", "ineligible", "needs_review"]


def _fhir_observation(patient: str, number: int, loinc: str, value: float, unit: str | None) -> dict[str, object]:
    quantity: dict[str, object] = {"value": value} | ({"unit": unit} if unit else {})
    return {
        "resourceType": "Observation",
        "id": f"{patient}-{number}",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": "2026-10-01",
        "valueQuantity": quantity,
    }


def test_duckdb_keeps_negative_values_of_signed_variables_read_from_ndjson(tmp_path: Path) -> None:
    """The SQL check of values read from files (FHIR NDJSON) lets the same negative values through as Python."""
    patients, observations = [], []
    for patient in PATIENTS:
        patients.append({"resourceType": "Patient", "id": patient.id, "gender": "female", "birthDate": "1960-01-01"})
        codes = ("1925-7", "38265-5", "777-3")
        for number, (loinc, observation) in enumerate(zip(codes, patient.observations, strict=True)):
            assert observation.value is not None
            observations.append(_fhir_observation(patient.id, number, loinc, observation.value, observation.unit))
    # a record of no concern of each other kind: a folder without one of these files is not read today (a DuckDB
    # binder error on the missing resource type)
    code = {"coding": [{"system": "http://snomed.info/sct", "code": "195662009"}]}
    subject = {"reference": f"Patient/{PATIENTS[0].id}"}
    others = {
        "Condition": {"resourceType": "Condition", "id": "c1", "subject": subject, "code": code},
        "Procedure": {"resourceType": "Procedure", "id": "p1", "subject": subject, "code": code},
        "MedicationRequest": {
            "resourceType": "MedicationRequest",
            "id": "m1",
            "subject": subject,
            "medicationCodeableConcept": code,
        },
    }
    files = [("Patient", patients), ("Observation", observations)] + [(kind, [row]) for kind, row in others.items()]
    for name, rows in files:
        (tmp_path / f"{name}.ndjson").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    population = read_population(tmp_path)
    doc = parse_criteria(PROTOCOL)
    expected = screen_population(doc, population, engine="python", index_date=INDEX).to_pylist()
    found = screen_population(doc, population, engine="duckdb", index_date=INDEX).to_pylist()
    assert found == expected
    assert [row["decision"] for row in found] == ["eligible", "ineligible", "ineligible", "needs_review"]
