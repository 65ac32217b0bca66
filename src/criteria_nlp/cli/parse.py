"""``criteria-nlp parse FILE`` (a protocol, or one criterion a line as JSONL) and ``criteria-nlp schema``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import click

from criteria_nlp.errors import CriteriaError
from criteria_nlp.ir import CriteriaDocument, Criterion, Section, render_tree


def _read_input(path: str) -> tuple[bytes, str]:
    if path == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    file = Path(path)
    if file.is_dir():
        raise click.BadParameter(f"{path} is a directory; parse reads one protocol file (or - for stdin)")
    if not file.is_file():
        raise click.BadParameter(f"no such file: {path}", param_hint="FILE")
    return file.read_bytes(), str(file)


def _jsonl_records(data: str, source: str, problems: list[str]) -> Iterator[tuple[str, str, Section]]:
    """The records of JSONL input; a bad line is reported in ``problems`` with its number and the rest is read.

    Records are split on "\n" only: U+2028 or U+0085 inside a JSON string are legal JSON, not line ends.
    """
    from criteria_nlp.text.headers import classify_header

    seen: set[str] = set()
    for number, line in enumerate(data.split("\n"), start=1):
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


@click.command("parse")
@click.argument("file", default="-")
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
def parse_command(file: str, output_format: str, input_format: str, output: TextIO) -> None:
    """Parse FILE (or - for stdin) into typed, unit-aware expressions."""
    from criteria_nlp.ir.constraints import criterion_record
    from criteria_nlp.pipeline import decode_text, default_parser

    data, source = _read_input(file)
    try:
        text = decode_text(data, source=source)
        parser = default_parser()
        if input_format == "jsonl":
            problems: list[str] = []
            criteria = parser.parse_many(_jsonl_records(text, source, problems))
            for criterion in criteria:
                if output_format == "constraints":
                    output.write(json.dumps(criterion_record(criterion), ensure_ascii=False) + "\n")
                elif output_format == "text":
                    _write_criterion(criterion, output)
                else:
                    output.write(criterion.model_dump_json() + "\n")
            _report_problems(problems)
            return
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
