"""Brackets that hold a condition as well as a threshold: part of the reader "definitions".

- "eGFR < 30 mL/min (or requiring dialysis)": a bracket opened by "or" after a threshold is one more alternative to
  it, any(T, C), in either section; before this the condition was one more requirement (all(T, C)), so that a
  patient on dialysis with no eGFR value, or an eGFR of 20 with no dialysis, was never excluded.
- "renal impairment (eGFR < 30 mL/min or on dialysis)", "neutropenia (ANC < 1,000/µL or febrile)": the bracket
  defines the condition before it by alternatives, a threshold or a condition; the definition is read as
  :func:`~criteria_nlp.build.definitions.define` reads a threshold alone, with any(T, C) in its place. Before this
  the condition before the bracket became an alternative of the one inside and the threshold a further
  requirement.

An alternative inside the bracket that no reader understood ("febrile") is kept as an ``unparsed`` alternative with
its reason (the criterion is then unknown unless another alternative decides it), never dropped, and a condition
written inside words not understood ("transfusion-dependent") is not read as the bare condition. Anything else
(two thresholds, nested brackets, words outside the bracket no reader took, a negation) leaves the clause to the
other readings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from criteria_nlp.build.common import cover, is_content, is_or, not_understood
from criteria_nlp.build.defined_lists import is_threshold
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Chunk, ConstraintChunk, Piece, ProseChunk
from criteria_nlp.ir import All, Any_, Node, Presence

READER = "definitions"
_UNREAD_REASON = "an alternative in the bracket that was not understood (unknown unless another alternative decides)"

# (state, condition, its definition, read as an exclusion) -> the reading, as definitions.define makes it
Define = Callable[[BuildState, Node, Node, bool], Node]


def read_bracket_alternatives(state: BuildState, define: Define) -> bool:
    """Read the clause as a threshold and a condition in one bracket (see the module's text); False, nothing
    changed, when it is not one."""
    threshold, chunks = state.numeric, state.chunks
    if threshold is None or not is_threshold(threshold) or state.in_negation or state.prefix_negations:
        return False
    bracket = _bracket(chunks)
    numeric = [i for i, c in enumerate(chunks) if isinstance(c, ConstraintChunk)]
    if bracket is None or len(numeric) != 1:
        return False
    opener, closer = bracket
    presences = _presences(state.concepts)
    if presences is None or not any(is_or(c.piece) for c in chunks[opener + 1 : closer] if isinstance(c, ProseChunk)):
        return False
    before = [p for p in presences if p.concept.span.end <= _start(chunks[opener])]
    inside = [p for p in presences if _start(chunks[opener]) < p.concept.span.start < _start(chunks[closer])]
    if len(before) + len(inside) != len(presences) or not _rest_read(state, chunks, opener, closer):
        return False
    if numeric[0] < opener:
        if before or not _opens_with_or(chunks, opener):
            return False
        alternatives = _alternatives(state, chunks[opener + 1 : closer], inside)
        if alternatives is None:
            return False
        node: Node = Any_(span=threshold.span.cover(alternatives[-1].span), children=(threshold, *alternatives))
    else:
        if len(before) != 1 or numeric[0] > closer or not _right_before(chunks, opener, before[0]):
            return False
        alternatives = _alternatives(state, chunks[opener + 1 : closer], inside)
        if alternatives is None:
            return False
        found = sorted([threshold, *alternatives], key=lambda n: n.span.start)
        definition = Any_(span=found[0].span.cover(found[-1].span), children=tuple(found))
        node = define(state, before[0], definition, False)
    for c in (chunks[opener], chunks[closer]):
        if isinstance(c, ProseChunk):
            state.take(c.piece, READER, "connective")
    state.numeric, state.concepts = node, None
    return True


def _start(chunk: Chunk) -> int:
    return chunk.piece.char_start if isinstance(chunk, ProseChunk) else chunk.span.start


def _bracket(chunks: Sequence[Chunk]) -> tuple[int, int] | None:
    """The chunk indices of the clause's one "(" and its ")"."""
    texts = [c.piece.text if isinstance(c, ProseChunk) else None for c in chunks]
    if texts.count("(") != 1 or texts.count(")") != 1:
        return None
    opener, closer = texts.index("("), texts.index(")")
    return (opener, closer) if opener < closer else None


def _presences(concepts: Node | None) -> list[Presence] | None:
    """The clause's conditions, when they are presences joined by any or all (None: something else)."""
    if concepts is None:
        return []
    if isinstance(concepts, Presence):
        return [concepts]
    if isinstance(concepts, All | Any_) and all(isinstance(child, Presence) for child in concepts.children):
        return [child for child in concepts.children if isinstance(child, Presence)]
    return None


def _rest_read(state: BuildState, chunks: Sequence[Chunk], opener: int, closer: int) -> bool:
    """Outside the bracket, every word is read or carries no meaning."""
    outside = [*chunks[:opener], *chunks[closer + 1 :]]
    return all(not isinstance(c, ProseChunk) or state.taken(c.piece) or not is_content(c.piece) for c in outside)


def _opens_with_or(chunks: Sequence[Chunk], opener: int) -> bool:
    first = chunks[opener + 1] if opener + 1 < len(chunks) else None
    return isinstance(first, ProseChunk) and is_or(first.piece)


def _right_before(chunks: Sequence[Chunk], opener: int, condition: Presence) -> bool:
    """The condition's own words end right at the bracket ("renal impairment (")."""
    before = chunks[opener - 1] if opener > 0 else None
    return isinstance(before, ProseChunk) and before.piece.char_end == condition.concept.span.end


def _alternatives(state: BuildState, inside: Sequence[Chunk], presences: list[Presence]) -> list[Node] | None:
    """The bracket's alternatives other than the threshold, each segment between "or" / "," one alternative: its
    condition, or its words as not understood; None when a segment holds the threshold among other words. The words
    not understood are taken only once the whole bracket is read (a bracket left to other readings keeps them)."""
    found: list[Node] = []
    unread_taken: list[Piece] = []
    for segment in _segments(inside):
        if any(isinstance(c, ConstraintChunk) for c in segment):
            if any(isinstance(c, ProseChunk) and is_content(c.piece) and not state.taken(c.piece) for c in segment):
                return None
            continue
        pieces = [c.piece for c in segment if isinstance(c, ProseChunk)]
        mine = [p for p in presences if any(p.concept.span.start == piece.char_start for piece in pieces)]
        unread = [p for p in pieces if is_content(p) and not state.taken(p)]
        if unread or len(mine) > 1:
            span = cover([p.span for p in pieces if is_content(p) or "CONCEPT" in p.kinds])
            if span is None:
                continue
            unread_taken.extend(pieces)
            found.append(not_understood(state, span, _UNREAD_REASON))
        elif mine:
            found.append(mine[0])
    if not found:
        return None
    for piece in unread_taken:
        state.take(piece, READER, "unparsed")
    return found


def _segments(inside: Sequence[Chunk]) -> list[list[Chunk]]:
    """The bracket's chunks cut at "or" and commas (the cuts left out)."""
    segments: list[list[Chunk]] = [[]]
    for chunk in inside:
        if isinstance(chunk, ProseChunk) and (is_or(chunk.piece) or chunk.piece.text == ","):
            segments.append([])
        else:
            segments[-1].append(chunk)
    return [segment for segment in segments if segment]
