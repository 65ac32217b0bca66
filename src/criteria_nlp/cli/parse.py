"""``criteria-nlp parse FILE`` (a protocol, or one criterion a line as JSONL) and ``criteria-nlp schema``."""

from __future__ import annotations

import codecs
import functools
import importlib.util
import io
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

import click

from criteria_nlp.errors import CriteriaError, CriteriaInputError
from criteria_nlp.ir import CriteriaDocument, Criterion, Section, render_tree


def _read_input(path: str) -> tuple[bytes, str]:
    if path == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    file = Path(path)
    if not file.is_file():
        raise click.BadParameter(f"no such file: {path}", param_hint="FILE")
    return file.read_bytes(), str(file)


def _jsonl_records(lines: Iterable[str], source: str) -> Iterator[tuple[str, str, Section]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise CriteriaInputError(
                f"{source} line {number}: not JSON ({error.msg})",
                start=error.pos,
                expected=['{"id": ..., "text": ...}'],
            ) from error
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise CriteriaInputError(f"{source} line {number}: a record needs a string 'text'", expected=['"text"'])
        section = record.get("section", "inclusion")
        if section not in ("inclusion", "exclusion", "unknown"):
            section = "unknown"
        yield str(record.get("id", number)), record["text"], section


def _open_input(path: str) -> tuple[BinaryIO, str]:
    """The input as a binary stream read line by line (JSONL is never held whole: memory stays flat)."""
    if path == "-":
        return sys.stdin.buffer, "<stdin>"
    file = Path(path)
    if not file.is_file():
        raise click.BadParameter(f"no such file: {path}", param_hint="FILE")
    return file.open("rb"), str(file)


def _streamed_lines(stream: BinaryIO, source: str) -> Iterator[str]:
    """The lines of a UTF-8 stream as ``str.splitlines`` gives them for the whole text, decoded one at a time; an
    invalid byte is the error :func:`~criteria_nlp.pipeline.decode_text` gives (its offset in the whole input)."""
    offset = 0
    for number, raw in enumerate(stream):
        try:
            line = codecs.decode(raw, "utf-8-sig" if number == 0 else "utf-8")
        except UnicodeDecodeError as error:
            raise CriteriaInputError(
                f"{source} is not valid UTF-8: byte {raw[error.start]:#04x}",
                start=offset + error.start,
                end=offset + error.end,
                expected=["UTF-8 text"],
            ) from error
        offset += len(raw)
        yield from line.splitlines()


def _rendered(output_format: str, criterion: Criterion) -> str:
    from criteria_nlp.ir.constraints import criterion_record

    if output_format == "constraints":
        return json.dumps(criterion_record(criterion), ensure_ascii=False) + "\n"
    if output_format == "text":
        out = io.StringIO()
        _write_criterion(criterion, out)
        return out.getvalue()
    return criterion.model_dump_json() + "\n"


def render_chunk(output_format: str, records: list[tuple[str, str, Section]]) -> list[str]:
    """A chunk of JSONL records parsed and rendered in a worker process (``--jobs``): only text comes back."""
    from criteria_nlp.parallel import worker_parser

    return [_rendered(output_format, criterion) for criterion in worker_parser().parse_many(records)]


def _parse_jsonl(file: str, output_format: str, output: TextIO, jobs: int) -> None:
    """JSONL in, one output record per criterion written as soon as it is parsed (in input order)."""
    from criteria_nlp.parallel import available_cores, map_ordered
    from criteria_nlp.pipeline import default_parser

    stream, source = _open_input(file)
    with stream:
        records = _jsonl_records(_streamed_lines(stream, source), source)
        parser = default_parser()
        workers = jobs or available_cores()
        if workers == 1:
            for criterion in parser.parse_many(records):
                output.write(_rendered(output_format, criterion))
            return
        render = functools.partial(render_chunk, output_format)
        for text in map_ordered(render, records, workers=workers, parser=parser):
            output.write(text)


def _write_text(document: CriteriaDocument, out: TextIO) -> None:
    current = None
    for criterion in document.criteria:
        if criterion.section != current:
            current = criterion.section
            out.write(f"{current.capitalize()} criteria\n")
        _write_criterion(criterion, out)
    for diagnostic in document.diagnostics:
        if diagnostic.severity != "error":  # errors go to stderr with a non-zero exit status
            out.write(f"{diagnostic.severity}: {diagnostic.message}\n")


def _write_criterion(criterion: Criterion, out: TextIO) -> None:
    out.write(f"  {criterion.label or criterion.id}. {criterion.text.strip()}  [{criterion.status}]\n")
    for line in render_tree(criterion.expression, "      "):
        out.write(line + "\n")


def _parse_with_spark(file: str, destination: str | None, engine: str) -> None:
    """``--engine spark FILE DESTINATION``: a whole table of criteria parsed by Spark (local mode unless the
    environment's Spark configuration says otherwise)."""
    if engine != "spark" or destination is None:
        raise click.UsageError("DESTINATION is given with --engine spark only, and --engine spark needs it")
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("pyarrow") is None:
        raise click.ClickException("--engine spark needs pyspark and pyarrow: pip install 'criteria-nlp[spark]'")
    from criteria_nlp import spark

    session = spark.local_session()
    spark.write_parquet(spark.parse_dataframe(spark.read_input(session, file)), destination)


@click.command("parse")
@click.argument("file", default="-")
@click.argument("destination", required=False)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "text", "constraints"]),
    default="json",
    show_default=True,
    help="json: the whole document; text: a readable tree; constraints: the flat numeric-constraint table (JSONL).",
)
@click.option(
    "--input-format",
    type=click.Choice(["text", "jsonl"]),
    default="text",
    show_default=True,
    help='text: a protocol\'s eligibility text; jsonl: one criterion a line, {"id": ..., "text": ..., "section": ...}.',
)
@click.option(
    "-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="Write here (default stdout)."
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="JSONL input: parse in N processes (0: one per CPU); the output keeps the input's order.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="spark: parse FILE (a Parquet table or JSONL of id, text, section) with Spark and write DESTINATION/"
    "documents and DESTINATION/constraints as Parquet (needs the 'spark' extra).",
)
def parse_command(
    file: str, destination: str | None, output_format: str, input_format: str, output: TextIO, jobs: int, engine: str
) -> None:
    """Parse FILE (or - for stdin) into typed, unit-aware expressions."""
    from criteria_nlp.pipeline import decode_text, default_parser

    if engine == "spark" or destination is not None:
        _parse_with_spark(file, destination, engine)
        return
    if input_format == "jsonl":
        try:
            _parse_jsonl(file, output_format, output, jobs)
        except CriteriaError as error:
            raise click.ClickException(str(error)) from error
        return
    data, source = _read_input(file)
    try:
        text = decode_text(data, source=source)
        parser = default_parser()
        document = parser.parse(text, source=source)
    except CriteriaError as error:
        raise click.ClickException(str(error)) from error
    if output_format == "constraints":
        for record in document.constraints():
            output.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif output_format == "text":
        _write_text(document, output)
    else:
        output.write(document.model_dump_json(indent=2) + "\n")
    errors = [d for d in document.diagnostics if d.severity == "error"]
    for diagnostic in errors:
        click.echo(f"error: {source}: {diagnostic.message}", err=True)
    if errors:
        raise click.exceptions.Exit(1)


@click.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the parsed document."""
    from criteria_nlp.ir import dump_schema

    click.echo(dump_schema())
