"""Population readers: FHIR NDJSON (DuckDB SQL against the Python FHIR mapping), OMOP CDM, synthetic Parquet tables,
and read_population's recognition of each format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from criteria_nlp.population.folder import ParquetTablesPopulation
from criteria_nlp.population.json_folder import JsonFolderPopulation
from criteria_nlp.population.ndjson import NdjsonPopulation
from criteria_nlp.population.omop import OmopPopulation
from criteria_nlp.population.read import PopulationFormatError, read_population
from criteria_nlp.population.synthetic import synthetic_tables, write_synthetic
from criteria_nlp.population.tables import TABLES, patients_to_tables
from criteria_nlp.sources import load_patients
from script_module import load_script


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.sort_by([(name, "ascending") for name in table.column_names]).to_pylist()


def _assert_same_tables(first: dict[str, pa.Table], second: dict[str, pa.Table]) -> None:
    for table in TABLES:
        assert first[table].schema == second[table].schema, table
        assert _rows(first[table]) == _rows(second[table]), table


def _write_lines(path: Path, lines: list[Any]) -> None:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))


LOINC = "http://loinc.org"


def _quantity(value: Any, unit: str, **extra: Any) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit, **extra}


def _observation(oid: str, subject: str, code: str, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation", "id": oid, "status": fields.pop("status", "final"),
        "subject": {"reference": subject}, "code": {"coding": [{"system": LOINC, "code": code}]}, **fields,
    }  # fmt: skip


@pytest.fixture
def crafted(tmp_path: Path) -> Path:
    """A small export exercising the mapping's corners (no ../shared needed)."""
    folder = tmp_path / "export"
    folder.mkdir()
    _write_lines(folder / "Patient.ndjson", [
        {"resourceType": "Patient", "id": "a", "birthDate": "1970-05", "gender": "female"},
        "{not json",
        {"resourceType": "Patient", "id": "b", "birthDate": "1900-01-01", "gender": "robot",
         "deceasedDateTime": "2024-03-01T23:30:00-05:00"},
        {"resourceType": "Patient", "id": "a", "birthDate": "1980-01-01"},
    ])  # fmt: skip
    bp = {"coding": [{"system": LOINC, "code": "85354-9"}]}
    component = [
        {"code": {"coding": [{"system": LOINC, "code": "8480-6"}]}, "valueQuantity": _quantity(142, "mm[Hg]")},
        {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]}, "valueQuantity": _quantity(-5, "mm[Hg]")},
    ]
    _write_lines(folder / "Observation_1.ndjson", [
        {**_observation("bp", "Patient/a", "85354-9", effectivePeriod={"start": "2024-01-02T10:00:00+02:00"}),
         "code": bp, "component": component},
        _observation("cr", "Patient/a", "2160-0", effectiveDateTime="2024-01-03",
                     valueQuantity=_quantity(88, "umol/L", comparator="<"),
                     referenceRange=[{"low": {"value": 60, "unit": "umol/L"},
                                      "high": {"value": 110, "code": "mg/dL"}}]),
        _observation("hb", "urn:uuid:a", "718-7", effectiveInstant="2024-01-04T08:00:00Z",
                     valueQuantity=_quantity(130, "g/L"),
                     referenceRange=[{"low": {"value": 120}, "high": {"value": 160}}]),
        _observation("bad", "Patient/a", "718-7", status="cancelled", valueQuantity=_quantity(1, "g/L")),
        _observation("txt", "Patient/b", "1742-6", effectiveDateTime="2023", valueString="pending"),
        _observation("odd", "Patient/b", "1742-6", effectiveDateTime="2023-02", valueQuantity=_quantity("12", "U/L")),
        _observation("lost", "Patient/zzz", "1742-6", valueQuantity=_quantity(1, "U/L")),
        {"resourceType": "Encounter", "id": "e1"},
    ])  # fmt: skip
    _write_lines(folder / "Observation_2.ndjson", [
        _observation("unk", "Patient/b", "1742-6", effectiveDateTime="2023-02-02",
                     valueQuantity=_quantity(3, "furlongs")),
        _observation("pct", "Patient/b", "4548-4", effectiveDateTime="2023-02-02", valueQuantity=_quantity(140, "%")),
    ])  # fmt: skip
    _write_lines(folder / "Condition.ndjson", [
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/a"},
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "A15.0"},
                             {"system": "http://example.org", "code": "x"},
                             {"system": "http://snomed.info/sct", "code": "56717001", "display": "Tuberculosis"}]},
         "clinicalStatus": {"coding": [{"code": "active"}]}, "onsetPeriod": {"start": "2020-01-01"},
         "abatementDateTime": "2019-01-01"},
        {"resourceType": "Condition", "id": "c2", "subject": {"reference": "Patient/a"}, "code": {"text": "free text"},
         "verificationStatus": "entered-in-error"},
        {"resourceType": "Condition", "id": "c3", "subject": {"reference": "Patient/b"}, "code": {"text": "pregnancy"}},
    ])  # fmt: skip
    _write_lines(folder / "MedicationRequest.ndjson", [
        {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "subject": {"reference": "Patient/a"},
         "medicationReference": {"reference": "Medication/med1"}, "authoredOn": "2024-01-01T00:00:00Z"},
        {"resourceType": "MedicationRequest", "id": "m2", "status": "stopped", "subject": {"reference": "Patient/a"},
         "medicationReference": {"reference": "#in"}, "effectivePeriod": {"start": "2023-01-01", "end": "2023-02-01"},
         "contained": [{"resourceType": "Medication", "id": "in", "code": {"text": "aspirin"}}]},
        {"resourceType": "MedicationRequest", "id": "m3", "subject": {"reference": "Patient/a"},
         "medicationReference": {"reference": "Medication/none"}},
    ])  # fmt: skip
    _write_lines(folder / "Medication.ndjson", [
        {"resourceType": "Medication", "id": "med1",
         "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "860975"}]}},
    ])  # fmt: skip
    _write_lines(folder / "Procedure.ndjson", [
        {"resourceType": "Procedure", "id": "p1", "status": "completed", "subject": {"reference": "Patient/b"},
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "73761001"}]},
         "performedDateTime": "2022-06-01T12:00:00+00:00"},
        {"resourceType": "Procedure", "id": "p2", "status": "not-done", "subject": {"reference": "Patient/b"},
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "73761001"}]}},
    ])  # fmt: skip
    (folder / "Encounter.ndjson").write_text('{"resourceType": "Encounter"}\n')
    return folder


