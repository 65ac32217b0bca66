"""``criteria-nlp parse FILE`` (a protocol, or one criterion a line as JSONL) and ``criteria-nlp schema``."""

from __future__ import annotations

import codecs
import functools
import importlib.util
import io
import json
import os
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

import click

from criteria_nlp.cli.main import resume_collection
from criteria_nlp.cli.options import jobs_option, watch_options
from criteria_nlp.cli.spacy_import import import_spacy_without_its_cli
from criteria_nlp.errors import CriteriaError, CriteriaInputError
from criteria_nlp.ir import CriteriaDocument, Criterion, Section, render_tree


def _read_input(path: str) -> tuple[bytes, str]:
    if path == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    file = _input_file(path)
    return file.read_bytes(), str(file)


def _input_file(path: str) -> Path:
    file = Path(path)
    if file.is_dir():
        raise click.BadParameter(f"{path} is a directory; parse reads one protocol file (or - for stdin)")
    if not file.is_file():
        raise click.BadParameter(f"no such file: {path}", param_hint="FILE")
    return file


def _jsonl_records(lines: Iterable[str], source: str, problems: list[str]) -> Iterator[tuple[str, str, Section]]:
    """The records of JSONL input; a bad line is reported in ``problems`` with its number and the rest is read.

    Records are split on "\n" only: U+2028 or U+0085 inside a JSON string are legal JSON, not line ends.
    """
    from criteria_nlp.text.headers import classify_header

    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError, ValueError) as error:
            problems.append(f"{source} line {number}: not JSON ({getattr(error, 'msg', error)}); skipped")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            problems.append(f"{source} line {number}: a record needs a string 'text'; skipped")
            continue
        raw_id = record.get("id", number)
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or len(str(raw_id)) > _MAX_ID_CHARS:
            problems.append(
                f"{source} line {number}: 'id' must be a string or an integer (at most "
                f"{_MAX_ID_CHARS} characters); skipped"
            )
            continue
        criterion_id = str(raw_id)
        if criterion_id in seen:
            problems.append(f"{source} line {number}: duplicate id {criterion_id!r} (parsed, but ids must be unique)")
        seen.add(criterion_id)
        if classify_header(record["text"].strip()) in ("inclusion", "exclusion"):
            problems.append(f"{source} line {number}: the text is a section header, not a criterion")
        written = str(record.get("section", "inclusion")).strip().lower()
        section: Section = (
            "inclusion" if written == "inclusion" else "exclusion" if written == "exclusion" else "unknown"
        )
        yield criterion_id, record["text"], section


_MAX_ID_CHARS = 200


def _open_input(path: str) -> tuple[BinaryIO, str]:
    """The input as a binary stream read line by line (JSONL is never held whole: memory stays flat)."""
    if path == "-":
        return sys.stdin.buffer, "<stdin>"
    file = _input_file(path)
    return file.open("rb"), str(file)


def _streamed_lines(stream: Iterable[bytes], source: str) -> Iterator[str]:
    """The lines of a UTF-8 stream, split on "\n" only (U+2028 or U+0085 inside a JSON string are legal JSON, not
    line ends), decoded one at a time; an invalid byte is the error :func:`~criteria_nlp.pipeline.decode_text` gives
    (its offset in the whole input)."""
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
        yield line[:-1] if line.endswith("\n") else line


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
    """JSONL in, one output record per criterion written as soon as it is parsed (in input order).

    A file (or stdin redirected from a file) of at most :data:`~criteria_nlp.results.MAX_CACHED_INPUT` bytes is read
    whole: what it gives (the output and the problems) is kept in the result cache under its bytes, its name and the
    format, and taken from there the next time (no spaCy, no parse). A larger file, or a pipe (whose lines are
    parsed as they arrive, not after the whole input), is streamed and not kept.
    """
    from criteria_nlp import results

    stream, source = _open_input(file)
    with stream:
        data = stream.read() if _small_file(stream, results.MAX_CACHED_INPUT) else None
        key = None if data is None else results.result_key(f"parse-jsonl-{output_format}", data, source)
        cached = results.cached_output(key)
        if cached is not None:
            output.write(cached[0])
            _report_problems(cached[1])
            return
        problems: list[str] = []
        kept: list[str] | None = [] if key is not None else None
        lines = _streamed_lines(stream if data is None else io.BytesIO(data), source)
        for text in _parsed_jsonl(_jsonl_records(lines, source, problems), output_format, jobs):
            output.write(text)
            if kept is not None:
                kept.append(text)
    if kept is not None:
        results.store_output(key, "".join(kept), problems)
    _report_problems(problems)


def _small_file(stream: BinaryIO, limit: int) -> bool:
    """Whether ``stream`` is a regular file of at most ``limit`` bytes from where it stands (not a pipe, a socket
    or a terminal)."""
    try:
        status = os.fstat(stream.fileno())
        position = stream.tell()
    except (OSError, ValueError, io.UnsupportedOperation):  # no file descriptor (a test's stand-in): not a file
        return False
    return stat.S_ISREG(status.st_mode) and status.st_size - position <= limit


def _parsed_jsonl(records: Iterator[tuple[str, str, Section]], output_format: str, jobs: int) -> Iterator[str]:
    """The records parsed and rendered, in their order, in ``jobs`` processes (0: one per CPU)."""
    import_spacy_without_its_cli()
    from criteria_nlp.parallel import available_cores, map_ordered
    from criteria_nlp.pipeline import default_parser

    parser = default_parser()
    resume_collection()
    workers = jobs or available_cores()
    if workers == 1:
        for criterion in parser.parse_many(records):
            yield _rendered(output_format, criterion)
    else:
        yield from map_ordered(functools.partial(render_chunk, output_format), records, workers=workers, parser=parser)


