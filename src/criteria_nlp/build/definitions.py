"""Reader "definitions": a condition defined by a threshold in brackets ("anemia (hemoglobin < 9 g/dL)"), issue 11
mechanism 5.

The bracket says what the condition means in this protocol, so the criterion is not "the coded condition and the
threshold" (which needs both). The reading depends on the section:

- exclusion: the coded condition or the threshold excludes (``any(present(C), T)``): a record of anaemia, or a
  haemoglobin under 9 g/dL. A qualified condition ("uncontrolled hypertension") stays as strict as its qualifier
  makes it (a record of hypertension alone is unknown).
- inclusion: the threshold alone decides (``T``): it is what the protocol requires, and a coded condition does not
  say that the value is under it. Where the value is not measured, the criterion is unknown (review), never met on
  the code alone.

Only a clause made of one condition followed by its bracketed threshold is read this way; a ``definition-reading``
diagnostic says which reading was made. Runs after the readers "thresholds" and "lists" (it reads what they made).
"""

from __future__ import annotations

from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import ConstraintChunk, ProseChunk
from criteria_nlp.ir import (
    All,
    Any_,
    Comparison,
    Demographic,
    Diagnostic,
    Node,
    Presence,
    Range,
    ReferenceMultiple,
)

READER = "definitions"
_THRESHOLDS = (Comparison, Range, ReferenceMultiple, Demographic)


def read_definitions(state: BuildState) -> None:
    concept, threshold = state.concepts, state.numeric
    if not isinstance(concept, Presence) or threshold is None or not _is_threshold(threshold):
        return
    if not _bracketed_after(state, concept, threshold):
        return
    if state.section == "exclusion":
        state.numeric = Any_(span=concept.span.cover(threshold.span), children=(concept, threshold))
        how = "the coded condition or the threshold excludes (any)"
    else:
        how = "the threshold alone decides (a coded condition does not say the value meets it)"
    state.concepts = None
    state.diagnostics.append(
        Diagnostic(
            code="definition-reading",
            severity="info",
            message=f"{concept.concept.mention!r} defined by {threshold.span.slice(state.document)!r}: {how}",
            span=concept.span.cover(threshold.span),
        )
    )


def _is_threshold(node: Node) -> bool:
    """A threshold, or a pair of them ("BP ≥ 140/90"): no condition, exception or negation of its own."""
    if isinstance(node, All | Any_):
        return all(isinstance(child, _THRESHOLDS) for child in node.children)
    return isinstance(node, _THRESHOLDS)


def _bracketed_after(state: BuildState, concept: Presence, threshold: Node) -> bool:
    """The clause is the concept, "(", the threshold's chunk, ")" and nothing else but already-read words."""
    chunks = state.chunks
    texts = [c.piece.text if isinstance(c, ProseChunk) else None for c in chunks]
    try:
        opener, closer = texts.index("("), texts.index(")")
    except ValueError:
        return False
    numeric = [i for i, c in enumerate(chunks) if isinstance(c, ConstraintChunk)]
    if len(numeric) != 1 or not opener < numeric[0] < closer:
        return False
    inside = chunks[opener + 1 : closer]
    if any(isinstance(c, ProseChunk) and not state.taken(c.piece) for c in inside):
        return False
    brackets = [c.piece for c in (chunks[opener], chunks[closer]) if isinstance(c, ProseChunk)]
    if concept.span.end > brackets[0].char_start or threshold.span.start < concept.span.end:
        return False
    for piece in brackets:
        state.take(piece, READER, "connective")
    return True