def test_crafted_ndjson_sql_equals_the_python_fhir_mapping(crafted: Path) -> None:
    population = read_population(crafted)
    assert isinstance(population, NdjsonPopulation)
    tables = population.arrow()
    _assert_same_tables(tables, patients_to_tables(population.patients()))
    patients = {row["patient_id"]: row for row in tables["patients"].to_pylist()}
    assert [patients["a"]["position"], patients["b"]["position"]] == [0, 1]  # the repeated "a" is not read twice
    assert patients["a"]["birth_date_precision"] == "month" and patients["b"]["birth_date"] is None
    assert str(patients["b"]["deceased_date"]) == "2024-03-02"  # 23:30 at -05:00 is the next day in UTC
    observations = {row["id"]: row for row in tables["observations"].to_pylist()}
    assert observations["bp/8480-6"]["value"] == 142 and observations["bp/8462-4"]["value"] is None
    assert observations["cr"]["comparator"] == "<" and observations["cr"]["reference_low"] is None  # units differ
    assert observations["hb"]["reference_low"] == 120 and str(observations["hb"]["effective"]) == "2024-01-04 08:00:00"
    assert "bad" not in observations and "lost" not in observations
    assert observations["odd"]["value"] is None and observations["txt"]["value_text"] == "pending"
    assert observations["unk"]["value"] is None and observations["pct"]["value"] is None
    conditions = {row["id"]: row for row in tables["conditions"].to_pylist()}
    assert (conditions["c1"]["code"], conditions["c1"]["abatement"]) == ("A15.0", None)
    assert "c2" not in conditions and conditions["c3"]["text"] == "pregnancy"
    assert [row["code"] for row in _rows(tables["condition_codes"])] == ["56717001", "x"]
    medications = {row["id"]: row for row in tables["medications"].to_pylist()}
    assert medications["m1"]["code"] == "860975" and medications["m2"]["text"] == "aspirin" and "m3" not in medications
    assert [row["id"] for row in tables["procedures"].to_pylist()] == ["p1"]
    problems = "\n".join(population.problems)
    assert f"{crafted / 'Patient.ndjson'}:2: malformed JSON" in problems
    assert "Observation_1.ndjson:8: a Encounter resource" in problems
    assert "1 Observation resources refer to no patient" in problems


