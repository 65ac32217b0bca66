"""A document's JSON written criterion by criterion: the same bytes as ``document.model_dump_json(indent=2)``,
without the whole document (its criteria and the JSON of all of them) in memory at once.

The document's other fields come from pydantic's own serialisation of the document with no criteria, and each
criterion from pydantic's serialisation of that criterion, indented to its depth in the document (a nested model is
written as it is written alone; a JSON string never holds a raw line break, so re-indenting by lines is exact).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from criteria_nlp.ir.criterion import Criterion
from criteria_nlp.ir.document import CriteriaDocument

INDENT = 2
# the criteria's place in the JSON of a document without criteria (top level: one indent)
_EMPTY_CRITERIA = "\n" + " " * INDENT + '"criteria": []'


def write_document_json(frame: CriteriaDocument, criteria: Iterable[Criterion], out: TextIO) -> int:
    """Write ``frame`` with ``criteria`` in place of its own (none) as ``model_dump_json(indent=2)`` writes the
    whole document; returns the number of criteria written."""
    head, marker, tail = frame.model_dump_json(indent=INDENT).partition(_EMPTY_CRITERIA)
    if not marker or frame.criteria:
        raise ValueError("the frame must be a document without criteria")
    out.write(head + _EMPTY_CRITERIA[:-1])
    item_indent = " " * (2 * INDENT)
    count = 0
    for criterion in criteria:
        lines = criterion.model_dump_json(indent=INDENT).split("\n")
        out.write(("," if count else "") + "\n" + "\n".join(item_indent + line for line in lines))
        count += 1
    out.write(("\n" + " " * INDENT + "]" if count else "]") + tail)
    return count
