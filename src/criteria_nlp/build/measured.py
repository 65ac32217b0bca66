"""What a threshold measures when the words next to it are not its name (issue 11 mechanism 8; part of the
thresholds reader).

- "Requiring more than 4 L/min of oxygen", "not allowed if more than 25% of the marrow-bearing bone …": when the
  words before a quantity name nothing measured (a verb, a cue, nothing at all), the words after its "of" are the
  measured thing, an unknown variable named as written; a verb is never a variable's name.
- "PANSS item P1 score ≥ 3", "HAM-D item 3 ≥ 2", "≥ 20 on the PANSS positive subscale": a part of a scale is not the
  scale (an item scores 1 to 7, the total 30 to 210): an unknown variable named as written, never the whole score.
- "a SOFA score of ≥ 2 points", "OSDI < 30 points": "points" after a score's threshold counts the score; it is read
  as part of the threshold, neither a unit nor a count of something.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from criteria_nlp.build.common import (
    HYPHENS,
    chunk_span,
    cover_pieces,
    first_unit,
    is_content,
    not_understood,
    text_of,
)
from criteria_nlp.build.state import BuildState
from criteria_nlp.errors import CriteriaError
from criteria_nlp.grammar import Chunk, Piece, ProseChunk, Threshold, VariableMention
from criteria_nlp.ir import Unparsed, span_at
from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.unit_variables import unit_key, unit_variables
from criteria_nlp.knowledge.words import words

READER = "thresholds"
_MEASURE_VERBS = words("measure_verb")
_NOT_MEASURED_AFTER_OF = words("reference_after_of")
_SCORE_UNITS = words("score_unit")
_SCALE_PARTS = words("scale_part_word")
_ARTICLES = words("article")
_OPENERS = frozenset({",", ";", ":", "(", "[", "."})
_OPENER_KINDS = frozenset({"CONJ", "IF", "UNLESS"})
# "incomplete evacuation for ≥ 25% of defecations": words before "for"/"with" still name what is measured
_NAME_ENDS = _OPENER_KINDS | {"WITH"}
_KNOWN_KINDS = frozenset({"VARIABLE", "GROUP", "CONCEPT"})
_DOSE_UNITS = words("dose_unit")
_LONGEST_NAME = 4  # content words of a name read after "of"
_DIMENSIONS = words("dimension_noun")
_IN = frozenset({"in"})  # "> 2 cm in size"


def _verbs_before(prose_before: Sequence[Piece]) -> list[Piece] | None:
    """The verbs before the threshold when the words back to the start of its phrase are verbs, cues or fillers
    only; None when they name something."""
    verbs: list[Piece] = []
    for piece in reversed(prose_before):
        if piece.text in _OPENERS or _OPENER_KINDS & piece.kinds.keys():
            break
        if piece.lower in _MEASURE_VERBS:
            verbs.append(piece)
        elif is_content(piece):
            return None
    return verbs


def measured_after_of(
    state: BuildState, index: int, prose_before: Sequence[Piece], thresholds: Sequence[Threshold]
) -> VariableMention | Unparsed | None:
    """ "Requiring more than 4 L/min of oxygen": the quantity's variable is named after its "of"; "taking more
    than 10 mg of prednisone": a quantity of a concept (a dose) is reported as not read, never put on the verb."""
    chunks = state.chunks
    dimension = _dimension_after(state, chunks[index + 1 : index + 3], prose_before, thresholds)
    if dimension is not None:
        return dimension
    if first_unit(thresholds) is None or index + 2 >= len(chunks):
        return None  # "at least 2 of the following": a count, read elsewhere
    of = chunks[index + 1]
    verbs = _verbs_before(prose_before)
    if not isinstance(of, ProseChunk) or of.piece.lower != "of" or verbs is None:
        return None
    unit = first_unit(thresholds)
    # "4 L/min of oxygen" measures the oxygen given; "10 mg of prednisone" is a dose, which measures no patient
    name = _name_after(chunks[index + 2 :], concepts=unit is not None and not _is_dose(unit))
    if name is None:
        if not verbs:
            return None  # "more than 10 mg of prednisone": the concept readers report the quantity as before
        for piece in verbs:
            state.take(piece, READER, "unparsed")
        span = chunk_span(chunks[index]).cover(verbs[-1].span)
        return not_understood(state, span, "a quantity of a concept (a dose) is not read as a measurement")
    if not name or name[0].lower in _NOT_MEASURED_AFTER_OF:
        return None  # "< 60% of predicted", "> 3 times of normal": a reference, not a variable
    state.take(of.piece, READER, "variable")
    for piece in name:
        state.take(piece, READER, "variable")
    for piece in verbs:
        state.take(piece, READER, "connective")  # "consuming": says how the quantity is had, names nothing
    span = cover_pieces(name) or name[0].span
    return VariableMention(_named_by_unit(state, thresholds, name), False, text_of(name, state.document), span)


