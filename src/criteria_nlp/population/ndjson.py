"""A FHIR Bulk Data export (NDJSON, a file per resource type) as a population.

DuckDB reads the files (``read_ndjson_objects``, ``.gz`` too), each line parsed once into the fields the mapping
reads, and :mod:`criteria_nlp.population.ndjson_sql` flattens FHIR's nesting into the long tables in SQL; the rules
that depend on a few distinct values (units, LOINC -> variable, which values to trust) are lookup tables computed in
Python over the DISTINCT values found (:mod:`criteria_nlp.population.reader_lookups`). A large export is therefore never
held in Python objects: the staged tables live in DuckDB (which spills to disk).

:meth:`NdjsonPopulation.patients` is the Python path: DuckDB groups each patient's resources (by the subject
reference), and each group is read as a bundle by :func:`criteria_nlp.sources.fhir.patient_from_fhir`, the same
mapping a bundle file goes through; the differential test holds the SQL tables equal to that path's. The Python
engine's workers read the groups in parts (:class:`~criteria_nlp.population.source.ReadInParts`): this process runs
DuckDB's grouping and hands out each part's JSON text; the workers decode it and map it to patients.

Files: ``Patient.ndjson``, ``Observation.ndjson``, ``Condition.ndjson``, ``MedicationRequest.ndjson``,
``MedicationStatement.ndjson``, ``Procedure.ndjson``, ``Medication.ndjson`` (for ``medicationReference``), each
also as ``.ndjson.gz`` and in ``$export`` parts (``Observation_1.ndjson``, ``Observation-2.ndjson``); other resource
types are not read. A line that is not a JSON object, or holds another resource type, is reported in ``problems``
with its file and line number; the rest is read. A record kind without its file (no ``Condition.ndjson``) is missing
data for every patient: reported in ``problems``, listed in ``absent_kinds`` and never taken as "none recorded".
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from criteria_nlp.knowledge.lexicon import Lexicon, load_lexicon
from criteria_nlp.population import ndjson_sql as sql
from criteria_nlp.population.reader_lookups import (
    checked_observations_sql,
    register_check_table,
    same_unit_table,
    store,
    unit_table,
    variable_table,
)
from criteria_nlp.population.source import arrow_from_views
from criteria_nlp.population.tables import TABLES, arrow_schema

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from criteria_nlp.sources.patient import Patient

RESOURCE_TYPES = (
    "Patient",
    "Observation",
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "Procedure",
    "Medication",
)
_FILE = re.compile(r"^(?P<type>[A-Za-z]+)(?:[_.-]\d+)?\.ndjson(?:\.gz)?$")
# the staged table each resource type goes to (requests and statements are one record kind)
_STAGE = {
    "Patient": "Patient",
    "Observation": "Observation",
    "Condition": "Condition",
    "MedicationRequest": "Medication",
    "MedicationStatement": "Medication",
    "Procedure": "Procedure",
}
# the resource types each record kind is read from: an export without any of them says nothing about that kind
_KIND_FILES = {
    "observations": ("Observation",),
    "conditions": ("Condition",),
    "medications": ("MedicationRequest", "MedicationStatement"),
    "procedures": ("Procedure",),
}


# how many rows of the long tables mapping one patient's resources is worth, for the size of the Python engine's parts
_GROUP_COST = 16
# one patient's resources as the export holds them: the Patient's JSON, the file it came from, the others' JSON
_Group = tuple[str, str, list[str]]


def ndjson_files(folder: Path) -> dict[str, list[Path]]:
    """The export's files by resource type (only the types read), each list sorted by name."""
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        match = _FILE.match(path.name)
        if match and match["type"] in RESOURCE_TYPES and path.is_file():
            found.setdefault(match["type"], []).append(path)
    return found


def _file_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths) + "]"


