"""Screen a whole population for one protocol: on DuckDB (embedded, the default), on Spark, or with the Python engine.

Every engine returns the same Arrow table, one row per patient in input order: ``patient``, ``decision``,
``criteria`` (a struct: criterion id -> true / false / null for unknown) and ``missing`` (the data that would decide
the unknown criteria, as the Python engine words them). The SQL engines run the query of
:func:`~criteria_nlp.population.compile.compile_trial`; the Python engine runs :func:`criteria_nlp.screen.screen_many`
over ``population.patients()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from criteria_nlp.errors import CriteriaInputError

if TYPE_CHECKING:
    import pyarrow as pa

    from criteria_nlp.evaluate.context import EvaluationContext
    from criteria_nlp.ir import CriteriaDocument
    from criteria_nlp.knowledge.lexicon import Lexicon
    from criteria_nlp.population.compile import Compiled
    from criteria_nlp.population.source import Population
    from criteria_nlp.sources import Patient

Engine = Literal["duckdb", "spark", "python"]
ENGINES: tuple[str, ...] = ("duckdb", "spark", "python")
BATCH_ROWS = 65_536


def output_schema(criterion_ids: list[str], evidence: bool = False) -> pa.Schema:
    """``patient``, ``decision``, ``criteria``, ``missing``; with ``evidence``, an ``evidence`` struct: criterion id
    -> the items of :mod:`criteria_nlp.population.evidence`."""
    import pyarrow as pa

    from criteria_nlp.population.evidence import evidence_type

    fields = [
        ("patient", pa.string()),
        ("decision", pa.string()),
        ("criteria", pa.struct([(name, pa.bool_()) for name in criterion_ids])),
        ("missing", pa.list_(pa.string())),
    ]
    if evidence:
        fields.append(("evidence", evidence_type(criterion_ids)))
    return pa.schema(fields)


def _rows(batch: pa.RecordBatch, compiled: Compiled, evidence: bool = False) -> pa.RecordBatch:
    """A batch of the query's columns as output rows (the truth columns gathered into the ``criteria`` struct, the
    evidence columns into ``evidence``: an empty list for a criterion without measurement leaves)."""
    import pyarrow as pa

    schema = output_schema(compiled.criterion_ids, evidence)
    truths = [batch.column(name) for name in compiled.columns]
    criteria = pa.StructArray.from_arrays(truths, fields=list(schema.field("criteria").type))
    missing = batch.column("missing").cast(pa.list_(pa.string()))
    arrays = [batch.column("patient_id"), batch.column("decision"), criteria, missing]
    if evidence:
        fields = list(schema.field("evidence").type)
        empty = pa.array([[]] * batch.num_rows, type=fields[0].type)
        items = [empty if name is None else batch.column(name).cast(empty.type) for name in compiled.evidence]
        arrays.append(pa.StructArray.from_arrays(items, fields=fields))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _context(
    index_date: date | str | None, lookback_months: int, lexicon: Lexicon | None, assume_default_ranges: bool
) -> EvaluationContext:
    from criteria_nlp.screen import _context as screen_context

    return screen_context(index_date, lookback_months, lexicon, assume_default_ranges)


def duckdb_batches(
    doc: CriteriaDocument,
    source: Population,
    ctx: EvaluationContext,
    *,
    defer_not_computable: bool = False,
    connection: Any = None,
    threads: int | None = None,
    evidence: bool = False,
) -> Iterator[pa.RecordBatch]:
    import duckdb

    from criteria_nlp.population.compile import compile_trial

    con = connection if connection is not None else duckdb.connect()
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    source.register(con)
    compiled = compile_trial(
        doc, ctx, lambda sql: con.execute(sql).fetchall(), defer_not_computable=defer_not_computable, evidence=evidence
    )
    for name, table in compiled.lookups.items():
        con.register(name, table)
    reader = con.sql(compiled.sql_for("duckdb")).to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        yield _rows(batch, compiled, evidence)


def spark_batches(
    doc: CriteriaDocument,
    source: Population,
    ctx: EvaluationContext,
    *,
    defer_not_computable: bool = False,
    spark: Any = None,
    evidence: bool = False,
) -> Iterator[pa.RecordBatch]:
    """The spark-dialect query over temporary views of the population's Arrow tables. ``spark``: a SparkSession;
    by default one for ``SPARK_REMOTE`` (Spark Connect) or ``SPARK_MASTER`` when set, else local mode."""
    from criteria_nlp.population.compile import compile_trial

    session = spark if spark is not None else spark_session()
    views = {**source.arrow()}
    for name, table in views.items():
        _view(session, name, table)
    compiled = compile_trial(
        doc,
        ctx,
        lambda sql: [tuple(row) for row in session.sql(_spark_sql(sql)).collect()],
        defer_not_computable=defer_not_computable,
        evidence=evidence,
    )
    for name, table in compiled.lookups.items():
        _view(session, name, table)
    table = session.sql(compiled.sql_for("spark")).toArrow()
    for batch in table.to_batches(BATCH_ROWS):
        yield _rows(batch, compiled, evidence)


def _spark_sql(sql: str) -> str:
    from criteria_nlp.population.compile import emit

    return emit(sql, "spark")


def _view(session: Any, name: str, table: pa.Table) -> None:
    from criteria_nlp.population.tables import SCHEMA

    if name in SCHEMA or table.num_rows:
        frame = session.createDataFrame(table)
    else:  # an empty lookup: Spark infers nothing from no rows, so the schema is given
        frame = session.createDataFrame([], schema=_ddl(table.schema))
    frame.createOrReplaceTempView(name)


def _ddl(schema: pa.Schema) -> str:
    import pyarrow as pa

    names = {pa.string(): "string", pa.bool_(): "boolean", pa.float64(): "double", pa.int8(): "tinyint"}
    return ", ".join(f"`{field.name}` {names[field.type]}" for field in schema)


def spark_session() -> Any:
    """A session for ``SPARK_REMOTE`` (a Spark Connect URL) or ``SPARK_MASTER`` (a master URL) when set, else a
    local one (``local[*]``)."""
    import os

    from pyspark.sql import SparkSession

    from criteria_nlp.spark import local_session

    remote = os.environ.get("SPARK_REMOTE")
    if remote:
        return SparkSession.builder.remote(remote).getOrCreate()
    return local_session(os.environ.get("SPARK_MASTER", "local[*]"))


def python_batches(
    doc: CriteriaDocument,
    source: Population,
    ctx: EvaluationContext,
    *,
    defer_not_computable: bool = False,
    evidence: bool = False,
    workers: int = 1,
) -> Iterator[pa.RecordBatch]:
    """The Python engine: :func:`~criteria_nlp.screen.screen` per patient, in ``workers`` processes when more than
    one (rows in input order; the workers read the patients of a population read in parts)."""
    import pyarrow as pa

    from criteria_nlp.screen import require_criteria

    require_criteria(doc)
    ctx.keep_fixed_traces = True
    schema = output_schema([c.id for c in doc.criteria], evidence)
    job = _PythonJob(doc, ctx, defer_not_computable, evidence)
    if workers > 1:
        rows = _rows_in_workers(job, source, workers)
    else:
        rows = (job.row(patient) for patient in source.patients())
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= 4096:
            yield pa.RecordBatch.from_pylist(batch, schema=schema)
            batch = []
    if batch:
        yield pa.RecordBatch.from_pylist(batch, schema=schema)


@dataclass(frozen=True)
class _PythonJob:
    """What the Python engine screens each patient with (shared by its workers: inherited when forked)."""

    doc: CriteriaDocument
    ctx: EvaluationContext
    defer_not_computable: bool
    evidence: bool

    def row(self, patient: Patient) -> dict[str, Any]:
        """A patient's output row (``evidence`` as the Python engine's trace shows it)."""
        from criteria_nlp.evaluate import PatientIndex
        from criteria_nlp.population.evidence import python_evidence
        from criteria_nlp.screen import screen

        result = screen(self.doc, patient, context=self.ctx, defer_not_computable=self.defer_not_computable)
        criteria = {
            c.criterion_id: None if c.outcome.value == "unknown" else c.outcome.value == "true" for c in result.criteria
        }
        row = {"patient": patient.id, "decision": result.decision, "criteria": criteria}
        row["missing"] = list(result.missing_data)
        if self.evidence:
            row["evidence"] = python_evidence(self.doc, result, PatientIndex(patient, self.ctx.lexicon), self.ctx)
        return row


def _rows_in_workers(job: _PythonJob, source: Population, workers: int) -> Iterator[dict[str, Any]]:
    """Rows of ``source``'s patients screened in ``workers`` processes, in input order.

    A population read in parts (:class:`~criteria_nlp.population.source.ReadInParts`) is read by the workers: this
    process hands out ranges of positions. Other populations are read here and their patients sent. The first
    part (patient) is screened here: what it builds on first use (the lexicon's plans, the context's caches) is then
    shared by the forked workers."""
    from criteria_nlp.parallel import map_ordered
    from criteria_nlp.population.source import ReadInParts

    if isinstance(source, ReadInParts):
        parts = source.patient_parts(_PART_SIZE)
        first_part = next(parts, None)
        if first_part is None:
            return
        yield from (job.row(patient) for patient in source.read_part(first_part)[0])
        screened = map_ordered(_screen_parts, parts, workers=workers, chunk_size=1, shared=(job, source))
        for row, problems in screened:
            if row is not None:
                yield row
            for problem in problems:
                if problem not in source.problems:
                    source.problems.append(problem)
        return
    patients = source.patients()
    first = next(patients, None)
    if first is None:
        return
    yield job.row(first)
    yield from map_ordered(_screen_chunk, patients, workers=workers, shared=(job, None))


# patients a worker reads and screens at a time: enough to make reading a part cheap against screening it
_PART_SIZE = 64


def _screen_parts(parts: list[Any]) -> list[tuple[dict[str, Any] | None, list[str]]]:
    """Parts of a population read and screened in a worker of :func:`_rows_in_workers`: each patient's row, and
    after each part the problems met reading it (None for the row)."""
    from criteria_nlp.parallel import worker_shared

    job, source = worker_shared()
    results: list[tuple[dict[str, Any] | None, list[str]]] = []
    for part in parts:
        patients, problems = source.read_part(part)
        results.extend((job.row(patient), []) for patient in patients)
        results.append((None, problems))
    return results


def _screen_chunk(patients: list[Patient]) -> list[dict[str, Any]]:
    """A chunk of patients screened in a worker of :func:`_rows_in_workers`."""
    from criteria_nlp.parallel import worker_shared

    job, _ = worker_shared()
    return [job.row(patient) for patient in patients]


def iter_screen_population(
    trial: CriteriaDocument,
    source: Population,
    *,
    engine: str = "duckdb",
    index_date: date | str | None = None,
    lookback_months: int = 12,
    lexicon: Lexicon | None = None,
    defer_not_computable: bool = False,
    assume_default_ranges: bool = False,
    spark: Any = None,
    connection: Any = None,
    evidence: bool = False,
    workers: int = 1,
) -> Iterator[pa.RecordBatch]:
    """:func:`screen_population` as Arrow record batches, for outputs too large to hold."""
    ctx = _context(index_date, lookback_months, lexicon, assume_default_ranges)
    defer = defer_not_computable
    if engine == "duckdb":
        return duckdb_batches(trial, source, ctx, defer_not_computable=defer, connection=connection, evidence=evidence)
    if engine == "spark":
        return spark_batches(trial, source, ctx, defer_not_computable=defer, spark=spark, evidence=evidence)
    if engine == "python":
        return python_batches(trial, source, ctx, defer_not_computable=defer, evidence=evidence, workers=workers)
    raise CriteriaInputError(f"unknown engine {engine!r}", expected=list(ENGINES))


def screen_population(
    trial: CriteriaDocument,
    source: Population,
    *,
    engine: str = "duckdb",
    index_date: date | str | None = None,
    lookback_months: int = 12,
    lexicon: Lexicon | None = None,
    defer_not_computable: bool = False,
    assume_default_ranges: bool = False,
    spark: Any = None,
    connection: Any = None,
    evidence: bool = False,
    workers: int = 1,
) -> pa.Table:
    """Screen every patient of ``source`` against ``trial``: one row per patient, in input order, with ``patient``,
    ``decision``, ``criteria`` (criterion id -> true / false / null) and ``missing``. ``engine``: "duckdb"
    (embedded, the default), "spark" (``spark``: a SparkSession, else see :func:`spark_session`) or "python".
    ``evidence=True`` adds ``evidence``: per criterion, the value, unit, date, converted value and reference range
    each measurement or age leaf used (:mod:`criteria_nlp.population.evidence`). ``workers``: processes for the
    Python engine (rows in input order; DuckDB and Spark use their own threads)."""
    import pyarrow as pa

    batches = list(
        iter_screen_population(
            trial,
            source,
            engine=engine,
            index_date=index_date,
            lookback_months=lookback_months,
            lexicon=lexicon,
            defer_not_computable=defer_not_computable,
            assume_default_ranges=assume_default_ranges,
            spark=spark,
            connection=connection,
            evidence=evidence,
            workers=workers,
        )
    )
    return pa.Table.from_batches(batches, schema=output_schema([c.id for c in trial.criteria], evidence))
