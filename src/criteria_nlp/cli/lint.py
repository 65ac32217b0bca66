"""``criteria-nlp lint PATH...``: lint protocols for machine-readability, ambiguity and logic errors.

Exit status: 0 when every document scores at least ``--fail-under`` (or no threshold is given), 1 when any
document scores below it, 2 for bad input (a missing path, a directory without ``*.txt`` files, text that is
not UTF-8).
"""

from __future__ import annotations

import functools
import math
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from criteria_nlp.cli.main import resume_collection
from criteria_nlp.cli.options import jobs_option, watch_options
from criteria_nlp.cli.spacy_import import import_spacy_without_its_cli
from criteria_nlp.errors import CriteriaError

if TYPE_CHECKING:
    from criteria_nlp.lint.model import LintedDocument
    from criteria_nlp.pipeline import CriteriaParser

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


def lint_files(files: list[Path], parser: CriteriaParser | None = None) -> list[LintedDocument | str]:
    """Each file parsed and linted, or the message of the error that stopped it (also in a ``--jobs`` worker, which
    uses its worker's parser); each result is kept in the result cache under the bytes it was made from."""
    from criteria_nlp import results
    from criteria_nlp.lint import lint
    from criteria_nlp.lint.model import LintedDocument
    from criteria_nlp.pipeline import decode_text

    if parser is None:
        from criteria_nlp.parallel import worker_parser

        parser = worker_parser()
    linted: list[LintedDocument | str] = []
    for file in files:
        try:
            data = file.read_bytes()
            text = decode_text(data, source=str(file))
            document = parser.parse(text, source=str(file), claims=True)
        except (CriteriaError, OSError) as error:
            linted.append(str(error))
            continue
        item = LintedDocument(document=document, report=lint(document, lexicon=parser.lexicon), uri=str(file))
        if len(data) <= results.MAX_CACHED_INPUT:
            results.store_lint(results.result_key("lint", data, str(file)), item)
        linted.append(item)
    return linted


def cached_lints(files: list[Path]) -> list[LintedDocument | None]:
    """Each file's document and report from the result cache (:mod:`criteria_nlp.results`), or None."""
    from criteria_nlp import results

    found: list[LintedDocument | None] = []
    for file in files:
        try:
            data = file.read_bytes()
        except OSError:
            found.append(None)  # linted, to report the error in its place
            continue
        found.append(results.cached_lint(results.result_key("lint", data, str(file)), str(file)))
    return found


def _linted_files(files: list[Path], jobs: int) -> Iterator[LintedDocument | str]:
    """Each file's document and report, from the result cache or parsed and linted; spaCy and the parser load only
    when a file is not in the cache."""
    cached = cached_lints(files)
    missing = [file for file, hit in zip(files, cached, strict=True) if hit is None]
    if not missing:
        resume_collection()
        yield from (hit for hit in cached if hit is not None)
        return
    fresh = _fresh_lints(missing, jobs)
    for hit in cached:
        yield next(fresh) if hit is None else hit


