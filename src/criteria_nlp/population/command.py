"""``criteria-nlp screen TRIAL POPULATION --engine duckdb|spark|python``: one row per patient, streamed to a file or
stdout as JSON Lines, CSV or Parquet; the summary (and a progress count on a terminal) on stderr."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from criteria_nlp.errors import CriteriaError

if TYPE_CHECKING:
    import pyarrow as pa

    from criteria_nlp.ir import CriteriaDocument
    from criteria_nlp.population.source import Population


def screen_population_command(
    doc: CriteriaDocument,
    trial: Path,
    population_path: Path,
    engine: str,
    index_date: str | None,
    lookback_months: int,
    output_format: str,
    output: Path | None,
    explain_patient: str | None,
    options: dict[str, bool],
    assume_complete_records: bool,
    jobs: int = 1,
) -> None:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from criteria_nlp.parallel import available_cores
    from criteria_nlp.population.engines import iter_screen_population
    from criteria_nlp.population.output import Summary, open_population, write_rows

    if output_format not in ("jsonl", "csv", "parquet"):
        raise click.UsageError("with --engine, --format is jsonl, csv or parquet")
    if output_format == "parquet" and output is None:
        raise click.UsageError("--format parquet needs -o FILE")
    err = Console(stderr=True)
    try:
        if not doc.criteria:
            raise click.UsageError(f"{trial}: the protocol holds no eligibility criteria (empty or headers only)")
        population = open_population(population_path)
        if assume_complete_records:
            population = _complete(population)
        summary = Summary([c.id for c in doc.criteria])
        batches = iter_screen_population(
            doc,
            population,
            engine=engine,
            index_date=index_date,
            lookback_months=lookback_months,
            defer_not_computable=options.get("defer_not_computable", False),
            assume_default_ranges=options.get("assume_default_ranges", False),
            evidence=options.get("evidence", False),
            workers=jobs or available_cores(),
        )
        if err.is_terminal:
            columns = (SpinnerColumn(), TextColumn("screening on {task.fields[engine]}: {task.completed} patient(s)"))
            with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as progress:
                task = progress.add_task("screening", total=None, engine=engine)

                def advance(batch: pa.RecordBatch) -> None:
                    summary.add(batch)
                    progress.advance(task, batch.num_rows)

                write_rows(batches, output_format, output, advance)
        else:
            write_rows(batches, output_format, output, summary.add)
        if explain_patient is not None:
            _explain(doc, population, explain_patient, index_date, lookback_months, options)
    except CriteriaError as error:
        raise click.ClickException(error.describe()) from error
    for line in summary.lines():
        click.echo(line, err=True)
    for problem in population.problems:
        click.echo(f"warning: {problem}", err=True)


def _complete(population: Population) -> Population:
    """Every patient's condition, medication and procedure lists marked complete, but for a kind the population
    has no file of (``absent_kinds`` of an NDJSON export): that kind is missing data, not an empty list."""
    import pyarrow as pa

    from criteria_nlp.population.source import ArrowPopulation

    tables = population.arrow()
    patients = tables["patients"]
    absent = set(getattr(population, "absent_kinds", ()))
    for kind in ("conditions", "medications", "procedures"):
        if kind in absent:
            continue
        name = f"{kind}_complete"
        column = pa.array([True] * patients.num_rows, type=pa.bool_())
        patients = patients.set_column(patients.schema.get_field_index(name), name, column)
    return ArrowPopulation({**tables, "patients": patients}, name=population.name, problems=population.problems)


def _explain(
    doc: Any, population: Population, patient_id: str, index_date: str | None, lookback: int, options: dict[str, bool]
) -> None:
    """The Python engine's decision and trace for one patient of the population, on stderr."""
    from criteria_nlp.screen import screen

    for patient in population.patients():
        if patient.id == patient_id:
            result = screen(
                doc,
                patient,
                index_date=index_date,
                lookback_months=lookback,
                defer_not_computable=options.get("defer_not_computable", False),
                assume_default_ranges=options.get("assume_default_ranges", False),
            )
            click.echo(result.explain(), err=True)
            return
    raise click.ClickException(f"--explain-patient: no patient {patient_id!r} in {population.name}")
