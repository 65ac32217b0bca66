"""``criteria-nlp lint PATH...``: lint protocols for machine-readability, ambiguity and logic errors.

Exit status: 0 when every document scores at least ``--fail-under`` (or no threshold is given), 1 when any
document scores below it, 2 for bad input (a missing path, a directory without ``*.txt`` files, text that is
not UTF-8).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from criteria_nlp.errors import CriteriaError

FORMATS = ("text", "json", "sarif", "html")
EXIT_BELOW_THRESHOLD = 1
EXIT_BAD_INPUT = 2


def collect_paths(paths: tuple[str, ...]) -> list[Path]:
    """Files as given, and every ``*.txt`` under a directory (recursively, sorted); raises click.UsageError."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.txt") if p.is_file())
            if not found:
                raise click.UsageError(f"no *.txt files in directory {raw}")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise click.UsageError(f"no such file or directory: {raw}")
    return files


@click.command("lint")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: readable report; json: LintReport (an array for several files); sarif: SARIF 2.1.0; "
    "html: a self-contained page.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None, help="Write here.")
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    default=None,
    help="Exit with status 1 when any document's score is below SCORE.",
)
@click.option("--color/--no-color", default=None, help="Colour the text report (default: when on a terminal).")
def lint_command(
    paths: tuple[str, ...], output_format: str, output: str | None, fail_under: float | None, color: bool | None
) -> None:
    """Lint eligibility criteria in PATH... (files, or directories of *.txt files)."""
    from criteria_nlp.lint import lint
    from criteria_nlp.lint.render import (
        LintedDocument,
        render_html,
        render_json,
        render_sarif_json,
        render_text,
    )
    from criteria_nlp.pipeline import decode_text, default_parser

    try:
        files = collect_paths(paths)
    except click.UsageError as error:
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    parser = default_parser()
    items: list[LintedDocument] = []
    for file in files:
        try:
            text = decode_text(file.read_bytes(), source=str(file))
            document = parser.parse(text, source=str(file))
        except (CriteriaError, OSError) as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        items.append(LintedDocument(document=document, report=lint(document, lexicon=parser.lexicon), uri=str(file)))

    if output_format == "json":
        rendered = render_json(items)
    elif output_format == "sarif":
        rendered = render_sarif_json(items)
    elif output_format == "html":
        rendered = render_html(items)
    else:
        use_color = color if color is not None else (output is None and sys.stdout.isatty())
        rendered = render_text(items, color=use_color, width=shutil.get_terminal_size().columns if use_color else 120)
    if output is None:
        click.echo(rendered, nl=False)
    else:
        Path(output).write_text(rendered, encoding="utf-8")

    if fail_under is not None:
        failing = [item for item in items if item.report.score.score < fail_under]
        for item in failing:
            click.echo(f"{item.uri}: score {item.report.score.score:g} is under {fail_under:g}", err=True)
        if failing:
            sys.exit(EXIT_BELOW_THRESHOLD)