def _fresh_lints(files: list[Path], jobs: int) -> Iterator[LintedDocument | str]:
    """:func:`lint_files` over the files, in ``jobs`` processes when asked (one file at a time per worker); the
    process machinery is imported only then."""
    import_spacy_without_its_cli()
    from criteria_nlp.pipeline import default_parser

    parser = default_parser()
    resume_collection()
    if jobs != 1 and len(files) > 1:
        from criteria_nlp.parallel import available_cores, map_ordered

        workers = min(jobs or available_cores(), len(files))
        if workers > 1:
            yield from map_ordered(lint_files, files, workers=workers, parser=parser, chunk_size=1)
            return
    for file in files:
        yield from lint_files([file], parser)  # stop at the first error: later files are not read


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
    callback=lambda ctx, param, value: _finite(value),
    help="Exit with status 1 when any document's score is below SCORE.",
)
@click.option("--color/--no-color", default=None, help="Colour the text report (default: when on a terminal).")
@jobs_option("Lint the files in N processes (0: one per CPU); the report keeps the files' order.")
@watch_options("lint again and print the new report")
def lint_command(
    paths: tuple[str, ...],
    output_format: str,
    output: str | None,
    fail_under: float | None,
    color: bool | None,
    jobs: int,
    watch: bool,
    max_runs: int | None,
    interval: float,
) -> None:
    """Lint eligibility criteria in PATH... (files, or directories of *.txt files)."""
    try:
        files = collect_paths(paths)
    except click.UsageError as error:
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    report = functools.partial(_write_report, output_format=output_format, output=output, color=color)
    if watch:
        _watch(files, report, fail_under, interval=interval, max_runs=max_runs)
        return
    items: list[LintedDocument] = []
    for item in _linted_files(files, jobs):
        if isinstance(item, str):
            click.echo(f"Error: {item}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        items.append(item)
    report(items)
    if _failing(items, fail_under):
        sys.exit(EXIT_BELOW_THRESHOLD)


def _write_report(items: list[LintedDocument], *, output_format: str, output: str | None, color: bool | None) -> None:
    rendered = render(
        items, output_format, color=color if color is not None else (output is None and sys.stdout.isatty())
    )
    if output is None:
        click.echo(rendered, nl=False)
    else:
        Path(output).write_text(rendered, encoding="utf-8")


def _failing(items: list[LintedDocument], fail_under: float | None) -> bool:
    """Whether any document scores under ``fail_under`` (each one said on stderr)."""
    if fail_under is None:
        return False
    failing = [item for item in items if item.report.score.score < fail_under]
    for item in failing:
        click.echo(f"{item.uri}: score {item.report.score.score:g} is under {fail_under:g}", err=True)
    return bool(failing)


def _watch(
    files: list[Path],
    report: Callable[[list[LintedDocument]], None],
    fail_under: float | None,
    *,
    interval: float,
    max_runs: int | None,
) -> None:
    """``--watch``: the files linted, then each file again when it changes, with the parser kept loaded; the
    report of every file is written after each run (a file that cannot be read is said on stderr, and watched)."""
    from criteria_nlp.cli.watch import elapsed_ms, watch
    from criteria_nlp.pipeline import default_parser

    import_spacy_without_its_cli()
    parser = default_parser()
    resume_collection()
    latest: dict[Path, LintedDocument] = {}

    def run(changed: list[Path]) -> None:
        start = time.perf_counter()
        for file, item in zip(changed, lint_files(changed, parser), strict=True):
            if isinstance(item, str):
                click.echo(f"Error: {item}", err=True)
                latest.pop(file, None)
            else:
                latest[file] = item
        items = [latest[file] for file in files if file in latest]
        report(items)
        _failing(items, fail_under)
        names = ", ".join(str(file) for file in changed)
        click.echo(f"linted {names} in {elapsed_ms(start)}; watching for changes (Ctrl-C to stop)", err=True)

    watch(files, run, interval=interval, max_runs=max_runs)


def render(items: list[LintedDocument], output_format: str, *, color: bool) -> str:
    """The reports in ``output_format``; only that format's renderer is imported (SARIF and HTML read the rules)."""
    if output_format == "json":
        from criteria_nlp.lint.render.json import render_json

        return render_json(items)
    if output_format == "sarif":
        from criteria_nlp.lint.render.sarif import render_sarif_json

        return render_sarif_json(items)
    if output_format == "html":
        from criteria_nlp.lint.render.html import render_html

        return render_html(items)
    from criteria_nlp.lint.render.text import render_text

    return render_text(items, color=color, width=shutil.get_terminal_size().columns if color else 120)


def _finite(value: float | None) -> float | None:
    """click's FloatRange lets NaN through (every comparison with it is false): a NaN threshold never fails."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a score between 0 and 100", param_hint="--fail-under")
    return value
