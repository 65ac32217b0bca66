"""The long tables a population is held in: the patient model (:mod:`criteria_nlp.sources.patient`), a table per
record kind, one row per record, keyed by ``patient_id``.

Every reader of a population (FHIR NDJSON, bundles, own JSON, OMOP CDM) writes these tables and every engine (DuckDB,
Spark, Python) reads them, so that the engines decide from the same data. The tables carry exactly the fields of the
patient model: :func:`patients_to_tables` and :func:`tables_to_patients` are inverse (timestamps are naive UTC, as the
engine compares them), which is what the differential tests between engines rest on.

``patients.position`` is the patient's place in the input: results come out in that order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from criteria_nlp.sources.patient import Condition, Medication, Observation, Patient, Procedure

if TYPE_CHECKING:
    import pyarrow as pa

# (column, Arrow type name): the type names are those of pyarrow's constructors (pa.string(), pa.float64()...)
SCHEMA: dict[str, tuple[tuple[str, str], ...]] = {
    "patients": (
        ("patient_id", "string"),
        ("position", "int64"),
        ("birth_date", "date32"),
        ("birth_date_precision", "string"),
        ("sex", "string"),
        ("deceased", "bool_"),
        ("deceased_date", "date32"),
        ("pregnant", "bool_"),
        ("breastfeeding", "bool_"),
        ("conditions_complete", "bool_"),
        ("medications_complete", "bool_"),
        ("procedures_complete", "bool_"),
        ("source", "string"),
    ),
    "observations": (
        ("patient_id", "string"),
        ("id", "string"),
        ("variable", "string"),
        ("system", "string"),
        ("code", "string"),
        ("display", "string"),
        ("value", "float64"),
        ("comparator", "string"),
        ("unit", "string"),
        ("unit_normalized", "string"),
        ("value_text", "string"),
        ("effective", "timestamp"),
        ("reference_low", "float64"),
        ("reference_high", "float64"),
    ),
    "conditions": (
        ("patient_id", "string"),
        ("id", "string"),
        ("system", "string"),
        ("code", "string"),
        ("display", "string"),
        ("text", "string"),
        ("onset", "timestamp"),
        ("abatement", "timestamp"),
        ("clinical_status", "string"),
        ("verification_status", "string"),
    ),
    # a condition's further codings (Condition.alternate_codes), in their order
    "condition_codes": (
        ("patient_id", "string"),
        ("condition_id", "string"),
        ("ordinal", "int32"),
        ("system", "string"),
        ("code", "string"),
    ),
    "medications": (
        ("patient_id", "string"),
        ("id", "string"),
        ("system", "string"),
        ("code", "string"),
        ("display", "string"),
        ("status", "string"),
        ("start", "timestamp"),
        ("end", "timestamp"),
        ("text", "string"),
    ),
    "procedures": (
        ("patient_id", "string"),
        ("id", "string"),
        ("system", "string"),
        ("code", "string"),
        ("display", "string"),
        ("performed_start", "timestamp"),
        ("performed_end", "timestamp"),
    ),
}
"""Every table and its columns, in order."""

TABLES = tuple(SCHEMA)
_RECORDS: dict[str, tuple[str, type[Any]]] = {
    "observations": ("observations", Observation),
    "conditions": ("conditions", Condition),
    "medications": ("medications", Medication),
    "procedures": ("procedures", Procedure),
}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of one table (timestamps in microseconds, naive UTC)."""
    import pyarrow as pa

    def arrow_type(name: str) -> pa.DataType:
        return pa.timestamp("us") if name == "timestamp" else getattr(pa, name)()

    return pa.schema([(column, arrow_type(kind)) for column, kind in SCHEMA[table]])


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def patient_rows(patient: Patient, position: int) -> dict[str, list[dict[str, Any]]]:
    """One patient as rows of every table."""
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
    head = patient.model_dump(include={name for name, _ in SCHEMA["patients"]})
    rows["patients"].append({**head, "patient_id": patient.id, "position": position})
    for table, (attribute, _model) in _RECORDS.items():
        columns = [name for name, _ in SCHEMA[table] if name != "patient_id"]
        for record in getattr(patient, attribute):
            row: dict[str, Any] = {"patient_id": patient.id}
            for column in columns:
                value = getattr(record, column)
                row[column] = _naive_utc(value) if isinstance(value, datetime) else value
            rows[table].append(row)
    for condition in patient.conditions:
        for ordinal, (system, code) in enumerate(condition.alternate_codes):
            rows["condition_codes"].append(
                {
                    "patient_id": patient.id,
                    "condition_id": condition.id,
                    "ordinal": ordinal,
                    "system": system,
                    "code": code,
                }
            )
    return rows


def patients_to_tables(patients: Iterable[Patient]) -> dict[str, pa.Table]:
    """Patients (in input order) as Arrow tables of :data:`SCHEMA`."""
    import pyarrow as pa

    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
    for position, patient in enumerate(patients):
        for table, items in patient_rows(patient, position).items():
            rows[table].extend(items)
    return {table: pa.Table.from_pylist(rows[table], schema=arrow_schema(table)) for table in TABLES}


def tables_to_patients(tables: Mapping[str, pa.Table]) -> Iterator[Patient]:
    """The patients of the tables, in ``position`` order (the inverse of :func:`patients_to_tables`)."""
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {table: {} for table in TABLES if table != "patients"}
    for table in grouped:
        for row in tables[table].to_pylist():
            grouped[table].setdefault(row.pop("patient_id"), []).append(row)
    alternates: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
    for patient_id, items in grouped["condition_codes"].items():
        for row in items:
            alternates.setdefault((patient_id, row["condition_id"]), []).append(
                (row["ordinal"], row["system"], row["code"])
            )
    heads = sorted(tables["patients"].to_pylist(), key=lambda row: row["position"])
    for head in heads:
        patient_id = head.pop("patient_id")
        head.pop("position")
        records: dict[str, Any] = {}
        for table, (attribute, model) in _RECORDS.items():
            items = grouped[table].get(patient_id, [])
            if table == "conditions":
                items = [
                    {
                        **row,
                        "alternate_codes": tuple(
                            (s, c) for _, s, c in sorted(alternates.get((patient_id, row["id"]), []))
                        ),
                    }
                    for row in items
                ]
            records[attribute] = tuple(model(**row) for row in items)
        yield Patient(id=patient_id, **head, **records)


def position_parts(patients: pa.Table, size: int) -> Iterator[tuple[int, int]]:
    """The patients' positions cut into ranges of ``size`` patients, ``(first, last)`` inclusive, in input order:
    what a worker of the Python engine is given to read (:func:`patients_in_part`) instead of the patients."""
    import pyarrow.compute as pc

    positions = pc.sort_indices(patients["position"])
    ordered = patients["position"].take(positions).to_pylist()
    for start in range(0, len(ordered), size):
        yield ordered[start], ordered[min(start + size, len(ordered)) - 1]


def patients_in_part(tables: Mapping[str, pa.Table], part: tuple[int, int]) -> Iterator[Patient]:
    """The patients whose position is in the range ``part`` (as :func:`tables_to_patients` reads them from all the
    tables: the same objects, in the same order)."""
    import pyarrow.compute as pc

    first, last = part
    position = tables["patients"]["position"]
    heads = tables["patients"].filter(pc.and_(pc.greater_equal(position, first), pc.less_equal(position, last)))
    ids = heads["patient_id"].combine_chunks()
    subset = {
        table: heads if table == "patients" else rows.filter(pc.is_in(rows["patient_id"], value_set=ids))
        for table, rows in tables.items()
    }
    return tables_to_patients(subset)
