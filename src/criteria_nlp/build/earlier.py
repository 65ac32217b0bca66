"""A bare threshold whose variable was named before it in the criterion (part of the thresholds reader), issue 11
mechanism 8: "Hemoglobin ≥ 10 g/dL for men; or ≥ 12 g/dL for all other subjects".

A threshold with no variable of its own and none implied by its clause takes the variable of the last threshold
of the criterion that named one, only when its unit fits that variable (a unit of the same dimension, or both
without a unit on the same reference): a threshold whose unit does not fit stays unread. "For all other subjects"
(the ``complement_word`` set of ``words.tsv`` after ``sex_preposition`` words) names everyone the subgroup of that
threshold does not: the threshold applies when that subgroup's condition does not hold.
"""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.build.common import SEX_PREPOSITIONS, STOPWORDS, cover_pieces, first_unit
from criteria_nlp.build.state import BuildState, Named
from criteria_nlp.errors import CriteriaError
from criteria_nlp.grammar import ConstraintChunk, Piece, ProseChunk, Threshold
from criteria_nlp.ir import Conditional, Node, Not, Unparsed
from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.words import words

READER = "thresholds"
_COMPLEMENT_WORDS = words("complement_word")
_COMPLEMENT_ALONE = words("complement_alone")
_PERSON_WORDS = words("person_word")
_LEADING_JOINERS = frozenset({"and", "or", "but"})


def remember(
    state: BuildState, chunk: ConstraintChunk, thresholds: Sequence[Threshold], condition: Node | None
) -> None:
    """Record a threshold on one named variable, for the bare thresholds of the clauses after it."""
    if len(chunk.variables) != 1 or chunk.variables[0].is_group or not thresholds:
        return
    unit = first_unit(thresholds)
    named = Named(chunk.span.end, chunk.variables[0], unit, thresholds[0].reference, condition)
    state.ledger.named.append(named)


def earlier_variable(state: BuildState, chunk: ConstraintChunk, thresholds: Sequence[Threshold]) -> Named | None:
    """The last threshold before ``chunk`` in the criterion on a named variable, when the threshold's unit fits it."""
    before = [n for n in state.ledger.named if n.end <= chunk.span.start]
    if not before or not thresholds:
        return None
    last = before[-1]
    unit, reference = first_unit(thresholds), thresholds[0].reference
    if reference != last.reference:
        return None
    if unit is None or last.unit is None:
        return last if unit is None and last.unit is None else None
    if not _fits(state, last.variable.id, unit, last.unit):
        return None
    return last


def _fits(state: BuildState, variable_id: str, unit: str, earlier_unit: str) -> bool:
    variable = state.known.variables.get(variable_id)
    target = variable.unit if variable is not None and variable.unit else earlier_unit
    molar_mass = variable.molar_mass if variable is not None else None
    try:
        return units.compatible(unit, target, molar_mass=molar_mass, analyte=variable_id)
    except CriteriaError:
        return False


def complement_after(state: BuildState, index: int) -> list[Piece] | None:
    """ "… ≥ 12 g/dL for all other subjects": the words after the threshold at ``index`` naming everyone else, up
    to the end of the clause (a preposition, fillers, a complement word, a person word), or before it from the
    start of its clause ("; for all others ≥ 60 mL/min", "; otherwise ≥ 60 mL/min"); None when they are not."""
    pieces: list[Piece] = []
    for chunk in state.chunks[index + 1 :]:
        if not isinstance(chunk, ProseChunk):
            break
        piece = chunk.piece
        if piece.text in (";", ".", ")"):
            break
        if piece.text == "," and pieces:
            break
        pieces.append(piece)
    return _complement(state, pieces) or complement_before(state, index)


def complement_before(state: BuildState, index: int) -> list[Piece] | None:
    """The words naming everyone else that open the clause of the threshold at ``index``, right before it."""
    before = state.chunks[:index]
    if not all(isinstance(c, ProseChunk) for c in before):
        return None
    pieces = [c.piece for c in before if isinstance(c, ProseChunk)]
    while pieces and (pieces[0].text in (",", ";", ":") or pieces[0].lower in _LEADING_JOINERS):
        pieces = pieces[1:]
    return _complement(state, pieces) if pieces else None


def _complement(state: BuildState, pieces: list[Piece]) -> list[Piece] | None:
    words_ = [p for p in pieces if p.text != ","]
    if len(words_) == 1 and words_[0].lower in _COMPLEMENT_ALONE and not state.taken(words_[0]):
        return words_  # "…, ≥ 60 mL/min otherwise"
    if len(words_) < 2 or words_[0].lower not in SEX_PREPOSITIONS or state.taken(words_[0]):
        return None
    rest = words_[1:]
    if not any(p.lower in _COMPLEMENT_WORDS for p in rest):
        return None
    allowed = _COMPLEMENT_WORDS | _PERSON_WORDS | STOPWORDS
    if not all(p.lower in allowed and not state.taken(p) for p in rest):
        return None
    return words_


def for_everyone_else(state: BuildState, node: Node, pieces: Sequence[Piece], subgroup: Node | None) -> Node:
    """``node`` for everyone the subgroup ``subgroup`` does not name; with no subgroup to complement, the words
    stay unread as the condition (never a requirement for everyone)."""
    for piece in pieces:
        state.take(piece, READER, "subgroup")
    span = cover_pieces(list(pieces)) or node.span
    if subgroup is None:
        text = span.slice(state.document)
        when: Node = Unparsed(span=span, text=text, reason="whom 'other' subjects are: no subgroup named before")
    else:
        when = Not(span=subgroup.span, child=subgroup)
    return Conditional(span=node.span.cover(span), when=when, then=node, otherwise=None)
