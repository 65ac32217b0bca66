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


def _fresh_python(code: str) -> str:
    """``code`` run by a new interpreter (this one has imported spaCy already), its standard output."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


_DEFERRED = (
    "import sys\n"
    "from criteria_nlp.cli.spacy_import import import_spacy_without_its_cli\n"
    "import_spacy_without_its_cli()\n"
    "import spacy\n"
    "print('cli loaded' if 'typer' in sys.modules or 'weasel' in sys.modules else 'cli deferred')\n"
)


def test_spacy_imports_without_its_cli_and_works() -> None:
    tokens = "print([t.text for t in spacy.blank('en')('LVEF >= 50%, e.g. 2x ULN')])\n"
    deferred = _fresh_python(_DEFERRED + tokens).splitlines()
    assert deferred[0] == "cli deferred"
    assert deferred[1:] == _fresh_python("import spacy\n" + tokens).splitlines()


def test_spacy_cli_heals_on_first_use() -> None:
    code = _DEFERRED + (
        "import spacy.cli\n"
        "from spacy.cli import download\n"
        "print(callable(download), type(sys.modules['spacy.cli']).__name__, 'typer' in sys.modules)\n"
        "print(sorted(spacy.info(silent=True))[:1])\n"
    )
    lines = _fresh_python(code).splitlines()
    assert lines[0] == "cli deferred"
    assert lines[1] == "True module True"  # the real spacy.cli in place, its imports done
    assert lines[2] != "[]"


def test_parse_command_output_is_the_same_with_the_cli_deferred() -> None:
    from click.testing import CliRunner

    protocol = "Inclusion Criteria:\n1. Age >= 18 years\n2. LVEF >= 50%\nExclusion Criteria:\n1. Pregnancy\n"
    code = (
        "import sys\n"
        "from criteria_nlp.cli.main import main\n"
        "sys.argv = ['criteria-nlp', 'parse', '-', '--format', 'constraints']\n"
        f"sys.stdin = __import__('io').TextIOWrapper(__import__('io').BytesIO({protocol.encode()!r}))\n"
        "main()\n"
    )
    in_process = CliRunner().invoke(cli_main.cli, ["parse", "-", "--format", "constraints"], input=protocol)
    assert in_process.exit_code == 0
    assert _fresh_python(code) == in_process.output