def test_register_gives_views_of_every_table(crafted: Path) -> None:
    import duckdb

    con = duckdb.connect()
    read_population(crafted).register(con)
    counts = {table: con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0] for table in TABLES}
    assert counts["patients"] == 2 and counts["observations"] == 8


@pytest.fixture(scope="module")
def synthea(shared: Path) -> Path:
    return shared / "fhir" / "synthea-r4"


def test_synthea_ndjson_sql_equals_python_and_bundles(synthea: Path, tmp_path: Path) -> None:
    load_script("bundles_to_ndjson").bundles_to_ndjson(synthea, tmp_path / "nd", compress=True, split=1000)
    assert (tmp_path / "nd" / "Observation_2.ndjson.gz").exists()
    population = read_population(tmp_path / "nd")
    tables = population.arrow()
    _assert_same_tables(tables, patients_to_tables(population.patients()))
    from_bundles = patients_to_tables(load_patients(synthea))
    assert tables["observations"].num_rows == from_bundles["observations"].num_rows > 1000
    for table in ("observations", "conditions", "medications", "procedures"):
        drop = ["source"] if table == "patients" else []
        assert _rows(tables[table].drop_columns(drop)) == _rows(from_bundles[table].drop_columns(drop)), table
    assert population.problems == []


def _facts(tables: dict[str, pa.Table], ids: dict[str, str]) -> dict[str, set[tuple[Any, ...]]]:
    """What OMOP can hold, per table, keyed by the FHIR patient id."""

    def of(table: str, *columns: str) -> set[tuple[Any, ...]]:
        return {(ids.get(row["patient_id"], row["patient_id"]), *(row[c] for c in columns))
                for row in tables[table].to_pylist()}  # fmt: skip

    return {
        "patients": of("patients", "birth_date", "sex", "deceased_date"),
        "observations": of("observations", "variable", "code", "value", "unit", "unit_normalized", "effective"),
        "conditions": of("conditions", "code", "onset", "abatement"),
        "medications": of("medications", "code", "start", "end"),
        "procedures": of("procedures", "code", "performed_start", "performed_end"),
    }


def test_synthea_omop_reads_back_the_bundles_codes_and_values(synthea: Path, tmp_path: Path) -> None:
    import csv

    load_script("bundles_to_omop").bundles_to_omop(synthea, tmp_path / "omop")
    population = read_population(tmp_path / "omop")
    assert isinstance(population, OmopPopulation)
    with (tmp_path / "omop" / "person.csv").open() as handle:
        ids = {row["person_id"]: row["person_source_value"] for row in csv.DictReader(handle)}
    omop = _facts(population.arrow(), ids)
    bundles = _facts(patients_to_tables(load_patients(synthea)), {})
    for table in omop:
        assert omop[table] == bundles[table], table
    assert len(list(population.patients())) == len(ids)


def test_synthetic_tables_are_realistic_and_read_back(tmp_path: Path) -> None:
    folder = write_synthetic(tmp_path / "syn", 2000, seed=3)
    population = read_population(folder)
    assert isinstance(population, ParquetTablesPopulation)
    tables = population.arrow()
    assert tables["patients"].num_rows == 2000
    assert _rows(tables["observations"]) == _rows(synthetic_tables(2000, seed=3)["observations"])
    observations = tables["observations"].to_pylist()
    assert len(observations) > 10_000
    units = {(row["variable"], row["unit"]) for row in observations}
    assert {("creatinine", "mg/dL"), ("creatinine", "umol/L")} <= units
    assert sum(row["value"] is None for row in observations) > 0
    assert {row["comparator"] for row in observations} >= {None, "<", ">"}
    codes = {row["code"] for row in tables["conditions"].to_pylist()}
    assert {"56717001", "A15.0", "77386006"} <= codes
    patients = tables["patients"].to_pylist()
    assert 0 < sum(bool(row["deceased"]) for row in patients) < 200
    assert {row["sex"] for row in patients} >= {"female", "male"}
    assert next(population.patients()).id == "p0"


