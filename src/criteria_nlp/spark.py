"""Parsing a registry's criteria with Spark: :func:`parse_dataframe` and ``criteria-nlp parse --engine spark``.

Needs the ``spark`` extra (``pip install criteria-nlp[spark]``: pyspark and pyarrow) and, on a cluster, the package
installed on every executor. Each Python worker builds the parser once, when its first batch arrives
(:func:`criteria_nlp.parallel.worker_parser`; Spark reuses its Python workers), and parses Arrow record batches
(``mapInArrow``), one criterion a row, exactly as ``parse --input-format jsonl`` does in one process:

- ``document``: the criterion's JSON (``parse --input-format jsonl --format json``, one line);
- ``constraints``: its rows of the constraint table (``--format constraints``), one struct per constraint.

:func:`constraint_table` flattens them to one row per constraint; :func:`write_parquet` writes both tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

SECTIONS = ("inclusion", "exclusion", "unknown")

# the schema of parse_dataframe's rows (Spark DDL); the constraint's fields are those of ir.constraints
RESULT_SCHEMA = (
    "id string, section string, text string, status string, document string, "
    "constraints array<struct<variable: string, mention: string, low: double, low_inclusive: boolean, "
    "high: double, high_inclusive: boolean, unit: string, reference: string, span_start: int, span_end: int>>"
)


def parse_dataframe(
    df: DataFrame, *, text_col: str = "text", id_col: str = "id", section_col: str | None = "section"
) -> DataFrame:
    """Parse every row of ``df`` as one criterion: a DataFrame with ``id``, ``section``, ``text``, ``status``,
    ``document`` (the criterion's JSON) and ``constraints`` (see the module docstring), one row per input row.

    ``section_col`` None (or a null value) means "inclusion"; a value other than inclusion / exclusion / unknown is
    "unknown", as for JSONL input. Rows keep no order: join on ``id``.
    """
    from pyspark.sql import functions as F

    section = F.col(section_col).cast("string") if section_col is not None else F.lit(None).cast("string")
    rows = df.select(
        F.col(id_col).cast("string").alias("id"),
        section.alias("section"),
        F.col(text_col).cast("string").alias("text"),
    )
    return rows.mapInArrow(_parse_batches, RESULT_SCHEMA)


def _section(value: str | None) -> Any:
    if value is None:
        return "inclusion"
    return value if value in SECTIONS else "unknown"


def _parse_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Runs in the Spark Python worker: parse each batch's rows with the worker's one parser."""
    import pyarrow as pa

    from criteria_nlp.ir.constraints import criterion_record
    from criteria_nlp.parallel import worker_parser

    parser = worker_parser()
    for batch in batches:
        columns = batch.to_pydict()
        records = [
            (identifier, text or "", _section(section))
            for identifier, text, section in zip(columns["id"], columns["text"], columns["section"], strict=True)
        ]
        out: dict[str, list[Any]] = {name: [] for name in ("id", "section", "text", "status", "document")}
        out["constraints"] = []
        for criterion in parser.parse_many(records):
            out["id"].append(criterion.id)
            out["section"].append(criterion.section)
            out["text"].append(criterion.text)
            out["status"].append(criterion.status)
            out["document"].append(criterion.model_dump_json())
            out["constraints"].append([_flat(row) for row in criterion_record(criterion)["constraints"]])
        yield pa.RecordBatch.from_pydict(out, schema=_arrow_schema())


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    low, low_inclusive, high, high_inclusive = row["interval"]
    return {
        "variable": row["variable"],
        "mention": row["mention"],
        "low": low,
        "low_inclusive": low_inclusive,
        "high": high,
        "high_inclusive": high_inclusive,
        "unit": row["unit"],
        "reference": row["reference"],
        "span_start": row["span"][0],
        "span_end": row["span"][1],
    }


def _arrow_schema() -> pa.Schema:
    import pyarrow as pa

    constraint = pa.struct(
        [
            ("variable", pa.string()),
            ("mention", pa.string()),
            ("low", pa.float64()),
            ("low_inclusive", pa.bool_()),
            ("high", pa.float64()),
            ("high_inclusive", pa.bool_()),
            ("unit", pa.string()),
            ("reference", pa.string()),
            ("span_start", pa.int32()),
            ("span_end", pa.int32()),
        ]
    )
    text = [(name, pa.string()) for name in ("id", "section", "text", "status", "document")]
    return pa.schema([*text, ("constraints", pa.list_(constraint))])


def constraint_table(parsed: DataFrame) -> DataFrame:
    """One row per constraint: the criterion's ``id`` and ``section``, ``position`` (its place among the
    criterion's constraints) and the constraint's fields."""
    from pyspark.sql import functions as F

    exploded = parsed.select("id", "section", F.posexplode("constraints").alias("position", "constraint"))
    return exploded.select("id", "section", "position", "constraint.*")


def record_of(row: dict[str, Any]) -> dict[str, Any]:
    """A constraint struct back in the constraint table's JSON form (``--format constraints``)."""
    return {
        "variable": row["variable"],
        "mention": row["mention"],
        "interval": [row["low"], row["low_inclusive"], row["high"], row["high_inclusive"]],
        "unit": row["unit"],
        "reference": row["reference"],
        "span": [row["span_start"], row["span_end"]],
    }


def write_parquet(parsed: DataFrame, destination: str) -> None:
    """``destination/documents`` (``parse_dataframe``'s rows without the constraints) and
    ``destination/constraints`` (:func:`constraint_table`), as Parquet; parsed once (the result is persisted)."""
    parsed = parsed.persist()
    try:
        parsed.drop("constraints").write.mode("overwrite").parquet(f"{destination}/documents")
        constraint_table(parsed).write.mode("overwrite").parquet(f"{destination}/constraints")
    finally:
        parsed.unpersist()


def read_input(spark: SparkSession, source: str) -> DataFrame:
    """A table of criteria: JSONL (``.jsonl`` / ``.json``, the records of ``parse --input-format jsonl``) or
    Parquet (anything else)."""
    if source.endswith((".jsonl", ".json")):
        return spark.read.json(source, schema="id string, text string, section string")
    return spark.read.parquet(source)


def local_session(master: str = "local[*]") -> SparkSession:
    """A Spark session in local mode whose Python workers run this interpreter (so they import this package)."""
    import os
    import sys

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder: Any = SparkSession.builder
    session: SparkSession = (
        builder.master(master).appName("criteria-nlp").config("spark.ui.enabled", "false").getOrCreate()
    )
    return session
