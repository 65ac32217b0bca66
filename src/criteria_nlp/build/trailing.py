"""A comparator written after the words that follow a bare value (part of the thresholds reader), issue 11
mechanism 1: "150 cm of height or greater" is height ≥ 150 cm, "18 years old and more" an age ≥ 18.

The grammar reads a comparator after a number only right after it ("150 cm or greater"); one written after the
variable's name, or as a plain "and" with a comparative word ("and more", which is no cue phrase), reaches the
builder as prose beside a bare value, which alone is no threshold at all. Only a short run of words is crossed, and
only the name of one variable whose unit fits the value and the fillers around it ("of"): anything else ("3 months
of treatment or longer", "grade 2 and more severe") keeps the value unread, as before.
"""

from __future__ import annotations

from dataclasses import replace

from criteria_nlp.build.bounds import with_operator
from criteria_nlp.build.common import first_unit, is_content
from criteria_nlp.build.state import BuildState
from criteria_nlp.build.variables import takes_unit
from criteria_nlp.grammar import ConstraintChunk, Piece, ProseChunk, Threshold
from criteria_nlp.grammar.pieces import is_number
from criteria_nlp.knowledge.words import words

READER = "thresholds"
_AT_LEAST = words("trailing_at_least")
_AT_MOST = words("trailing_at_most")
_NAME_FILLERS = words("trailing_name_filler")
_MAX_NAME = 3  # pieces between the value and its comparator: "of", the variable's name, "in"


def comparator_after_name(state: BuildState, index: int, chunk: ConstraintChunk) -> list[Threshold] | None:
    """The bare value at ``index`` as a bound when its comparator is written after the variable's name or as
    "and more"; None when no such comparator follows (the value stays what it was)."""
    if chunk.variables or len(chunk.thresholds) != 1:
        return None
    threshold = chunk.thresholds[0]
    if threshold.explicit or threshold.operator != "==" or threshold.reference is not None or threshold.pair:
        return None
    chunks = state.chunks
    name: list[Piece] = []
    position = index + 1
    while position < len(chunks) and len(name) <= _MAX_NAME:
        chunk_after = chunks[position]
        if not isinstance(chunk_after, ProseChunk) or state.taken(chunk_after.piece):
            return None
        found = _comparator_at(state, position)
        if found is not None:
            operator, pieces = found
            if not _fits(state, name, first_unit([threshold]), bool(pieces[0].kinds.get("CONJ"))):
                return None
            for piece in pieces:
                state.take(piece, READER, "comparator")
            bound = with_operator(threshold, operator)
            return [replace(bound, span=bound.span.cover(pieces[-1].span), explicit=True)]
        name.append(chunk_after.piece)
        position += 1
    return None


def _comparator_at(state: BuildState, position: int) -> tuple[str, list[Piece]] | None:
    """ "or greater" (a comparator cue written after a value) or "and more" (a conjunction and a comparative word),
    at ``position``, ending the value's words: the operator and its pieces."""
    chunks = state.chunks
    piece = chunks[position].piece  # type: ignore[union-attr]
    pieces = [piece]
    operator = piece.kinds.get("CMP_POST")
    if operator is None and piece.kinds.get("CONJ") in ("and", "or") and position + 1 < len(chunks):
        following = chunks[position + 1]
        if not isinstance(following, ProseChunk) or state.taken(following.piece):
            return None
        word = following.piece.lower
        operator = ">=" if word in _AT_LEAST else "<=" if word in _AT_MOST else None
        pieces.append(following.piece)
    if operator not in (">=", "<=", ">", "<"):
        return None
    after = position + len(pieces)
    if after < len(chunks):
        next_chunk = chunks[after]
        if not isinstance(next_chunk, ProseChunk):
            return None  # "18 years or more than 5 years …": a second value follows
        nxt = next_chunk.piece
        if is_number(nxt) or (is_content(nxt) and "CMP_POST" not in piece.kinds):
            return None  # "grade 2 and more severe", "or more than": the words go on about something else
    return operator, pieces


def _fits(state: BuildState, name: list[Piece], unit: str | None, conjunction: bool) -> bool:
    """The words between the value and its comparator: none (only for "and more", which the grammar does not read
    as a comparator after a value), or the name of one variable whose unit fits the value, with fillers."""
    if not name:
        return conjunction
    variables = [p for p in name if "VARIABLE" in p.kinds]
    if len(variables) != 1 or any(p not in variables and p.lower not in _NAME_FILLERS for p in name):
        return False
    if name[-1] is not variables[0]:
        return False  # the comparator must follow the name itself: "height in cm or greater" is not read
    fits = takes_unit(state.known, variables[0].kinds["VARIABLE"], unit) if unit else None
    return bool(fits)
