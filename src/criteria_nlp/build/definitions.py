"""Reader "definitions": a condition defined by a threshold in brackets ("anemia (hemoglobin < 9 g/dL)"), issue 11
mechanism 5.

The bracket says what the condition means in this protocol. The reading depends on the section:

- exclusion: the threshold excludes, and a record of the condition leaves the criterion unknown
  (``any(T, all(present(C), unparsed(definition)))``): a haemoglobin under 9 g/dL excludes with no record of anaemia;
  a record of anaemia with a haemoglobin of 11 g/dL, or with none, is unknown (the record may be a milder form the
  protocol does not exclude); no record and a value outside the definition is not excluded.
- inclusion: the conjunction is kept (``all(T, present(C))``): a bracket in an inclusion may be a definition or a
  further requirement ("type 2 diabetes (HbA1c 7–10 %)"), and the threshold alone would include a type 1 diabetic.
  Without a record of the condition the criterion is unknown (review) while the records are not marked complete.

A clause made of one condition written right before its bracketed threshold is read this way; a list with such
items ("anemia (hemoglobin < 9 g/dL) or thrombocytopenia"), or a negated one ("no anemia (…)": none of them, each
read as an exclusion reads it), is read item by item in :mod:`~criteria_nlp.build.defined_lists`. An upper-bound
x/y pair in a definition decides only where its two readings agree (:mod:`~criteria_nlp.build.pairs`). A
``definition-reading`` diagnostic says which reading was made. Runs after the readers "thresholds" and "lists".
"""

from __future__ import annotations

from criteria_nlp.build.bare_definitions import read_bare_definitions
from criteria_nlp.build.bracket_alternatives import read_bracket_alternatives
from criteria_nlp.build.bracketed_years import read_bracketed_years
from criteria_nlp.build.defined_lists import is_threshold, read_defined_list
from criteria_nlp.build.pairs import undecided_when_split
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import ConstraintChunk, ProseChunk
from criteria_nlp.ir import (
    All,
    Any_,
    Diagnostic,
    Node,
    Presence,
    Unparsed,
)
from criteria_nlp.knowledge.words import words

READER = "definitions"
_CUES = words("definition_cue")
_RECORD_REASON = "whether the recorded condition meets the definition in brackets (a value outside it says it may not)"


def read_definitions(state: BuildState) -> None:
    if read_bracketed_years(state, _bracketed_after):
        return  # "Malignancies (< 5 years)": when the condition was, no age and no definition
    if read_bracket_alternatives(state, define) or read_defined_list(state, define):
        return
    if read_bare_definitions(state, define):
        return
    concept, threshold = state.concepts, state.numeric
    if not isinstance(concept, Presence) or threshold is None or not is_threshold(threshold):
        return
    chunk = _bracketed_after(state, concept, threshold) or _cued_after(state, concept)
    if chunk is None:
        return
    threshold = undecided_when_split(threshold, chunk, state.document)
    node = define(state, concept, threshold)
    if state.section == "exclusion":
        state.numeric, state.concepts = node, None
    else:
        state.numeric = threshold  # all(threshold, concept), as the clause's parts are joined


def define(state: BuildState, concept: Node, threshold: Node, excluding: bool = False) -> Node:
    """The reading of ``concept`` defined by ``threshold``, by the section (see the module's text; ``excluding``:
    read as in the exclusion section, as a condition that must be absent is), with its ``definition-reading``
    diagnostic."""
    span = concept.span.cover(threshold.span)
    written = threshold.span.slice(state.document)
    if excluding or state.section == "exclusion":
        # a record of the condition decides only where no value does: with a value outside the definition it may
        # be a milder form the protocol does not exclude, so it is unknown then, never an exclusion
        undecided = Unparsed(span=threshold.span, text=written, reason=_RECORD_REASON)
        node: Node = Any_(span=span, children=(threshold, All(span=span, children=(concept, undecided))))
        how = "the threshold excludes; a record of the condition without a value inside the definition is unknown"
    else:
        node = All(span=span, children=(threshold, concept))
        how = "both the threshold and the coded condition are required (the bracket may be a further requirement)"
    state.diagnostics.append(
        Diagnostic(
            code="definition-reading",
            severity="info",
            message=f"{_mention(state, concept)!r} defined by {written!r}: {how}",
            span=span,
        )
    )
    return node


def _mention(state: BuildState, concept: Node) -> str:
    return concept.concept.mention if isinstance(concept, Presence) else concept.span.slice(state.document)


def _bracketed_after(state: BuildState, concept: Presence, threshold: Node) -> ConstraintChunk | None:
    """The threshold's chunk, when the clause is the concept, right before "(", that chunk, ")" and nothing else
    unread; else None."""
    chunks = state.chunks
    texts = [c.piece.text if isinstance(c, ProseChunk) else None for c in chunks]
    try:
        opener, closer = texts.index("("), texts.index(")")
    except ValueError:
        return None
    numeric = [i for i, c in enumerate(chunks) if isinstance(c, ConstraintChunk)]
    if len(numeric) != 1 or not 0 < opener < numeric[0] < closer:
        return None
    inside = [c.piece for c in chunks[opener + 1 : closer] if isinstance(c, ProseChunk)]
    if any(not state.taken(p) and p.lower not in _CUES for p in inside):
        return None  # "(defined as ANC < 1,500/µL)": the cue may stand inside the bracket
    before, brackets = (
        chunks[opener - 1],
        [c.piece for c in (chunks[opener], chunks[closer]) if isinstance(c, ProseChunk)],
    )
    # the condition's own words end right at the bracket ("anemia (", not "enzyme elevation (" after the condition)
    if not isinstance(before, ProseChunk) or before.piece.char_end != concept.span.end:
        return None
    if threshold.span.start < brackets[0].char_end:
        return None  # the threshold's variable starts before the bracket: it is no definition of the condition
    for piece in [*brackets, *inside]:
        state.take(piece, READER, "connective")
    chunk = chunks[numeric[0]]
    assert isinstance(chunk, ConstraintChunk)
    return chunk


def _cued_after(state: BuildState, concept: Presence) -> ConstraintChunk | None:
    """ "Neutropenia defined as ANC < 1,500/µL", "thrombocytopenia, i.e. platelets < 100,000/mm³": the clause is the
    condition, a definition cue (``definition_cue`` in words.tsv) and one threshold, as a bracket would hold it."""
    chunks = state.chunks
    numeric = [i for i, c in enumerate(chunks) if isinstance(c, ConstraintChunk)]
    if len(numeric) != 1:
        return None
    between = [
        c.piece for c in chunks[: numeric[0]] if isinstance(c, ProseChunk) and c.piece.char_start >= concept.span.end
    ]
    cues = [p for p in between if p.lower in _CUES]
    if len(cues) != 1 or any(p.text != "," and p.lower not in _CUES for p in between):
        return None
    after = [c for c in chunks[numeric[0] + 1 :] if not (isinstance(c, ProseChunk) and c.piece.text in (".", ";"))]
    if after or any(
        isinstance(c, ProseChunk) and c.piece.char_end <= concept.span.start and not state.taken(c.piece)
        for c in chunks
    ):
        return None
    for piece in between:
        state.take(piece, READER, "connective")
    chunk = chunks[numeric[0]]
    assert isinstance(chunk, ConstraintChunk)
    return chunk
