"""Reader "counts": "At least 2 of A, B and C", "any two of ...": how many of the clause's items must hold.

The phrases are the ``list_at_least`` set of words.tsv (:mod:`~criteria_nlp.build.lead_ins`). The reader takes the
count's words and writes ``state.list_count``; the clause's items, however joined, become one ``at_least`` node
(:func:`criteria_nlp.build.builder.read_clause`).
"""

from __future__ import annotations

from criteria_nlp.build.common import chunk_span
from criteria_nlp.build.lead_ins import leading_count
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import ConstraintChunk, ProseChunk, WindowChunk
from criteria_nlp.ir import span_at

READER = "counts"


def read_counts(state: BuildState) -> None:
    if not state.chunks:
        return
    start = chunk_span(state.chunks[0]).start
    end = chunk_span(state.chunks[-1]).end
    counted = leading_count(state.document[start:end])
    if counted is None:
        return
    count, length = counted
    count_end = start + length
    inside = [c for c in state.chunks if chunk_span(c).end <= count_end]
    if len(inside) == len(state.chunks) or chunk_span(state.chunks[len(inside)]).start < count_end:
        return  # no items after the count, or its words end inside a threshold
    for chunk in inside:
        if isinstance(chunk, ProseChunk):
            state.take(chunk.piece, READER, "connective")
        elif isinstance(chunk, ConstraintChunk | WindowChunk):
            state.place(chunk, READER, "connective")
    state.list_count = count
    state.count_span = span_at(start, count_end)
