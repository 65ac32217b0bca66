"""One side of a pair written after its number: "hypertension > 160 mmHg systolic and > 100 mmHg diastolic",
"blood pressure above 150 systolic or 95 diastolic".

The side word names the threshold right before it, not the one after (the grammar does not let it head the next
threshold: :func:`criteria_nlp.grammar.variables.trails_number`). It outranks nothing the threshold names itself but
the pair as a whole ("blood pressure", a group of both sides) and a condition read as a name ("hypertension").
"""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Piece, ProseChunk, VariableMention
from criteria_nlp.knowledge.words import words

READER = "thresholds"
_SIDES = words("side_after_number")
_DEFINITION_CUES = words("definition_cue")


def side_after(
    state: BuildState, index: int, variables: tuple[VariableMention, ...]
) -> tuple[VariableMention, ...] | None:
    """The side written right after the threshold at ``index`` (after one comma at most: ">170 systolic, 100,
    diastolic"), when the threshold names no single variable of its own; None: no side there."""
    if any(not v.is_group for v in variables):
        return None
    following = _prose_after(state, index)
    if following and following[0].text == ",":
        following = following[1:]
    if not following:
        return None
    piece = following[0]
    if not is_side(piece) or "VARIABLE" not in piece.kinds or state.taken(piece):
        return None
    state.take(piece, READER, "variable")
    if variables:  # "supine BP > 140 mmHg systolic": the side of the pair named before, as it was written
        return (VariableMention(piece.kinds["VARIABLE"], False, variables[0].mention, variables[0].span),)
    defined = _defined_condition(state, index)
    if defined is not None:
        # "hypertension above 165 mmHg systolic": the threshold is what the condition means here, read on the
        # measurement alone (a coded hypertension below the threshold does not meet it; one above it without a
        # code does), as "Fever of 100.4 °F or higher" is a temperature
        state.take(defined, READER, "variable")
        state.hold_concept(defined)
        return (VariableMention(piece.kinds["VARIABLE"], False, defined.text, defined.span),)
    return (VariableMention(piece.kinds["VARIABLE"], False, piece.text, piece.span),)


def _defined_condition(state: BuildState, index: int) -> Piece | None:
    """The condition written right before the threshold at ``index`` (after "(" or "defined as" at most)."""
    position = index - 1
    while position >= 0:
        chunk = state.chunks[position]
        if not isinstance(chunk, ProseChunk):
            return None
        piece = chunk.piece
        if piece.text == "(" or piece.lower in _DEFINITION_CUES:
            position -= 1
            continue
        return piece if "CONCEPT" in piece.kinds and not state.taken(piece) else None
    return None


def is_side(piece: Piece) -> bool:
    """ "systolic", "diastolic BP": a side of a pair, alone or as the first word of its name."""
    return piece.lower.split(" ", 1)[0] in _SIDES


def bare_side(state: BuildState, index: int) -> bool:
    """ "below 140 mmHg systolic and 90 mmHg diastolic": is the bare value at ``index`` followed by a side of a pair
    (then it takes the comparator of the threshold before it, as the other side does)?"""
    following = _prose_after(state, index)
    if following and following[0].text == ",":
        following = following[1:]
    return bool(following) and is_side(following[0]) and not state.taken(following[0])


def _prose_after(state: BuildState, index: int) -> Sequence[Piece]:
    pieces: list[Piece] = []
    for chunk in state.chunks[index + 1 : index + 3]:  # the side, after one comma at most
        if not isinstance(chunk, ProseChunk):
            break
        pieces.append(chunk.piece)
    return pieces
