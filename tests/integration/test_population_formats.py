"""Population screening on every input format: the same patients as FHIR bundles, as a FHIR NDJSON export
(scripts/bundles_to_ndjson.py), as an OMOP CDM folder (scripts/bundles_to_omop.py) and as Parquet long tables; on
each, the DuckDB engine decides every patient as the Python engine does (decision, every criterion, missing data).

OMOP holds no condition or medication statuses and no pregnancy flags: on OMOP input the engines must still agree
with each other, whatever the format lost.

Populations: composed bundles (codes the terminology reads, display texts it matches whole or in part, codes of a
broader concept, text-only records, lab values in several units) and, with ``../shared``, the Synthea bundles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from criteria_nlp.ir import CriteriaDocument
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.population.engines import screen_population
from criteria_nlp.population.read import read_population
from criteria_nlp.population.source import Population
from criteria_nlp.population.tables import patients_to_tables
from criteria_nlp.sources import load_patients
from script_module import load_script

ROOT = Path(__file__).resolve().parents[2]
INDEX = "2026-11-01"
SNOMED, ICD10 = "http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM, LOINC = "http://www.nlm.nih.gov/research/umls/rxnorm", "http://loinc.org"
TERMS = """Inclusion Criteria:
- Age 18 years or older
- Hemoglobin >= 10 g/dL
Exclusion Criteria:
- Bladder cancer
- Brainstem glioma
- Active tuberculosis
- Chronic sinusitis
- Currently taking metformin
- Use of tumor necrosis factor inhibitors within 3 months
- Known portal hypertension
- History of myocardial infarction
- Pregnancy
- Creatinine > 1.5 mg/dL
"""

# (kind, system, code, display, text) of the composed records: codes the terminology reads (ICD-10-CM, the
# lexicon's SNOMED codes), SNOMED / RxNorm codes read by their display text (whole or with words left over), a code
# naming a broader concept, text only
RECORDS: list[tuple[str, str | None, str | None, str | None, str | None]] = [
    ("Condition", ICD10, "C67.9", "Malignant neoplasm of bladder, unspecified", None),
    ("Condition", ICD10, "C80.1", "Malignant (primary) neoplasm, unspecified", None),
    ("Condition", SNOMED, "154283005", "Pulmonary tuberculosis", None),
    ("Condition", SNOMED, "75498004", "Acute bacterial sinusitis (disorder)", None),
    ("Condition", SNOMED, "40055000", "Chronic sinusitis (disorder)", None),
    ("Condition", None, None, None, "active tuberculosis of the lung"),
    ("Condition", SNOMED, "22298006", "Myocardial infarction (disorder)", None),
    ("Condition", ICD10, "K76.6", "Portal hypertension", None),
    ("Condition", SNOMED, "77386006", "Pregnancy (finding)", None),
    ("Condition", None, None, None, "glioma of the brainstem"),
    ("Condition", SNOMED, "44054006", "Diabetes mellitus type 2 (disorder)", None),
    ("MedicationRequest", RXNORM, "860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", None),
    ("MedicationRequest", RXNORM, "855332", "Warfarin Sodium 5 MG Oral Tablet", None),
    ("MedicationRequest", RXNORM, "672151", "adalimumab 40 MG/0.8 ML Prefilled Syringe", None),
    ("MedicationRequest", None, None, None, "infliximab infusion"),
    ("Procedure", SNOMED, "73761001", "Colonoscopy (procedure)", None),
]
LABS = [("718-7", "g/dL", [9.0, 13.5]), ("718-7", "g/L", [95.0, 140.0]), ("2160-0", "umol/L", [80.0, 160.0])]
DATES = ["2026-10-20", "2025-01-10", None, "2026-08-01"]
STATUSES = [("active", "confirmed"), ("resolved", "confirmed"), ("active", "provisional"), ("inactive", None)]


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def _coded(system: str | None, code: str | None, display: str | None, text: str | None) -> dict[str, Any]:
    concept: dict[str, Any] = {}
    if code is not None:
        concept["coding"] = [{"system": system, "code": code, "display": display}]
    if text is not None:
        concept["text"] = text
    return concept


def _record(pid: str, number: int, record: tuple[Any, ...], turn: int) -> dict[str, Any]:
    kind, system, code, display, text = record
    rid = f"{pid}-r{number}"
    subject = {"reference": f"urn:uuid:{pid}"}
    when = DATES[turn % len(DATES)]
    if kind == "Condition":
        clinical, verification = STATUSES[turn % len(STATUSES)]
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            "id": rid,
            "subject": subject,
            "code": _coded(system, code, display, text),
            "clinicalStatus": {"coding": [{"code": clinical}]},
        }
        if verification is not None:
            resource["verificationStatus"] = {"coding": [{"code": verification}]}
        if when is not None:
            resource["onsetDateTime"] = when
        return resource
    if kind == "MedicationRequest":
        resource = {
            "resourceType": "MedicationRequest",
            "id": rid,
            "subject": subject,
            "intent": "order",
            "status": ["active", "stopped", "completed"][turn % 3],
            "medicationCodeableConcept": _coded(system, code, display, text),
        }
        if when is not None:
            resource["authoredOn"] = when
        return resource
    resource = {"resourceType": "Procedure", "id": rid, "subject": subject, "status": "completed"}
    resource["code"] = _coded(system, code, display, text)
    if when is not None:
        resource["performedDateTime"] = when
    return resource


def _bundle(number: int) -> dict[str, Any]:
    pid = f"composed-{number}"
    patient = {
        "resourceType": "Patient",
        "id": pid,
        "gender": ["female", "male", "female", "unknown"][number % 4],
        "birthDate": ["1960-03-04", "2001-07", "1990", "1935-12-30"][number % 4],
    }
    entries = [_entry(patient)]
    for n, record in enumerate(RECORDS):
        if (n + number) % 3 == 0 or (n * number) % 5 == 1:
            entries.append(_entry(_record(pid, n, record, n + number)))
    for n, (code, unit, values) in enumerate(LABS):
        if (n + number) % 2 == 0:
            continue
        observation = {
            "resourceType": "Observation",
            "id": f"{pid}-o{n}",
            "status": "final",
            "subject": {"reference": f"urn:uuid:{pid}"},
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "effectiveDateTime": DATES[(n + number) % 2 * 3],
            "valueQuantity": {"value": values[number % 2], "unit": unit, "system": "http://unitsofmeasure.org"},
        }
        entries.append(_entry(observation))
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def formats(bundles: Path, out: Path) -> dict[str, Population]:
    """The bundles as each format ``read_population`` opens."""
    load_script("bundles_to_ndjson").bundles_to_ndjson(bundles, out / "ndjson", compress=True, split=50)
    load_script("bundles_to_omop").bundles_to_omop(bundles, out / "omop")
    tables = out / "tables"
    tables.mkdir()
    for name, table in patients_to_tables(load_patients(bundles)).items():
        pq.write_table(table, tables / f"{name}.parquet")
    return {kind: read_population(out / kind) for kind in ("ndjson", "omop", "tables")} | {
        "bundles": read_population(bundles)
    }


def protocols() -> list[CriteriaDocument]:
    paths = sorted((ROOT / "corpora" / "trials").glob("*.txt"))
    return [parse_criteria(p.read_text(encoding="utf-8"), source=str(p)) for p in paths] + [parse_criteria(TERMS)]


def assert_same(population: Population, doc: CriteriaDocument, label: str) -> list[dict[str, Any]]:
    expected = screen_population(doc, population, engine="python", index_date=INDEX).to_pylist()
    found = screen_population(doc, population, engine="duckdb", index_date=INDEX).to_pylist()
    assert [row["patient"] for row in found] == [row["patient"] for row in expected], label
    for got, want in zip(found, expected, strict=True):
        assert got == want, f"{label}, {doc.source or 'terms'}: patient {want['patient']}"
    return found


@pytest.fixture(scope="module")
def composed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Population]:
    root = tmp_path_factory.mktemp("composed")
    bundles = root / "bundles"
    bundles.mkdir()
    for number in range(12):
        (bundles / f"composed-{number}.json").write_text(json.dumps(_bundle(number)), encoding="utf-8")
    return formats(bundles, root)


@pytest.mark.parametrize("kind", ["bundles", "ndjson", "omop", "tables"])
def test_duckdb_decides_composed_patients_as_python_on_every_format(composed: dict[str, Population], kind: str) -> None:
    for doc in protocols():
        assert_same(composed[kind], doc, kind)


def test_the_formats_hold_the_same_patients_and_the_terminology_decides_some(composed: dict[str, Population]) -> None:
    """Not vacuous: the composed records make terminology leaves TRUE and unknown, and every full-fidelity format
    gives the same rows (OMOP loses statuses: only its own engines are compared)."""
    doc = parse_criteria(TERMS)
    rows = {kind: assert_same(composed[kind], doc, kind) for kind in composed}
    assert rows["ndjson"] == rows["bundles"] == rows["tables"]
    assert len(rows["omop"]) == len(rows["bundles"])
    for criterion in ("exc-5", "exc-7"):  # active tuberculosis (codes, display, text), metformin (RxNorm display)
        truths = {row["criteria"][criterion] for row in rows["bundles"]}
        assert True in truths and None in truths, criterion
    # bladder cancer (MeSH) against ICD-10-CM codes with no link into MeSH: never FALSE, whatever the lists say
    assert {row["criteria"]["exc-3"] for row in rows["bundles"]} == {None}


@pytest.mark.shared
def test_duckdb_decides_the_synthea_bundles_as_python_on_every_format(shared: Path, tmp_path: Path) -> None:
    for kind, population in formats(shared / "fhir" / "synthea-r4", tmp_path).items():
        for doc in protocols():
            assert_same(population, doc, kind)


def test_the_facade_exports_population_screening_lazily(composed: dict[str, Population], tmp_path: Path) -> None:
    import criteria_nlp

    assert {"screen_population", "read_population", "iter_screen_population"} <= set(criteria_nlp.__all__)
    population = criteria_nlp.read_population(ROOT / "corpora" / "patients")
    table = criteria_nlp.screen_population(parse_criteria(TERMS), population, index_date=INDEX)
    assert table.num_rows == len(list(population.patients())) > 0
