"""The readings of decision safety (trust-known) decide alike on the DuckDB and the Python engine: windows written
with no number or before an anchor, "X diagnosed in ..." (onset), "X hospitalization" (an event: a state), a
subgroup with "only", and a negation over a bound list, against patients whose records sit on each side of them."""

from __future__ import annotations

from datetime import datetime

from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.population.engines import screen_population
from criteria_nlp.population.source import ArrowPopulation
from criteria_nlp.population.tables import patients_to_tables
from criteria_nlp.sources.patient import Condition, Observation, Patient

PROTOCOL = """Inclusion Criteria:
- Type 2 diabetes diagnosed in the last 6 months
- HbA1c <= 10% (only diabetic patients)
- No diabetes with hypertension or heart failure
Exclusion Criteria:
- Myocardial infarction within the past year
- Stroke in the 6 months before enrollment
- Heart failure hospitalization within the last 3 months
- Diabetes or hypertension diagnosed in the last 3 months
"""
ICD = "http://hl7.org/fhir/sid/icd-10"
ONSETS = (datetime(2010, 1, 1), datetime(2026, 3, 1), datetime(2026, 5, 20), None)


def _patient(number: int) -> Patient:
    codes = ("E11.9", "I10", "I50.9", "I21.9", "I63.9")
    chosen = [code for bit, code in enumerate(codes) if number >> bit & 1]
    conditions = tuple(
        Condition(
            id=f"p{number}-{code}", system=ICD, code=code, onset=ONSETS[(number + k) % 4], clinical_status="active"
        )
        for k, code in enumerate(chosen)
    )
    hba1c = Observation(
        id=f"p{number}-a1c", variable="hba1c", value=9.0 + number % 3, unit="%", effective=datetime(2026, 5, 1)
    )
    return Patient(id=f"p{number}", conditions=conditions, observations=(hba1c,), conditions_complete=number % 2 == 0)


def test_duckdb_decides_the_trust_readings_as_python() -> None:
    doc = parse_criteria(PROTOCOL)
    population = ArrowPopulation(patients_to_tables([_patient(n) for n in range(32)]), name="tk")
    expected = screen_population(doc, population, engine="python", index_date="2026-06-01").to_pylist()
    found = screen_population(doc, population, engine="duckdb", index_date="2026-06-01").to_pylist()
    assert found == expected
    for criterion in expected[0]["criteria"]:  # the patients sit on both sides of every reading
        assert len({row["criteria"][criterion] for row in expected}) >= 2, criterion
