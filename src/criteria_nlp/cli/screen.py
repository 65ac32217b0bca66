"""``criteria-nlp screen TRIAL PATIENT|DIR``: a table of patients × decision, and the explanation on request.

TRIAL is protocol text (parsed with :func:`criteria_nlp.pipeline.parse_criteria`) or, when it ends in ``.json``, a
:class:`~criteria_nlp.ir.CriteriaDocument` as written by ``model_dump_json``. PATIENT is one patient file (FHIR R4
Bundle or the library's JSON) or a directory of them (a progress bar is shown while screening).
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from criteria_nlp.cli.options import jobs_option
from criteria_nlp.cli.screen_files import Screened, ScreenJob, rendered, screen_directory
from criteria_nlp.cli.spacy_import import import_spacy_without_its_cli
from criteria_nlp.errors import CriteriaError
from criteria_nlp.ir import CriteriaDocument
from criteria_nlp.population.command import screen_population_command
from criteria_nlp.sources import load_patient, patient_files


class NothingToScreen(click.ClickException):
    """A protocol without criteria: refused like a usage error (exit 2), never screened as "eligible"."""

    exit_code = 2


def read_trial(path: Path) -> CriteriaDocument:
    """A protocol from text (parsed, or its document taken from the result cache) or from the IR's JSON."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{path}: cannot be read: {error}") from error
    if path.suffix == ".json":
        try:
            return CriteriaDocument.model_validate_json(text)
        except ValueError as error:
            raise click.ClickException(f"{path}: not a CriteriaDocument JSON: {error}") from error
    from criteria_nlp import results

    # the entry ``parse FILE`` reads and writes: the same bytes under the same name give the same document. Text
    # with a byte-order mark is parsed here with the mark kept (``parse`` drops it), so it is not cached
    key = None if data.startswith(codecs.BOM_UTF8) else results.result_key("parse", data, str(path))
    cached = results.cached_document(key)
    if cached is not None:
        return cached
    import_spacy_without_its_cli()
    from criteria_nlp.pipeline import parse_criteria

    doc = parse_criteria(text, source=str(path))
    if len(data) <= results.MAX_CACHED_INPUT:
        results.store_document(key, doc)
    return doc


