"""The "Real output of `...`" excerpts of the README and docs/ stay true: each excerpt line appears, in order,
in the real output."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from criteria_nlp.cli import cli

ROOT = Path(__file__).resolve().parents[2]
_EXCERPT = re.compile(r"Real output of `(?P<command>criteria-nlp [^`]+)`[^\n]*\n+```\n(?P<body>.*?)\n```", re.DOTALL)
_TABLE_CHARACTERS = "┃│┏┡└━"  # rich tables are laid out for the terminal's width; their lines are not compared


def _excerpts() -> list[tuple[str, str]]:
    # the pages under docs/ hold excerpts too (the safety rules, the reading mechanisms)
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    return [(m.group("command"), m.group("body")) for m in _EXCERPT.finditer(text)]


def test_the_readme_has_excerpts() -> None:
    assert len(_excerpts()) >= 3


@pytest.mark.parametrize(("command", "body"), _excerpts(), ids=lambda value: str(value)[:40])
def test_readme_excerpt_is_real_output(command: str, body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "120")
    result = CliRunner().invoke(cli, shlex.split(command)[1:])
    output = [line.rstrip() for line in result.output.splitlines()]
    position = 0
    for line in body.splitlines():
        expected = line.rstrip()
        if not expected or expected[0] in _TABLE_CHARACTERS:
            continue
        while position < len(output) and output[position] != expected:
            position += 1
        assert position < len(output), f"README line not in the output of {command!r} (in order): {expected!r}"
        position += 1
