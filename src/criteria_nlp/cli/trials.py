"""``criteria-nlp trials add | list | remove``: manage a trial library database (see
:mod:`criteria_nlp.service.library`). A folder library follows its ``*.txt`` files: add or delete files instead."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from criteria_nlp.errors import CriteriaError

if TYPE_CHECKING:
    from criteria_nlp.service.library import TrialLibrary

_LIBRARY = click.option(
    "--trials",
    "location",
    required=True,
    type=click.Path(path_type=Path),
    envvar="CRITERIA_NLP_TRIALS",
    help="The library: a database file (created when missing) or, for list, a folder of protocol texts.",
)


def _open(location: Path, *, writable: bool) -> TrialLibrary:
    from criteria_nlp.service.library import TrialLibrary

    if writable and location.is_dir():
        raise click.UsageError(f"{location} is a folder library: add or delete its *.txt files instead")
    try:
        library, _ = TrialLibrary.open(location)
    except CriteriaError as error:
        raise click.ClickException(error.describe()) from error
    return library


@click.group("trials")
def trials_group() -> None:
    """Manage the trial library that `serve --trials` and `match --trials` read."""


@trials_group.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_LIBRARY
def add(files: tuple[Path, ...], location: Path) -> None:
    """Parse and store protocol texts (FILES or folders of *.txt); the file name without .txt is the trial id."""
    from criteria_nlp.service.library import read_protocol, trial_id_of

    library = _open(location, writable=True)
    paths = [p for f in files for p in (sorted(f.glob("*.txt")) if f.is_dir() else [f])]
    for path in paths:
        try:
            parsed = library.add(trial_id_of(path), read_protocol(path))
        except CriteriaError as error:
            raise click.ClickException(error.describe()) from error
        click.echo(f"{trial_id_of(path)}: {'parsed' if parsed else 'unchanged'}")


@trials_group.command("list")
@_LIBRARY
def list_trials(location: Path) -> None:
    """Trial ids with their number of criteria."""
    for info in _open(location, writable=False).summaries():
        click.echo(f"{info.id}\t{info.criteria} criteria")


@trials_group.command("remove")
@click.argument("trial_ids", nargs=-1, required=True)
@_LIBRARY
def remove(trial_ids: tuple[str, ...], location: Path) -> None:
    """Drop trials from the library."""
    removed = set(_open(location, writable=True).remove(trial_ids))
    for trial_id in trial_ids:
        click.echo(f"{trial_id}: {'removed' if trial_id in removed else 'not in the library'}")
    if len(removed) < len(trial_ids):
        raise click.exceptions.Exit(1)
