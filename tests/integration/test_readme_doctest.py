"""The README's interactive examples (``>>>`` lines) give the output they show."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_examples_are_real_output() -> None:
    blocks = [block for block in README.read_text(encoding="utf-8").split("```") if ">>> " in block]
    assert blocks, "the README shows interactive examples"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for number, block in enumerate(blocks):
        text = block.removeprefix("python\n")
        # the comments after an example say why; doctest compares only the output lines
        test = parser.get_doctest(text, {}, f"README block {number}", str(README), 0)
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} README example(s) print something else"