class NdjsonPopulation:
    """A FHIR NDJSON export; ``problems`` is filled when the files are first read (register, arrow, patients)."""

    def __init__(self, folder: str | Path, *, lexicon: Lexicon | None = None) -> None:
        self.folder = Path(folder)
        self.name = str(folder)
        self.files = ndjson_files(self.folder)
        self.lexicon = lexicon if lexicon is not None else load_lexicon()
        self.problems: list[str] = []
        self._medications: dict[str, dict[str, Any]] = {}
        if "Patient" not in self.files:
            from criteria_nlp.errors import PatientDataError

            raise PatientDataError(f"{folder}: a FHIR NDJSON export needs Patient.ndjson; found none")
        # a kind with no file is missing data for everyone, not an empty record: it stays unknown, even when the
        # records are declared complete (--assume-complete-records)
        self.absent_kinds = tuple(kind for kind, types in _KIND_FILES.items() if not set(types) & set(self.files))
        for kind in self.absent_kinds:
            files = " or ".join(f"{resource}.ndjson" for resource in _KIND_FILES[kind])
            self._report(f"{folder}: no {files}: {kind} are unknown for every patient (not absent)")

    def _report(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    # --- staging ----------------------------------------------------------------------------------------------
    def _stage(self, con: duckdb.DuckDBPyConnection) -> None:
        """One temp table per record kind: (key, r, line, filename), r the resource's fields as a struct."""
        bad = 0
        for stage in dict.fromkeys(_STAGE.values()):
            kinds = [kind for kind, target in _STAGE.items() if target == stage]
            paths = [path for kind in kinds for path in self.files.get(kind, [])]
            structure = sql.STRUCTURES[stage]
            if not paths:
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE _nd_{stage} AS SELECT NULL::VARCHAR AS key, "
                    f"from_json('{{}}'::JSON, '{structure}') AS r, 0::BIGINT AS line, NULL::VARCHAR AS filename LIMIT 0"
                )
                continue
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _nd_raw AS
                SELECT json, filename FROM read_ndjson_objects({_file_list(paths)}, ignore_errors = true,
                  filename = true, format = 'newline_delimited')"""
            )
            types = ", ".join(f"'{kind}'" for kind in kinds)
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _nd_{stage} AS
                SELECT {sql.patient_key("r.subject.reference") if stage != "Patient" else "r.id"} AS key, r,
                  line, filename{", raw" if stage == "Patient" else ""}
                FROM (SELECT from_json(json, '{structure}') AS r, rowid AS line, filename, json AS raw FROM _nd_raw
                      WHERE json_type(json) = 'OBJECT')
                WHERE r.resourceType IN ({types})"""
            )
            bad += con.sql(
                f"SELECT count(*) FROM _nd_raw WHERE json IS NULL OR json_type(json) <> 'OBJECT' "
                f"OR json->>'$.resourceType' IS NULL OR json->>'$.resourceType' NOT IN ({types})"
            ).fetchall()[0][0]
        con.execute("DROP TABLE IF EXISTS _nd_raw")
        self._stage_medications(con)
        if bad:
            self._scan_bad_lines()
        self._report_orphans(con)

    def _stage_medications(self, con: duckdb.DuckDBPyConnection) -> None:
        paths = self.files.get("Medication", [])
        source = (
            f"SELECT json->>'$.id' AS id, json AS resource FROM read_ndjson_objects({_file_list(paths)}, "
            "ignore_errors = true, format = 'newline_delimited') WHERE json->>'$.resourceType' = 'Medication'"
            if paths
            else "SELECT NULL::VARCHAR AS id, NULL::JSON AS resource LIMIT 0"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE _nd_medication_resources AS {source}")

    def _scan_bad_lines(self) -> None:
        """Name the lines DuckDB could not read (rare: only scanned when some were found)."""
        for kind, paths in self.files.items():
            wanted = {kind} | ({"MedicationRequest", "MedicationStatement"} if kind.startswith("Medication") else set())
            for path in paths:
                for number, line in enumerate(_lines(path), start=1):
                    if not line.strip():
                        continue
                    try:
                        resource = json.loads(line)
                    except (json.JSONDecodeError, RecursionError, ValueError) as error:
                        self._report(f"{path}:{number}: malformed JSON ({error}); line skipped")
                        continue
                    found = resource.get("resourceType") if isinstance(resource, dict) else None
                    if found not in wanted:
                        what = "not a JSON object" if not isinstance(resource, dict) else f"a {found} resource"
                        self._report(f"{path}:{number}: {what} in a {kind} file; line skipped")

    def _report_orphans(self, con: duckdb.DuckDBPyConnection) -> None:
        for stage in ("Observation", "Condition", "Medication", "Procedure"):
            count = con.sql(
                f"SELECT count(*) FROM _nd_{stage} WHERE key IS NULL OR key NOT IN (SELECT key FROM _nd_Patient)"
            ).fetchall()[0][0]
            if count:
                self._report(
                    f"{self.name}: {count} {stage} resources refer to no patient in the Patient files; not read"
                )

    # --- the tables -------------------------------------------------------------------------------------------
    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        self._stage(con)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _nd_patients AS {sql.patients_sql('_nd_Patient')}")
        # the patient's sex rides along: it chooses among an observation's reference ranges
        for stage in ("Observation", "Condition", "Medication", "Procedure"):
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW _nd_{stage}_known AS SELECT s.*, p.sex FROM _nd_{stage} s "
                "JOIN _nd_patients p ON s.key = p.patient_id"
            )
        self._register_observations(con)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _nd_conditions AS {sql.conditions_sql('_nd_Condition_known')}")
        medications = sql.medications_sql("_nd_Medication_known", "_nd_medication_resources")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _nd_medications AS {medications}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _nd_procedures AS {sql.procedures_sql('_nd_Procedure_known')}")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _nd_condition_codes AS SELECT patient_id, id AS condition_id, "
            "CAST(generate_subscripts(alternates, 1) - 1 AS INTEGER) AS ordinal, unnest(alternates).system AS system, "
            "unnest(alternates).code AS code FROM _nd_conditions"
        )
        for table in TABLES:
            columns = ", ".join(f'"{column}"' for column in arrow_schema(table).names)
            con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT {columns} FROM _nd_{table}")

    def _register_observations(self, con: duckdb.DuckDBPyConnection) -> None:
        elements = sql.range_bounds_sql(f"({sql.observation_elements_sql('_nd_Observation_known')})")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _nd_elements AS {elements}")
        units = con.sql("SELECT DISTINCT ucum, unit_text FROM _nd_elements WHERE quantity_value IS NOT NULL")
        store(con, "_nd_units", unit_table(units.fetchall()))
        pairs = con.sql(
            "SELECT DISTINCT low_unit, value_unit FROM _nd_elements "
            "WHERE low_unit IS NOT NULL AND value_unit IS NOT NULL "
            "UNION SELECT DISTINCT high_unit, value_unit FROM _nd_elements "
            "WHERE high_unit IS NOT NULL AND value_unit IS NOT NULL"
        ).fetchall()
        store(con, "_nd_same_units", same_unit_table(pairs))
        codes = con.sql("SELECT DISTINCT system, code FROM _nd_elements").fetchall()
        store(con, "_nd_variables", variable_table(codes, self.lexicon))
        raw = sql.observations_raw_sql("_nd_elements", "_nd_units", "_nd_same_units", "_nd_variables")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _nd_observations_raw AS {raw}")
        register_check_table(con, "_nd_observations_raw", "_nd_checks", self.lexicon)
        checked = checked_observations_sql("_nd_observations_raw", "_nd_checks")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _nd_observations AS {checked}")

    def arrow(self) -> dict[str, pa.Table]:
        return arrow_from_views(self)

    # --- the Python path --------------------------------------------------------------------------------------
    def patients(self) -> Iterator[Patient]:
        """Each patient read by the FHIR bundle mapping from its resources, in Patient-file order."""
        for part in self.patient_parts(256):
            yield from self.read_part(part)[0]

    def patient_parts(self, size: int) -> Iterator[list[_Group]]:
        """Each patient's resources grouped by DuckDB (in this process: the export is scanned once), as their JSON
        text, a part holding fewer than ``size`` patients: the Python engine's workers decode and map them
        (:meth:`read_part`), which costs as much as reading a bundle file. The Medication resources the groups refer
        to are kept here before the first part (inherited by forked workers, pickled with the population to spawned
        ones)."""
        import duckdb

        con = duckdb.connect()
        try:
            query = self._groups(con)
            self._medications = self._medication_resources(con)
            cursor = con.execute(query)
            # a patient's resources cost as much to map as ~16 patients of the long tables, and patients differ in
            # size: small parts keep both workers busy to the end
            while batch := cursor.fetchmany(max(1, size // _GROUP_COST)):
                yield [(patient, filename, list(resources or ())) for patient, filename, resources in batch]
        finally:
            con.close()

    def read_part(self, part: list[_Group]) -> tuple[list[Patient], list[str]]:
        """The patients of a part, each read as a bundle by the FHIR mapping, and the problems met (reported here
        too: a worker's problems come back to the engine, which adds them to ``problems``)."""
        from criteria_nlp.errors import PatientDataError
        from criteria_nlp.sources.fhir import patient_from_fhir

        patients: list[Patient] = []
        problems: list[str] = []
        for patient_json, filename, resources in part:
            bundle = _bundle(json.loads(patient_json), [json.loads(r) for r in resources], self._medications)
            try:
                patients.append(patient_from_fhir(bundle, source=filename, lexicon=self.lexicon))
            except PatientDataError as error:
                problems.append(error.describe())
                self._report(problems[-1])
        return patients, problems

    def _groups(self, con: duckdb.DuckDBPyConnection) -> str:
        self._stage(con)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _nd_patients AS {sql.patients_sql('_nd_Patient')}")
        kinds = [kind for kind in _STAGE if kind != "Patient" and kind in self.files]
        union = (
            " UNION ALL ".join(
                f"SELECT {sql.patient_key(chr(39).join(['json->>', '$.subject.reference', '']))} AS key, "
                f"json->>'$.resourceType' AS kind, json->>'$.id' AS id, json FROM read_ndjson_objects("
                f"{_file_list(self.files[kind])}, ignore_errors = true, format = 'newline_delimited') "
                f"WHERE json_type(json) = 'OBJECT' AND json->>'$.resourceType' = '{kind}'"
                for kind in kinds
            )
            or "SELECT NULL::VARCHAR AS key, NULL AS kind, NULL AS id, NULL::JSON AS json LIMIT 0"
        )
        patients = (
            "SELECT p.position, p.patient_id, p.source, s.raw AS json FROM _nd_patients p "
            "JOIN _nd_Patient s ON s.line = p.line"
        )
        return f"""SELECT any_value(p.json)::VARCHAR, any_value(p.source),
                list(r.json::VARCHAR ORDER BY r.kind, r.id) FILTER (WHERE r.json IS NOT NULL)
            FROM ({patients}) p LEFT JOIN ({union}) r ON r.key = p.patient_id
            GROUP BY p.position ORDER BY p.position"""

    def _medication_resources(self, con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
        rows = con.sql("SELECT id, resource::VARCHAR FROM _nd_medication_resources").fetchall()
        return {f"Medication/{identifier}": json.loads(text) for identifier, text in rows}


def _bundle(
    patient: dict[str, Any], resources: list[dict[str, Any]], medications: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A collection bundle of one patient's resources (and the Medication resources they refer to)."""
    referred = {
        reference
        for resource in resources
        if isinstance(resource.get("medicationReference"), dict)
        and isinstance(reference := resource["medicationReference"].get("reference"), str)
        and reference in medications
    }
    entries = [patient, *resources, *(medications[reference] for reference in sorted(referred))]
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": entry} for entry in entries]}


def _lines(path: Path) -> Iterator[str]:
    opener: Any = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        yield from handle
