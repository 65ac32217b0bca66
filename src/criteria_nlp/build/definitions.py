"""Reader "definitions": a condition defined by a threshold in brackets ("anemia (hemoglobin < 9 g/dL)"), issue 11
mechanism 5.

The bracket says what the condition means in this protocol. The reading depends on the section:

- exclusion: the coded condition or the threshold excludes (``any(present(C), T)``): a haemoglobin under 9 g/dL
  excludes with no record of anaemia, and a record excludes when no value says otherwise. A record whose value is
  outside the definition still excludes (the reading stays on the side of excluding); a qualified condition
  ("uncontrolled hypertension") is as strict as its qualifier makes it (a record of hypertension alone is unknown).
- inclusion: the conjunction is kept (``all(T, present(C))``): a bracket in an inclusion may be a definition or a
  further requirement ("type 2 diabetes (HbA1c 7–10 %)"), and the threshold alone would include a type 1 diabetic.
  Without a record of the condition the criterion is unknown (review) while the records are not marked complete.

Only a clause made of one condition written right before its bracketed threshold is read this way; a
``definition-reading`` diagnostic says which reading was made. Runs after the readers "thresholds" and "lists".
"""

from __future__ import annotations

from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import ConstraintChunk, ProseChunk
from criteria_nlp.ir import (
    All,
    Any_,
    Comparison,
    Diagnostic,
    Node,
    Presence,
    Range,
    ReferenceMultiple,
)

READER = "definitions"
_THRESHOLDS = (Comparison, Range, ReferenceMultiple)  # an age ("malignancy (< 5 years)") defines no condition


def read_definitions(state: BuildState) -> None:
    concept, threshold = state.concepts, state.numeric
    if not isinstance(concept, Presence) or threshold is None or not _is_threshold(threshold):
        return
    if not _bracketed_after(state, concept, threshold):
        return
    span = concept.span.cover(threshold.span)
    if state.section == "exclusion":
        state.numeric = Any_(span=span, children=(concept, threshold))
        state.concepts = None
        how = "the coded condition or the threshold excludes (any)"
    else:
        how = "both the threshold and the coded condition are required (the bracket may be a further requirement)"
    state.diagnostics.append(
        Diagnostic(
            code="definition-reading",
            severity="info",
            message=f"{concept.concept.mention!r} defined by {threshold.span.slice(state.document)!r}: {how}",
            span=span,
        )
    )


def _is_threshold(node: Node) -> bool:
    """A threshold, or a pair of them ("BP ≥ 140/90"): no condition, exception or negation of its own."""
    if isinstance(node, All | Any_):
        return all(isinstance(child, _THRESHOLDS) for child in node.children)
    return isinstance(node, _THRESHOLDS)


def _bracketed_after(state: BuildState, concept: Presence, threshold: Node) -> bool:
    """The clause is the concept, right before "(", the threshold's chunk, ")" and nothing else unread."""
    chunks = state.chunks
    texts = [c.piece.text if isinstance(c, ProseChunk) else None for c in chunks]
    try:
        opener, closer = texts.index("("), texts.index(")")
    except ValueError:
        return False
    numeric = [i for i, c in enumerate(chunks) if isinstance(c, ConstraintChunk)]
    if len(numeric) != 1 or not 0 < opener < numeric[0] < closer:
        return False
    if any(isinstance(c, ProseChunk) and not state.taken(c.piece) for c in chunks[opener + 1 : closer]):
        return False
    before, brackets = (
        chunks[opener - 1],
        [c.piece for c in (chunks[opener], chunks[closer]) if isinstance(c, ProseChunk)],
    )
    # the condition's own words end right at the bracket ("anemia (", not "enzyme elevation (" after the condition)
    if not isinstance(before, ProseChunk) or before.piece.char_end != concept.span.end:
        return False
    if threshold.span.start < brackets[0].char_end:
        return False  # the threshold's variable starts before the bracket: it is no definition of the condition
    for piece in brackets:
        state.take(piece, READER, "connective")
    return True
