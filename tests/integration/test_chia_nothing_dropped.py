"""On real criteria (the Chia lines in ../shared): no written threshold is silently dropped.

Every comparator followed by a number must lie inside a leaf of the criterion's expression (a comparison, a range,
a presence with its window, or an explicit `unparsed` node), so that what the parser did not understand is reported
and the engine sends it to review. Skips when ../shared is missing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from criteria_nlp.ir import All, Any_, Conditional, Not, walk
from criteria_nlp.pipeline import CriteriaParser
from criteria_nlp.resources import shared_chia_lines

_COMPARATOR_THEN_NUMBER = re.compile(r"[<>≤≥]=?\s*\d")


def test_every_written_threshold_is_in_a_node(parser: CriteriaParser, shared: Path) -> None:
    lines = shared_chia_lines(shared)
    if not lines:
        pytest.skip("../shared/corpora/chia is not available")
    records = [(str(number), text, section) for number, (text, section) in enumerate(lines)]
    checked = 0
    dropped: list[str] = []
    for criterion in parser.parse_many(records):  # type: ignore[arg-type]
        leaves = [
            node.span for node in walk(criterion.expression) if not isinstance(node, All | Any_ | Not | Conditional)
        ]
        for match in _COMPARATOR_THEN_NUMBER.finditer(criterion.text):
            checked += 1
            position = criterion.span.start + match.start()
            if not any(span.start <= position < span.end for span in leaves):
                dropped.append(f"{criterion.text[:100]!r}: {match.group()!r}")
    assert checked > 1000
    assert dropped == []
