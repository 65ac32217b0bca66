"""A quotient of two variables named as one ("LDL/HDL ratio > 3.5"): issue 11 mechanism 4 (part of the thresholds
reader).

The grammar does not let "A/B ratio" head a threshold as a list of two variables (``grammar.variables``); here the
threshold gets the quotient as an unknown variable named as written, so that neither A nor B is constrained. A ratio
the lexicon knows ("PaO2/FiO2 ratio", "FEV1/FVC") is one variable there and never comes here.
"""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.build.common import cover_pieces
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Chunk, ConstraintChunk, Piece, ProseChunk, VariableMention
from criteria_nlp.grammar.variables import slash_names_a_quotient
from criteria_nlp.grammar.words import grammar_words

READER = "thresholds"
_RATIO_WORDS = grammar_words().ratio_word


def _is_variable(piece: Piece) -> bool:
    return "VARIABLE" in piece.kinds or "GROUP" in piece.kinds


def _is_name(piece: Piece) -> bool:
    """A word that may name an analyte the lexicon lacks ("ApoA1", "lymphocyte"): letters, perhaps digits."""
    return piece.text.isalnum() and not piece.text.isdigit() and not piece.kinds


def ratio_before(state: BuildState, prose_before: Sequence[Piece]) -> VariableMention | None:
    """ "A / B ratio" ending the prose before the threshold (a filler such as "of" or "is" may follow it), or
    "A / B" right before a threshold the grammar found to be on their quotient ("LDL/HDL > 3.5")."""
    end = len(prose_before)
    while end and prose_before[end - 1].lower in ("of", "is", "was", ":"):
        end -= 1
    if end >= 3 and prose_before[end - 1].lower not in _RATIO_WORDS:
        if _quotient_before(state, prose_before[end - 3 : end], prose_before[-1]):
            return _mention(state, prose_before[end - 3 : end])
        return None
    if end < 4 or prose_before[end - 1].lower not in _RATIO_WORDS:
        return None
    numerator, slash, denominator = prose_before[end - 4 : end - 1]
    if slash.text != "/" or not (_is_variable(numerator) or _is_variable(denominator)):
        return None
    if not all(_is_variable(piece) or piece.text.isalpha() for piece in (numerator, denominator)):
        return None  # "waist/hip ratio": one side may be a plain word, but no number or symbol
    return _mention(state, prose_before[end - 4 : end])


def _mention(state: BuildState, found: Sequence[Piece]) -> VariableMention:
    """The quotient as an unknown variable named as written, its pieces taken."""
    for piece in found:
        state.take(piece, READER, "variable")
    span = cover_pieces(found) or found[0].span
    return VariableMention("", False, span.slice(state.document), span)


def _quotient_before(state: BuildState, found: Sequence[Piece], last: Piece) -> bool:
    """ "LDL / HDL" directly before a threshold on their quotient: the same test the grammar made when it kept the
    two variables from heading the threshold (``slash_names_a_quotient``)."""
    numerator, slash, denominator = found
    if slash.text != "/" or not (_is_variable(numerator) or _is_variable(denominator)):
        return False
    if not all(_is_variable(piece) or _is_name(piece) for piece in (numerator, denominator)):
        return False  # "ApoB/ApoA1 > 0.9": one side may be a name the lexicon lacks, but no number or symbol
    following = _chunk_after(state, last)  # the threshold must follow the prose (and its fillers) at once
    if not isinstance(following, ConstraintChunk) or following.variables or not following.thresholds:
        return False
    threshold = following.thresholds[0]
    each = threshold.reference is not None or threshold.pair is not None
    quantity = threshold.low or threshold.high
    unit = None if quantity is None else quantity.unit_normalized or quantity.unit
    ids = [piece.kinds.get("VARIABLE") or piece.kinds.get("GROUP", "") for piece in (numerator, denominator)]
    return slash_names_a_quotient(ids[0], ids[1], unit, each)


def _chunk_after(state: BuildState, piece: Piece) -> Chunk | None:
    """The chunk right after the prose chunk of ``piece``."""
    for position, chunk in enumerate(state.chunks):
        if isinstance(chunk, ProseChunk) and chunk.piece is piece:
            return state.chunks[position + 1] if position + 1 < len(state.chunks) else None
    return None
