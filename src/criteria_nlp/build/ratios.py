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
from criteria_nlp.grammar import Piece, VariableMention
from criteria_nlp.grammar.words import grammar_words

READER = "thresholds"
_RATIO_WORDS = grammar_words().ratio_word


def _is_variable(piece: Piece) -> bool:
    return "VARIABLE" in piece.kinds or "GROUP" in piece.kinds


def ratio_before(state: BuildState, prose_before: Sequence[Piece]) -> VariableMention | None:
    """ "A / B ratio" ending the prose before the threshold (a filler such as "of" or "is" may follow it)."""
    end = len(prose_before)
    while end and prose_before[end - 1].lower in ("of", "is", "was", ":"):
        end -= 1
    if end < 4 or prose_before[end - 1].lower not in _RATIO_WORDS:
        return None
    numerator, slash, denominator = prose_before[end - 4 : end - 1]
    if slash.text != "/" or not (_is_variable(numerator) or _is_variable(denominator)):
        return None
    if not all(_is_variable(piece) or piece.text.isalpha() for piece in (numerator, denominator)):
        return None  # "waist/hip ratio": one side may be a plain word, but no number or symbol
    found = list(prose_before[end - 4 : end])
    for piece in found:
        state.take(piece, READER, "variable")
    span = cover_pieces(found) or found[0].span
    return VariableMention("", False, span.slice(state.document), span)