@click.command("screen")
@click.argument("trial", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("patients", type=click.Path(exists=True, path_type=Path))
@click.option("--index-date", help="Date the criteria are evaluated at (YYYY-MM-DD; default today).")
@click.option("--lookback-months", default=12, show_default=True, help="Look-back for measurements without a window.")
@click.option("--explain", is_flag=True, help="Print the evaluation trace of every criterion.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "jsonl", "csv", "parquet"]),
    default=None,
    help="text or json (default text); with --engine: jsonl (default), csv or parquet.",
)
@click.option(
    "--assume-complete-records",
    is_flag=True,
    help="Treat each patient's condition, medication and procedure lists as complete (absence means absent).",
)
@click.option(
    "--defer-not-computable",
    is_flag=True,
    help="Allow 'eligible' while only not-computable criteria (consent, willingness) remain; they are listed.",
)
@click.option(
    "--assume-default-reference-ranges",
    "assume_default_ranges",
    is_flag=True,
    help="Let 'k x ULN' use the lexicon's default reference range when a value has none (marked assumed).",
)
@click.option("--validate", is_flag=True, help="Validate FHIR input with fhir.resources (slow).")
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark", "python"]),
    default=None,
    help="Screen PATIENTS as a population on this engine: one row per patient (jsonl, csv or parquet).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="With --engine: write here.")
@click.option("--explain-patient", help="With --engine: the Python engine's trace of this patient, on stderr.")
@click.option(
    "--evidence",
    is_flag=True,
    help="With --engine: add per criterion the value, unit, date, converted value and reference range each "
    "measurement or age leaf used.",
)
@jobs_option(
    "A directory of patient files, or --engine python: screen in N processes (0: one per CPU); the output "
    "keeps the input's order."
)
def screen_command(
    trial: Path,
    patients: Path,
    index_date: str | None,
    lookback_months: int,
    explain: bool,
    output_format: str,
    assume_complete_records: bool,
    defer_not_computable: bool,
    assume_default_ranges: bool,
    validate: bool,
    engine: str | None,
    output: Path | None,
    explain_patient: str | None,
    evidence: bool,
    jobs: int,
) -> None:
    """Screen PATIENTS (a patient file or a directory of them) against the protocol TRIAL.

    With --engine, PATIENTS is a population (a folder of patients, FHIR NDJSON or OMOP CDM when the readers are
    installed) screened on DuckDB, Spark or the Python engine; the summary goes to stderr."""
    if engine is not None:
        options = {"defer_not_computable": defer_not_computable, "assume_default_ranges": assume_default_ranges}
        options["evidence"] = evidence
        screen_population_command(
            read_trial(trial), trial, patients, engine, index_date, lookback_months, output_format or "jsonl",
            output, explain_patient, options, assume_complete_records, jobs,
        )  # fmt: skip
        return
    if output_format in ("jsonl", "csv", "parquet") or output is not None or explain_patient is not None or evidence:
        raise click.UsageError("--format jsonl/csv/parquet, -o, --explain-patient and --evidence need --engine")
    output_format = output_format or "text"
    console = Console()
    try:
        job = ScreenJob(
            read_trial(trial), index_date, lookback_months, defer_not_computable, assume_default_ranges, validate,
            assume_complete_records, output_format, explain, sys.stdout.isatty(), console.width,
        )  # fmt: skip
        if not job.doc.criteria:
            raise NothingToScreen(f"{trial}: the protocol holds no eligibility criteria (empty or headers only)")
        if patients.is_dir():
            outcomes = _screen_directory(job, patients, jobs)
        else:
            patient = load_patient(patients, validate=validate)
            outcomes = [rendered(job, job.context(), patients, patient)]
    except CriteriaError as error:
        raise click.ClickException(error.describe()) from error
    screened = [outcome for outcome in outcomes if outcome.error is None]
    bad = [(outcome.path, outcome.error) for outcome in outcomes if outcome.error is not None]
    if output_format == "json":
        _write_json([outcome.json or "" for outcome in screened], bad, single=not patients.is_dir())
        _fail_on_bad_files(bad)
        return
    console.print(_table(trial, screened, bad))
    for outcome in screened if explain else []:
        click.echo("")
        click.echo(outcome.explanation)
    _fail_on_bad_files(bad)


def _screen_directory(job: ScreenJob, folder: Path, jobs: int) -> list[Screened]:
    """Every file's outcome (a progress bar on a terminal for the text table); the first fatal error stops it."""
    err = Console(stderr=True)
    files = patient_files(folder)
    outcomes: list[Screened] = []
    with contextlib.ExitStack() as stack:
        advance: Callable[[], None] = lambda: None  # noqa: E731
        if job.output_format == "text" and err.is_terminal:
            bar = stack.enter_context(Progress(console=err, transient=True))
            task = bar.add_task("screening", total=len(files))
            advance = functools.partial(bar.advance, task)
        for outcome in screen_directory(job, files, jobs):
            if outcome.fatal is not None:
                raise click.ClickException(outcome.fatal)
            outcomes.append(outcome)
            if outcome.error is None:
                advance()
    return outcomes


def _write_json(items: list[str], bad: list[tuple[Path, str]], *, single: bool) -> None:
    """One result (a patient file) or a JSON array written one element at a time, unreadable files last."""
    if single:
        click.echo(items[0])
        return
    parts = items + [json.dumps({"source": str(path), "error": why}, indent=2, ensure_ascii=False) for path, why in bad]
    click.echo("[" if parts else "[]")
    for number, part in enumerate(parts):
        click.echo(textwrap.indent(part, "  ") + ("," if number < len(parts) - 1 else ""))
    if parts:
        click.echo("]")


def _fail_on_bad_files(bad: list[tuple[Path, str]]) -> None:
    """Every unreadable patient file was reported in the output; the exit status says how many there were."""
    if bad:
        click.echo(f"error: {len(bad)} patient file(s) could not be screened", err=True)
        raise click.exceptions.Exit(1)


def _table(trial: Path, screened: list[Screened], bad: list[tuple[Path, str]]) -> Table:
    table = Table(title=f"{trial.name}: {len(screened)} patient(s)")
    table.add_column("patient", overflow="fold")
    table.add_column("decision")
    table.add_column("inclusion met", justify="right")
    table.add_column("exclusion clear", justify="right")
    table.add_column("why / missing", overflow="fold")
    for outcome in screened:
        if outcome.row is not None:
            table.add_row(*outcome.row)
    for path, reason in bad:
        table.add_row(path.name, "[red]error[/]", "", "", reason)
    return table


if __name__ == "__main__":  # pragma: no cover
    screen_command()
