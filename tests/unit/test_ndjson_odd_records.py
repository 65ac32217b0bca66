"""NDJSON exports made from composed bundles with odd records: the DuckDB SQL mapping
(:mod:`criteria_nlp.population.ndjson_sql`) reads them as the Python FHIR reader does, so ``screen --engine duckdb``
decides as ``--engine python`` and as the bundles themselves.

The odd records are the ones the Python reader (:mod:`criteria_nlp.sources.fhir_records`) reads with care: several
reference ranges (another sex's, a therapeutic one, age bands that disagree), a Condition abated without a date and
without a clinicalStatus, a resource whose subject is another Patient, an end before its start.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.population.engines import screen_population
from criteria_nlp.population.ndjson import NdjsonPopulation
from criteria_nlp.population.source import ArrowPopulation
from criteria_nlp.population.tables import TABLES, patients_to_tables
from criteria_nlp.sources import load_patients
from script_module import load_script

LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SNOMED = "http://snomed.info/sct"
INDEX = "2026-06-01"
PROTOCOL = """Inclusion Criteria:
- ALT <= 1.2 x ULN
Exclusion Criteria:
- Active tuberculosis
- Currently taking warfarin
"""


def _range(high: float, *, sex: str | None = None, kind: str | None = None, age: int | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"low": {"value": 0, "unit": "U/L"}, "high": {"value": high, "unit": "U/L"}}
    if sex is not None:
        found["appliesTo"] = [
            {"coding": [{"system": SNOMED, "code": {"female": "248152002", "male": "248153007"}[sex]}]}
        ]
    if kind is not None:
        system = "http://terminology.hl7.org/CodeSystem/referencerange-meaning"
        found["type"] = {"coding": [{"system": system, "code": kind}]}
    if age is not None:
        found["age"] = {"low": {"value": age, "unit": "a"}}
    return found


def _alt(pid: str, value: float, ranges: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Observation", "id": f"alt-{pid}", "status": "final",
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": LOINC, "code": "1742-6"}]}, "effectiveDateTime": "2026-05-01",
        "valueQuantity": {"value": value, "unit": "U/L", "system": "http://unitsofmeasure.org", "code": "U/L"},
        "referenceRange": ranges,
    }  # fmt: skip


def _tuberculosis(pid: str, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition", "id": f"tb-{pid}", "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": ICD10, "code": "A15.0"}]}, **fields,
    }  # fmt: skip


def _warfarin(pid: str, subject: str | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement", "id": f"w-{pid}", "status": "active",
        "subject": {"reference": subject or f"Patient/{pid}"},
        "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                  "code": "11289", "display": "warfarin"}]}, **fields,
    }  # fmt: skip


# patient id -> (sex, its resources, the criterion its odd record decides, how: true, false or None, unknown)
PATIENTS: dict[str, tuple[str, list[dict[str, Any]], str, bool | None]] = {
    # the male range comes first; a woman is judged on hers: ALT 45 > 1.2 x 33
    "woman-two-sexes": (
        "female",
        [_alt("woman-two-sexes", 45, [_range(60, sex="male"), _range(33, sex="female")])],
        "inc-1",
        False,
    ),
    "man-two-sexes": (
        "male",
        [_alt("man-two-sexes", 45, [_range(60, sex="male"), _range(33, sex="female")])],
        "inc-1",
        True,
    ),
    # a therapeutic range first is not the normal range
    "therapeutic-first": (
        "female",
        [_alt("therapeutic-first", 45, [_range(100, kind="therapeutic"), _range(33)])],
        "inc-1",
        False,
    ),
    # only a therapeutic range: no normal range, unknown
    "only-therapeutic": ("female", [_alt("only-therapeutic", 45, [_range(100, kind="therapeutic")])], "inc-1", None),
    # age bands that disagree: none is surely the patient's
    "age-bands": ("female", [_alt("age-bands", 45, [_range(60, age=18), _range(33, age=65)])], "inc-1", None),
    # two ranges that agree (one typed normal): the range
    "agreeing": ("male", [_alt("agreeing", 45, [_range(33, kind="normal"), _range(33.0)])], "inc-1", False),
    # an unknown sex and sexed ranges that disagree: no range
    "unknown-sex": (
        "unknown",
        [_alt("unknown-sex", 45, [_range(60, sex="male"), _range(33, sex="female")])],
        "inc-1",
        None,
    ),
    # abated without a date and without a clinicalStatus: over (not active; unknown on an incomplete list)
    "abated-boolean": (
        "male",
        [_tuberculosis("abated-boolean", abatementBoolean=True, onsetDateTime="2010-01-01")],
        "exc-2",
        None,
    ),
    "abated-string": ("male", [_tuberculosis("abated-string", abatementString="in childhood")], "exc-2", None),
    "abated-age": ("male", [_tuberculosis("abated-age", abatementAge={"value": 20, "unit": "a"})], "exc-2", None),
    "abated-false": ("male", [_tuberculosis("abated-false", abatementBoolean=False)], "exc-2", True),
    # a clinicalStatus says more than an abatement without a date
    "abated-but-active": (
        "male",
        [_tuberculosis("abated-but-active", abatementBoolean=True, clinicalStatus={"coding": [{"code": "active"}]})],
        "exc-2",
        True,
    ),
    # an abatement before the onset is not trusted: still active
    "end-before-start": (
        "male",
        [
            _tuberculosis(
                "end-before-start",
                onsetDateTime="2024-01-01",
                abatementDateTime="2020-01-01",
                clinicalStatus={"coding": [{"code": "active"}]},
            )
        ],
        "exc-2",
        True,
    ),
    # a medication whose end comes before its start is not over
    "medication-end-first": (
        "male",
        [_warfarin("medication-end-first", effectivePeriod={"start": "2026-01-01", "end": "2025-01-01"})],
        "exc-3",
        True,
    ),
    # another patient's warfarin in this patient's bundle is not this patient's
    "foreign-record": ("male", [_warfarin("foreign-record", subject="Patient/someone-else")], "exc-3", None),
}


def _bundle(pid: str, sex: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": pid, "gender": sex, "birthDate": "1970-01-01"}
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in [patient, *resources]]}


@pytest.fixture
def bundles(tmp_path: Path) -> Path:
    folder = tmp_path / "bundles"
    folder.mkdir()
    for pid, (sex, resources, _, _) in PATIENTS.items():
        (folder / f"{pid}.json").write_text(json.dumps(_bundle(pid, sex, resources)), encoding="utf-8")
    return folder


@pytest.fixture
def export(bundles: Path, tmp_path: Path) -> Path:
    load_script("bundles_to_ndjson").bundles_to_ndjson(bundles, tmp_path / "nd")
    return tmp_path / "nd"


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.sort_by([(name, "ascending") for name in table.column_names]).to_pylist()
    return rows


def test_the_sql_tables_equal_the_python_mapping(export: Path) -> None:
    population = NdjsonPopulation(export)
    tables = population.arrow()
    expected = patients_to_tables(population.patients())
    for table in TABLES:
        assert _rows(tables[table]) == _rows(expected[table]), table
    observations = {row["id"]: row for row in tables["observations"].to_pylist()}
    assert observations["alt-woman-two-sexes"]["reference_high"] == 33
    assert observations["alt-man-two-sexes"]["reference_high"] == 60
    assert observations["alt-therapeutic-first"]["reference_high"] == 33
    for unsure in ("only-therapeutic", "age-bands", "unknown-sex"):
        assert observations[f"alt-{unsure}"]["reference_high"] is None, unsure
    conditions = {row["id"]: row for row in tables["conditions"].to_pylist()}
    for abated in ("abated-boolean", "abated-string", "abated-age"):
        assert conditions[f"tb-{abated}"]["clinical_status"] == "resolved", abated
    assert conditions["tb-abated-false"]["clinical_status"] is None
    assert conditions["tb-abated-but-active"]["clinical_status"] == "active"
    assert conditions["tb-end-before-start"]["abatement"] is None
    medications = {row["id"]: row for row in tables["medications"].to_pylist()}
    assert medications["w-medication-end-first"]["end"] is None
    assert "w-foreign-record" not in medications


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_both_engines_decide_the_export_as_the_bundles(bundles: Path, export: Path, engine: str) -> None:
    doc = parse_criteria(PROTOCOL)
    from_bundles = ArrowPopulation(patients_to_tables(load_patients(bundles)), name="bundles")
    want = screen_population(doc, from_bundles, engine="python", index_date=INDEX).to_pylist()
    got = screen_population(doc, NdjsonPopulation(export), engine=engine, index_date=INDEX).to_pylist()
    assert sorted(got, key=lambda row: row["patient"]) == sorted(want, key=lambda row: row["patient"])
    truths = {row["patient"]: dict(row["criteria"]) for row in got}
    assert {pid: truths[pid][criterion] for pid, (_, _, criterion, _) in PATIENTS.items()} == {
        pid: truth for pid, (_, _, _, truth) in PATIENTS.items()
    }
