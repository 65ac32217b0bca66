"""A value of a scale followed by "or better" / "or worse" (part of the thresholds reader), issue 11 mechanism 1:
"NYHA class II or better" is NYHA ≤ 2, "ECOG 0-1 or better" ECOG ≤ 1, "Karnofsky 70 or better" Karnofsky ≥ 70.

Which way is better is data: the healthy end of each scale in ``corpora/lexicon/variables_direction.tsv``; the words
are the ``better_word`` and ``worse_word`` sets of ``words.tsv``. A scale whose healthy end is not listed keeps the
words unread (reported), never guessed; a grade of a named condition ("neuropathy grade 2 or worse") is graded from
no disease up (``graded_from_healthy`` in ``words.tsv``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from criteria_nlp.build.bounds import with_operator
from criteria_nlp.build.common import not_understood
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import ConstraintChunk, ProseChunk, Threshold, VariableMention
from criteria_nlp.ir import Unparsed
from criteria_nlp.knowledge.scale_direction import direction_operator
from criteria_nlp.knowledge.words import words

READER = "thresholds"
_BETTER = words("better_word")
_WORSE = words("worse_word")
_GRADED_FROM_HEALTHY = words("graded_from_healthy")
_SCALE_WORDS = words("scale_word")


def toward(
    state: BuildState, index: int, variables: Sequence[VariableMention], thresholds: list[Threshold]
) -> list[Threshold] | None:
    """The threshold at ``index`` as a bound when "or better"/"or worse" follows its value or range of one scale;
    None when those words follow a value whose direction is not known (the threshold cannot be read: an equality
    would refuse every worse value); else the thresholds unchanged."""
    chunks = state.chunks
    bound = _comparator_before_scale(state, index, thresholds)  # "at least grade 3 neutropenia"
    if bound is not None:
        return bound
    joiner, word = (chunks[index + 1], chunks[index + 2]) if index + 2 < len(chunks) else (None, None)
    if not isinstance(joiner, ProseChunk) or not isinstance(word, ProseChunk):
        return thresholds
    if joiner.piece.kinds.get("CONJ") != "or" or state.taken(joiner.piece) or state.taken(word.piece):
        return thresholds
    if word.piece.lower not in _BETTER | _WORSE:
        return thresholds
    t = thresholds[0]
    if t.operator in ("<", "<=", ">", ">="):
        return thresholds  # "≥ 2 or worse" says no more than "≥ 2"
    one_value = len(variables) == len(thresholds) == 1 and t.reference is None
    operator = direction_operator(variables[0].id, word.piece.lower) if one_value and variables else None
    if operator is None and one_value and variables and _grade_of_condition(state, variables[0], t):
        operator = ">=" if word.piece.lower in _WORSE else "<="  # "neuropathy grade 2 or worse": grade 0 is healthy
    state.take(joiner.piece, READER, "comparator" if operator else "unparsed")
    state.take(word.piece, READER, "comparator" if operator else "unparsed")
    if operator is None or t.low is None or t.high is None:
        return None
    span = t.span.cover(word.piece.span)
    if operator == "<=":
        return [Threshold(None, False, t.high, t.high_inclusive, None, "<=", span, True)]
    return [Threshold(t.low, t.low_inclusive, None, False, None, ">=", span, True)]


def _comparator_before_scale(state: BuildState, index: int, thresholds: list[Threshold]) -> list[Threshold] | None:
    """ "greater than stage 3 on the Hamilton scale", "at least grade 3 neutropenia": a comparator written before the
    scale word of a grade, class or stage bounds its value (the grammar sees a word between it and the number and
    leaves it prose); None when no comparator stands there."""
    chunks = state.chunks
    if index < 2 or len(thresholds) != 1:
        return None
    t = thresholds[0]
    scale, comparator = chunks[index - 1], chunks[index - 2]
    if t.explicit or t.operator != "==" or not isinstance(scale, ProseChunk) or not isinstance(comparator, ProseChunk):
        return None
    operator = comparator.piece.kinds.get("CMP_PRE")
    if operator is None or scale.piece.lower not in _SCALE_WORDS or state.taken(comparator.piece):
        return None
    state.take(comparator.piece, READER, "comparator")
    bound = with_operator(t, operator)
    return [replace(bound, span=comparator.piece.span.cover(bound.span), explicit=True)]


def _grade_of_condition(state: BuildState, variable: VariableMention, t: Threshold) -> bool:
    """ "Neuropathy grade 2 or worse": a grade (a ``graded_from_healthy`` word of ``words.tsv``: its 0 is no disease,
    as CTCAE grades are) of a condition the lexicon knows; a grade of nothing named ("Grade 2 or worse") is not."""
    if variable.id or t.low is None or t.low.unit not in _GRADED_FROM_HEALTHY:
        return False
    return any("CONCEPT" in p.kinds and p.span == variable.span for p in state.prose)


def direction_unknown(state: BuildState, chunk: ConstraintChunk, index: int) -> Unparsed:
    """The threshold and its "or better"/"or worse", unread with the reason."""
    word = state.chunks[index + 2]
    assert isinstance(word, ProseChunk)
    span = chunk.span.cover(word.piece.span)
    return not_understood(state, span, f"a value 'or {word.piece.lower}' on a scale whose healthy end is not known")
