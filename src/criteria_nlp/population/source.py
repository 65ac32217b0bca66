"""A population as every engine reads it: the long tables of :mod:`criteria_nlp.population.tables`, reachable as
DuckDB views, as Arrow tables or as :class:`~criteria_nlp.sources.patient.Patient` objects.

A reader (FHIR NDJSON, a folder of bundles or own-JSON patients, OMOP CDM) returns a :class:`Population`; the DuckDB
engine asks for views (so that a large NDJSON or Parquet input is scanned by DuckDB, never materialised in Python),
Spark for Arrow tables, the Python engine for patients.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from criteria_nlp.population.tables import TABLES, arrow_schema, patients_in_part, position_parts, tables_to_patients

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from criteria_nlp.sources.patient import Patient


class Population(Protocol):
    """Patients in the long tables, with their input order in ``patients.position``."""

    name: str  # what the input was ("data/ndjson", "omop.duckdb"), for messages
    problems: list[str]  # every record or file the reader could not read, named, with the reason

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create in ``con`` one view or table per name of :data:`~criteria_nlp.population.tables.TABLES`."""

    def arrow(self) -> dict[str, pa.Table]:
        """The tables as Arrow tables (materialised: for Spark and for small inputs)."""

    def patients(self) -> Iterator[Patient]:
        """The patients in input order (the Python engine's path)."""


@runtime_checkable
class ReadInParts(Protocol):
    """A population the Python engine's workers read themselves: the parent only hands out parts (ranges of
    positions), each worker reads its parts' patients (shared with the parent copy-on-write where it forks)."""

    def patient_parts(self, size: int) -> Iterator[Any]:
        """Small, picklable descriptions of about ``size`` patients' worth of reading each (fewer where a patient
        costs more to read), in input order."""

    def read_part(self, part: Any) -> tuple[list[Patient], list[str]]:
        """The patients of one part, in input order (exactly those :meth:`Population.patients` gives), and the
        problems met reading them (added to ``problems``)."""


class ArrowPopulation:
    """A population already in Arrow tables (from :func:`~criteria_nlp.population.tables.patients_to_tables`)."""

    def __init__(self, tables: Mapping[str, pa.Table], name: str = "<tables>", problems: list[str] | None = None):
        missing = [table for table in TABLES if table not in tables]
        if missing:
            raise ValueError(f"{name}: population tables missing: {', '.join(missing)}")
        self.tables = dict(tables)
        self.name = name
        self.problems = problems if problems is not None else []

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        for table in TABLES:
            con.register(table, self.tables[table])

    def arrow(self) -> dict[str, pa.Table]:
        return dict(self.tables)

    def patients(self) -> Iterator[Patient]:
        return tables_to_patients(self.tables)

    def patient_parts(self, size: int) -> Iterator[tuple[int, int]]:
        return position_parts(self.tables["patients"], size)

    def read_part(self, part: tuple[int, int]) -> tuple[list[Patient], list[str]]:
        return list(patients_in_part(self.tables, part)), []


def arrow_from_views(population: Population) -> dict[str, pa.Table]:
    """A population whose tables are DuckDB views (NDJSON, OMOP) materialised as Arrow tables of the schema."""
    import duckdb

    con = duckdb.connect()
    try:
        population.register(con)
        return {table: con.sql(f"SELECT * FROM {table}").to_arrow_table().cast(arrow_schema(table)) for table in TABLES}
    finally:
        con.close()