def test_a_folder_of_patient_json_is_read_through_load_patients(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps({"id": "x", "birth_date": "1980-01-01", "sex": "male"}))
    (tmp_path / "two.json").write_text("{broken")
    seen: list[str] = []
    population = read_population(tmp_path, on_error=lambda path, reason: seen.append(path.name))
    assert isinstance(population, JsonFolderPopulation)
    assert [patient.id for patient in population.patients()] == ["x"]
    assert seen == ["two.json"] and "two.json" in population.problems[0]
    assert population.arrow()["patients"].num_rows == 1 and [patient.id for patient in population.patients()] == ["x"]
    assert seen == ["two.json"] and len(population.problems) == 1  # reported once, however often the files are read


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: None, "found nothing"),
        (lambda folder: (folder / "notes.txt").write_text("x"), "found notes.txt"),
        (lambda folder: (folder / "Observation.ndjson").write_text("{}\n"), "no Patient.ndjson"),
        (lambda folder: (folder / "measurement.csv").write_text("a\n"), "no person table"),
    ],
)
def test_unrecognised_paths_name_what_was_found(tmp_path: Path, make: Any, message: str) -> None:
    make(tmp_path)
    with pytest.raises(PopulationFormatError, match=message) as error:
        read_population(tmp_path)
    assert "expected" in str(error.value)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "people.txt").write_text("x")
    with pytest.raises(PopulationFormatError, match=r"people\.txt: a file of type '\.txt'"):
        read_population(tmp_path / "people.txt")


def test_omop_in_a_duckdb_database(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "cdm.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE person AS SELECT 7 AS person_id, 8532 AS gender_concept_id, 1980 AS year_of_birth, "
                "NULL::INTEGER AS month_of_birth, NULL::INTEGER AS day_of_birth")  # fmt: skip
    con.execute("CREATE TABLE measurement AS SELECT 1 AS measurement_id, 7 AS person_id, 0 AS measurement_concept_id, "
                "'2160-0' AS measurement_source_value, 1.4 AS value_as_number, 4171754 AS operator_concept_id, "
                "'mg/dL' AS unit_source_value, DATE '2024-01-01' AS measurement_date")  # fmt: skip
    con.close()
    tables = read_population(path).arrow()
    patient = tables["patients"].to_pylist()[0]
    assert (patient["patient_id"], patient["sex"], patient["birth_date_precision"]) == ("7", "female", "year")
    observation = tables["observations"].to_pylist()[0]
    assert (observation["variable"], observation["value"], observation["comparator"]) == ("creatinine", 1.4, "<=")


_MISSING_KIND = {"Condition": "conditions", "Procedure": "procedures", "MedicationRequest": "medications"}
# one criterion per record kind the crafted export holds: tuberculosis (a's condition), colonoscopy (b's procedure),
# metformin (a's medication, RxNorm 860975), pregnancy (b's condition)
_KINDS_PROTOCOL = "Exclusion Criteria:\n- Active tuberculosis\n- Prior colonoscopy\n- Current use of metformin\n"


def _screen_export(folder: Path, *extra: str) -> dict[str, tuple[int, str, str]]:
    from click.testing import CliRunner

    from criteria_nlp.cli import cli

    trial = folder.parent / "trial.txt"
    trial.write_text(_KINDS_PROTOCOL + "- Pregnancy\n", encoding="utf-8")
    outputs = {}
    for engine in ("duckdb", "python"):
        arguments = ["screen", str(trial), str(folder), "--engine", engine, "--index-date", "2026-11-01", *extra]
        result = CliRunner().invoke(cli, arguments)
        outputs[engine] = (result.exit_code, result.stdout, result.stderr)
    return outputs


