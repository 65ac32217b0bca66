"""Writing a population's screening rows (JSON Lines, CSV or Parquet) as they stream, and the run's summary."""

from __future__ import annotations

import csv
import importlib
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from criteria_nlp.population.source import Population

FORMATS = ("jsonl", "csv", "parquet")


def open_population(path: Path) -> Population:
    """A population from a path: the readers of :mod:`criteria_nlp.population.read` when they are installed (FHIR
    NDJSON, OMOP CDM, bundles), else a patient file or a folder of FHIR bundles / own-JSON patients."""
    try:
        reader = importlib.import_module("criteria_nlp.population.read")
    except ImportError:
        reader = None
    if reader is not None:
        population: Population = reader.read_population(path)
        return population
    from criteria_nlp.population.source import ArrowPopulation
    from criteria_nlp.population.tables import patients_to_tables
    from criteria_nlp.sources import load_patient, load_patients

    problems: list[str] = []
    patients = (
        load_patients(path, on_error=lambda file, why: problems.append(f"{file}: {why}"))
        if path.is_dir()
        else iter([load_patient(path)])
    )
    return ArrowPopulation(patients_to_tables(patients), name=str(path), problems=problems)


@dataclass
class Summary:
    """Counts per decision and, per criterion, how many patients it left unknown."""

    criterion_ids: list[str]
    decisions: Counter[str] = field(default_factory=Counter)
    unknown: Counter[str] = field(default_factory=Counter)
    patients: int = 0

    def add(self, batch: pa.RecordBatch) -> None:
        import pyarrow.compute as pc

        self.patients += batch.num_rows
        for value, count in zip(*_value_counts(batch.column("decision")), strict=True):
            self.decisions[value] += count
        criteria = batch.column("criteria")
        for position, name in enumerate(self.criterion_ids):
            self.unknown[name] += int(pc.sum(pc.is_null(criteria.field(position))).as_py() or 0)

    def lines(self) -> list[str]:
        order = ("eligible", "ineligible", "needs_review")
        counts = ", ".join(f"{self.decisions[name]} {name}" for name in order)
        lines = [f"{self.patients} patient(s): {counts}"]
        unknown = [f"{name} {self.unknown[name]}" for name in self.criterion_ids if self.unknown[name]]
        if unknown:
            lines.append("unknown per criterion: " + ", ".join(unknown))
        return lines


def _value_counts(column: Any) -> tuple[list[str], list[int]]:
    counts = column.value_counts()
    return counts.field("values").to_pylist(), counts.field("counts").to_pylist()


def write_rows(
    batches: Iterable[pa.RecordBatch],
    output_format: str,
    target: Path | None,
    on_batch: Callable[[pa.RecordBatch], None],
) -> None:
    """Stream the rows to ``target`` (stdout when None; Parquet needs a file)."""
    if output_format == "parquet":
        if target is None:
            raise ValueError("parquet output needs -o FILE")
        import pyarrow.parquet as pq

        writer = None
        for batch in batches:
            writer = writer or pq.ParquetWriter(str(target), batch.schema)
            writer.write_batch(batch)
            on_batch(batch)
        if writer is not None:
            writer.close()
        return
    stream: IO[str]
    if target is None:
        import sys

        stream = sys.stdout
    else:
        stream = target.open("w", encoding="utf-8", newline="")
    try:
        writer_csv = None
        for batch in batches:
            rows = batch.to_pylist()
            if output_format == "jsonl":
                stream.write("".join(json.dumps(row, ensure_ascii=False, default=_json) + "\n" for row in rows))
            else:
                if writer_csv is None:
                    writer_csv = csv.writer(stream)
                    writer_csv.writerow(_csv_header(batch.schema))
                writer_csv.writerows(_csv_row(row) for row in rows)
            on_batch(batch)
    finally:
        if target is not None:
            stream.close()


def _json(value: Any) -> str:
    """Dates of the evidence (``date``) as ISO text."""
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _csv_header(schema: pa.Schema) -> list[str]:
    names = [f.name for f in schema.field("criteria").type]
    return ["patient", "decision", *names, "missing", *(["evidence"] if "evidence" in schema.names else [])]


def _csv_row(row: dict[str, Any]) -> list[str]:
    """A row as CSV cells; the evidence (when asked for) as one JSON cell."""
    truths = ["" if value is None else str(value).lower() for value in row["criteria"].values()]
    cells = [row["patient"], row["decision"], *truths, "; ".join(row["missing"])]
    if "evidence" in row:
        cells.append(json.dumps(row["evidence"], ensure_ascii=False, default=_json))
    return cells


def csv_text(table: pa.Table) -> str:
    """The rows of a table as CSV (for tests and small outputs)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_csv_header(table.schema))
    writer.writerows(_csv_row(row) for row in table.to_pylist())
    return buffer.getvalue()
