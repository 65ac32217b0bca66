"""Start-up of a command: garbage collection is paused while the package and the parser load, and resumed (what
start-up made frozen) once the parser is built, or as soon as another command is loaded."""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator

import click
import pytest

# the module, not the console-script function the package exports under the same name
cli_main = importlib.import_module("criteria_nlp.cli.main")


@pytest.fixture
def collection() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    cli_main._PAUSED = False
    gc.unfreeze()
    if enabled:
        gc.enable()


def test_pause_then_resume_freezes_what_start_up_made(collection: None) -> None:
    cli_main.pause_collection()
    assert not gc.isenabled()
    cli_main.resume_collection()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0


def test_resume_without_a_pause_does_nothing(collection: None) -> None:
    gc.disable()  # disabled by someone else (the embedding program): left as it is
    cli_main.resume_collection()
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize(
    ("command", "resumed"), [("schema", True), ("screen", True), ("parse", False), ("lint", False)]
)
def test_commands_without_a_parser_resume_when_loaded(collection: None, command: str, resumed: bool) -> None:
    cli_main.pause_collection()
    assert cli_main.cli.get_command(click.Context(cli_main.cli), command) is not None
    assert gc.isenabled() is resumed


def test_parse_resumes_once_its_parser_is_built(collection: None) -> None:
    from click.testing import CliRunner

    cli_main.pause_collection()
    result = CliRunner().invoke(cli_main.cli, ["parse", "-", "--format", "constraints"], input="Age >= 18 years\n")
    assert result.exit_code == 0, result.output
    assert '"variable": "age"' in result.output
    assert gc.isenabled()
