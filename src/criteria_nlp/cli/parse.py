"""``criteria-nlp parse FILE`` (a protocol, or one criterion a line as JSONL) and ``criteria-nlp schema``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

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


def _jsonl_records(data: str, source: str) -> Iterator[tuple[str, str, Section]]:
    for number, line in enumerate(data.splitlines(), start=1):
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
            criteria = parser.parse_many(_jsonl_records(text, source))
            for criterion in criteria:
                if output_format == "constraints":
                    output.write(json.dumps(criterion_record(criterion), ensure_ascii=False) + "\n")
                elif output_format == "text":
                    _write_criterion(criterion, output)
                else:
                    output.write(criterion.model_dump_json() + "\n")
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


@click.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the parsed document."""
    from criteria_nlp.ir import dump_schema

    click.echo(dump_schema())