def _write_text(document: CriteriaDocument, criteria: Iterable[Criterion], out: TextIO) -> None:
    current = None
    for criterion in criteria:
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
@jobs_option("JSONL input: parse in N processes (0: one per CPU); the output keeps the input's order.")
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="spark: parse FILE (a Parquet table or JSONL of id, text, section) with Spark and write DESTINATION/"
    "documents and DESTINATION/constraints as Parquet (needs the 'spark' extra).",
)
@watch_options("parse again and print the new document")
def parse_command(
    file: str,
    destination: str | None,
    output_format: str,
    input_format: str,
    output: TextIO,
    jobs: int,
    engine: str,
    watch: bool,
    max_runs: int | None,
    interval: float,
) -> None:
    """Parse FILE (or - for stdin) into typed, unit-aware expressions."""
    if watch:
        if file == "-" or input_format != "text" or engine != "local" or destination is not None:
            raise click.UsageError("--watch reads a protocol FILE (text input, the local engine)")
        _watch(_input_file(file), output_format, output, interval=interval, max_runs=max_runs)
        return
    if engine == "spark" or destination is not None:
        import_spacy_without_its_cli()
        resume_collection()
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
        frame = _parse_protocol(data, source, output_format, output)
    except CriteriaError as error:
        raise click.ClickException(str(error)) from error
    errors = [d for d in frame.diagnostics if d.severity == "error"]
    for diagnostic in errors:
        click.echo(f"error: {source}: {diagnostic.message}", err=True)
    if errors:
        raise click.exceptions.Exit(1)


def _parse_protocol(data: bytes, source: str, output_format: str, output: TextIO) -> CriteriaDocument:
    """The protocol ``data`` parsed (or its document taken from the result cache: :mod:`criteria_nlp.results`) and
    written in ``output_format``; returns the document without its criteria (for its diagnostics)."""
    from criteria_nlp import results

    key = results.result_key("parse", data, source)
    cached = results.cached_document(key)
    if cached is not None:
        resume_collection()
        frame = cached.model_copy(update={"criteria": ()})
        _write_document(frame, cached.criteria, output_format, output)
        return frame
    import_spacy_without_its_cli()
    from criteria_nlp.pipeline import decode_text, default_parser

    text = decode_text(data, source=source)
    keep = key is not None and len(data) <= results.MAX_CACHED_INPUT
    del data
    parser = default_parser()
    resume_collection()
    # criteria parsed and written a batch at a time: a large protocol is never held whole as IR or as JSON (nor
    # kept for the result cache)
    frame, criteria = parser.parse_lazily(text, source=source)
    del text
    kept: list[Criterion] = []
    _write_document(frame, _kept(criteria, kept) if keep else criteria, output_format, output)
    if keep:
        results.store_document(key, frame.model_copy(update={"criteria": tuple(kept)}))
    return frame


def _kept(criteria: Iterable[Criterion], kept: list[Criterion]) -> Iterator[Criterion]:
    for criterion in criteria:
        kept.append(criterion)
        yield criterion


def _write_document(frame: CriteriaDocument, criteria: Iterable[Criterion], output_format: str, out: TextIO) -> None:
    """The document in ``output_format``, each criterion written as it comes (the same bytes as from the whole
    document)."""
    if output_format == "constraints":
        from criteria_nlp.ir.constraints import criterion_record

        for criterion in criteria:
            out.write(json.dumps(criterion_record(criterion), ensure_ascii=False) + "\n")
    elif output_format == "text":
        _write_text(frame, criteria, out)
    else:
        from criteria_nlp.ir.stream import write_document_json

        write_document_json(frame, criteria, out)
        out.write("\n")


def _watch(file: Path, output_format: str, output: TextIO, *, interval: float, max_runs: int | None) -> None:
    """``--watch``: the protocol parsed and written now and again each time it is saved, with the parser kept
    loaded; an output file holds the latest document, an error is said on stderr and the file still watched."""
    from criteria_nlp.cli.watch import elapsed_ms, watch
    from criteria_nlp.pipeline import default_parser

    import_spacy_without_its_cli()
    default_parser()
    resume_collection()

    def run(changed: list[Path]) -> None:
        start = time.perf_counter()
        if output.seekable() and output is not sys.stdout:
            output.seek(0)
            output.truncate()
        try:
            frame = _parse_protocol(file.read_bytes(), str(file), output_format, output)
        except (CriteriaError, OSError) as error:
            click.echo(f"error: {error}", err=True)
        else:
            for diagnostic in frame.diagnostics:
                if diagnostic.severity == "error":
                    click.echo(f"error: {file}: {diagnostic.message}", err=True)
        output.flush()
        click.echo(f"parsed {file} in {elapsed_ms(start)}; watching for changes (Ctrl-C to stop)", err=True)

    watch([file], run, interval=interval, max_runs=max_runs)


def _report_problems(problems: list[str]) -> None:
    """Every bad JSONL line on stderr with its number; exit 1 when any line was skipped."""
    for problem in problems:
        click.echo(f"error: {problem}" if problem.endswith("skipped") else f"warning: {problem}", err=True)
    if any(problem.endswith("skipped") for problem in problems):
        raise click.exceptions.Exit(1)


@click.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the parsed document."""
    from criteria_nlp.ir import dump_schema

    click.echo(dump_schema())