@pytest.mark.parametrize("missing", sorted(_MISSING_KIND))
def test_a_missing_resource_file_is_missing_data_on_every_engine(crafted: Path, missing: str) -> None:
    """No Condition.ndjson (Procedure, MedicationRequest) is no data about that kind for anyone: DuckDB read it with
    a binder error; now every engine reads the rest, warns naming the file, and the kind's criteria stay unknown,
    also when the records are declared complete."""
    kind = _MISSING_KIND[missing]
    complete_run = _screen_export(crafted, "--assume-complete-records")  # all files: the kind's criteria decided
    (crafted / f"{missing}.ndjson").unlink()
    population = read_population(crafted)
    assert isinstance(population, NdjsonPopulation) and population.absent_kinds == (kind,)
    tables = population.arrow()
    assert tables[kind].num_rows == 0 and tables["patients"].num_rows == 2
    _assert_same_tables(tables, patients_to_tables(population.patients()))
    for extra in ((), ("--assume-complete-records",)):
        outputs = _screen_export(crafted, *extra)
        assert outputs["duckdb"] == outputs["python"]
        code, out, err = outputs["duckdb"]
        assert code == 0, err
        named = f"{missing}.ndjson or MedicationStatement.ndjson" if kind == "medications" else f"{missing}.ndjson"
        assert f"warning: {crafted}: no {named}: {kind} are unknown for every patient" in err
        rows = [json.loads(line) for line in out.splitlines()]
        # exc-1 and exc-4 read conditions, exc-2 procedures, exc-3 medications
        unknown = {"conditions": ("exc-1", "exc-4"), "procedures": ("exc-2",), "medications": ("exc-3",)}[kind]
        assert all(row["criteria"][criterion] is None for row in rows for criterion in unknown)
        assert all(row["decision"] != "eligible" for row in rows)
    decided = [json.loads(line) for line in complete_run["duckdb"][1].splitlines()]
    # with every file, the complete records decide for some patient what the missing file leaves unknown
    assert any(row["criteria"][unknown[0]] is not None for row in decided)


_PATIENTS = Path(__file__).resolve().parents[2] / "corpora" / "patients"
_OMOP_KIND = {
    "condition_occurrence": "conditions",
    "procedure_occurrence": "procedures",
    "drug_exposure": "medications",
}


@pytest.mark.parametrize("missing", sorted(_OMOP_KIND))
def test_a_missing_omop_table_is_missing_data_on_every_engine(tmp_path: Path, missing: str) -> None:
    """No condition_occurrence (procedure_occurrence, drug_exposure) table says nothing about that kind: a warning
    names the table, the kind is listed in ``absent_kinds`` and stays incomplete with --assume-complete-records."""
    from click.testing import CliRunner

    from criteria_nlp.cli import cli

    folder = tmp_path / "omop"
    load_script("bundles_to_omop").bundles_to_omop(_PATIENTS, folder)
    complete = read_population(folder)
    assert isinstance(complete, OmopPopulation) and complete.absent_kinds == () and complete.problems == []
    (folder / f"{missing}.csv").unlink()
    kind = _OMOP_KIND[missing]
    population = read_population(folder)
    assert isinstance(population, OmopPopulation) and population.absent_kinds == (kind,)
    warning = f"{folder}: no {missing} table: {kind} are unknown for every patient (not absent)"
    assert population.problems == [warning]
    trial = tmp_path / "trial.txt"
    trial.write_text("Exclusion Criteria:\n- Active tuberculosis\n", encoding="utf-8")
    outputs = set()
    for engine in ("duckdb", "python"):
        arguments = ["screen", str(trial), str(folder), "--engine", engine, "--index-date", "2026-11-01"]
        result = CliRunner().invoke(cli, [*arguments, "--assume-complete-records"])
        assert result.exit_code == 0, result.output
        assert f"warning: {warning}" in result.stderr
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        complete_rows = {row["patient"]: row["criteria"]["exc-1"] for row in rows}
        outputs.add(result.stdout)
        if kind == "conditions":  # the tuberculosis criterion reads conditions: unknown for everyone, never "none"
            assert set(complete_rows.values()) == {None}
        else:
            assert None not in complete_rows.values()  # the conditions are there and declared complete
    assert len(outputs) == 1