def _dimension_after(
    state: BuildState, after: Sequence[Chunk], prose_before: Sequence[Piece], thresholds: Sequence[Threshold]
) -> VariableMention | None:
    """ "a mass > 0.5 cm and < 2 cm in size", "at least 1 mm and up to 3 mm depth": a length threshold followed by
    the dimension it measures (``dimension_noun``, "in" before it or not) is on that dimension, named as written
    (an unknown variable: which thing's size the records would not say), not on the words before it. Not when a
    condition stands in the words before ("tumor ≥ 2 cm in diameter"): given back, it would become a requirement
    of its own."""
    unit = first_unit(thresholds)
    if unit is None or not _fits(unit, "cm"):
        return None
    for piece in reversed(prose_before):
        if piece.text in _OPENERS or _OPENER_KINDS & piece.kinds.keys():
            break
        if "CONCEPT" in piece.kinds:
            return None
    pieces = [c.piece for c in after if isinstance(c, ProseChunk)]
    if len(pieces) != len(after) or not pieces:
        return None
    lead = pieces[:1] if pieces[0].lower in _IN else []
    noun = pieces[len(lead)] if len(pieces) > len(lead) else None
    if noun is None or noun.lower not in _DIMENSIONS or state.taken(noun):
        return None
    for piece in lead:
        state.take(piece, READER, "connective")
    state.take(noun, READER, "variable")
    return VariableMention("", False, noun.text, noun.span)


def _fits(unit: str, other: str) -> bool:
    try:
        return units.compatible(unit, other)
    except CriteriaError:
        return False


def _named_by_unit(state: BuildState, thresholds: Sequence[Threshold], name: Sequence[Piece]) -> str:
    """ "6 L/min of supplemental oxygen": a unit and the last word of the name after "of" that name one variable
    together (``variables_units.tsv``); else no id (the name as written, an unknown variable)."""
    written = next((q.unit for t in thresholds for q in (t.low, t.high) if q is not None and q.unit), None)
    if written is None:
        return ""
    variable = unit_variables().get((unit_key(written), name[-1].lower.split()[-1]))
    return variable if variable is not None and variable in state.known.variables else ""


def _is_dose(unit: str) -> bool:
    """A mass, amount or activity, alone or per something ("mg/kg", "mg/day"): a ratio such as mg/kg is
    dimensionless like %, so the unit's first factor is what tells a dose from a share."""
    first = unit.split("/")[0].split("*")[0]
    for dose in _DOSE_UNITS:
        try:
            if units.compatible(first, dose):
                return True
        except CriteriaError:
            continue
    return False


def _name_after(chunks: Sequence[Chunk], *, concepts: bool = False) -> list[Piece] | None:
    """The measured thing's name after "of" (empty: none; None: a known variable or concept stands there). With
    ``concepts``, a concept's words may name it (a flow or share of a substance, not a dose)."""
    name: list[Piece] = []
    for chunk in chunks:
        if not isinstance(chunk, ProseChunk):
            break
        piece = chunk.piece
        if not name and piece.lower in _ARTICLES:
            continue
        if name and piece.text in HYPHENS:
            name.append(piece)  # "marrow-bearing"
            continue
        known = _KNOWN_KINDS & piece.kinds.keys()
        if known and not (concepts and known == {"CONCEPT"}):
            # a known variable after "of" is read by the variable-after reading; a concept ("10 mg of
            # prednisone") stays the concept readers' (a dose is no measurement of the patient)
            return None
        if not is_content(piece) or _NAME_ENDS & piece.kinds.keys() or "UNIT" in piece.kinds:
            break
        name.append(piece)
        if sum(1 for p in name if p.text not in HYPHENS) >= _LONGEST_NAME:
            break
    while name and name[-1].text in HYPHENS:
        name.pop()
    return name


def take_score_points(state: BuildState, index: int, thresholds: Sequence[Threshold]) -> None:
    """ "SOFA score of ≥ 2 points": "points" right after a threshold with no unit is part of it."""
    if first_unit(thresholds) is not None or any(t.reference for t in thresholds) or index + 1 >= len(state.chunks):
        return
    after = state.chunks[index + 1]
    if isinstance(after, ProseChunk) and after.piece.lower in _SCORE_UNITS and not state.taken(after.piece):
        state.take(after.piece, READER, "unit")


def scale_parts(state: BuildState, variables: tuple[VariableMention, ...]) -> tuple[VariableMention, ...]:
    """A known score followed by "item P1", "positive subscale", "domain": the part, as an unknown variable."""
    if not any(v.id for v in variables):
        return variables
    return tuple(_scale_part(state, v) for v in variables)


@cache
def _part_pattern() -> re.Pattern[str]:
    parts = "|".join(re.escape(word) for word in sorted(_SCALE_PARTS, key=len, reverse=True))
    # one optional word before the part ("positive subscale"), an optional label after it ("item P1", "item 10")
    return re.compile(rf"[ \t]+(?:[A-Za-z]+[ \t]+)?(?:{parts})\b(?:[ \t]*#?[A-Za-z]?[0-9]{{1,2}}[a-z]?\b)?", re.I)


def _scale_part(state: BuildState, variable: VariableMention) -> VariableMention:
    known = state.known.variables.get(variable.id)
    if known is None or known.kind != "score":
        return variable
    match = _part_pattern().match(state.document, variable.span.end)
    if match is None:
        return variable
    span = span_at(variable.span.start, match.end())
    for piece in state.prose:
        if span.start <= piece.char_start and piece.char_end <= span.end:
            state.take(piece, READER, "variable")
    return VariableMention("", False, span.slice(state.document), span)
