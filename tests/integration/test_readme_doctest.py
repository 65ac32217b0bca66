"""The interactive examples (``>>>`` lines) of the README and of the pages under docs/ give the output they show."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_page_examples_are_real_output(page: Path) -> None:
    blocks = [block for block in page.read_text(encoding="utf-8").split("```") if ">>> " in block]
    if page.name == "README.md":
        assert blocks, "the README shows interactive examples"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for number, block in enumerate(blocks):
        text = block.removeprefix("python\n")
        # the comments after an example say why; doctest compares only the output lines
        test = parser.get_doctest(text, {}, f"{page.name} block {number}", str(page), 0)
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} example(s) of {page.name} print something else"


def test_docs_pages_with_examples_exist() -> None:
    # the reading mechanisms moved to docs/reading.md with their examples: they must stay tested
    assert any(">>> " in page.read_text(encoding="utf-8") for page in PAGES if page.parent.name == "docs")
