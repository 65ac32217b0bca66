"""A population already in the long tables: a folder of Parquet files named as the tables (``patients.parquet``,
``observations.parquet``...), as :func:`criteria_nlp.population.synthetic.write_synthetic` writes them.

DuckDB reads the files in place (views over ``read_parquet``); nothing is loaded until a query runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from criteria_nlp.population.tables import TABLES, arrow_schema, patients_in_part, position_parts, tables_to_patients

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from criteria_nlp.sources.patient import Patient


def table_files(folder: Path) -> dict[str, Path]:
    """The ``<table>.parquet`` files found in ``folder``."""
    return {table: folder / f"{table}.parquet" for table in TABLES if (folder / f"{table}.parquet").is_file()}


class ParquetTablesPopulation:
    """The long tables as Parquet files, one per table (all of :data:`TABLES` required)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.name = str(folder)
        self.problems: list[str] = []
        self._tables: dict[str, pa.Table] | None = None
        self.files = table_files(self.folder)
        missing = [table for table in TABLES if table not in self.files]
        if missing:
            from criteria_nlp.errors import PatientDataError

            raise PatientDataError(f"{folder}: population tables missing: {', '.join(f'{t}.parquet' for t in missing)}")

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        for table, path in self.files.items():
            columns = ", ".join(f'"{column}"' for column in arrow_schema(table).names)
            location = str(path).replace("'", "''")
            con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT {columns} FROM read_parquet('{location}')")

    def arrow(self) -> dict[str, pa.Table]:
        import pyarrow.parquet as pq

        return {
            table: pq.read_table(path).select(arrow_schema(table).names).cast(arrow_schema(table))
            for table, path in self.files.items()
        }

    def patients(self) -> Iterator[Patient]:
        return tables_to_patients(self.arrow())

    def _loaded(self) -> dict[str, pa.Table]:
        """The tables, read once for the Python engine's workers (read before they fork: shared, not copied)."""
        if self._tables is None:
            self._tables = self.arrow()
        return self._tables

    def patient_parts(self, size: int) -> Iterator[tuple[int, int]]:
        return position_parts(self._loaded()["patients"], size)

    def read_part(self, part: tuple[int, int]) -> tuple[list[Patient], list[str]]:
        return list(patients_in_part(self._loaded(), part)), []
