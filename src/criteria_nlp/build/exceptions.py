"""Exceptions: "X, unless E" read as X narrowed by E (clauses split by :mod:`~criteria_nlp.build.clauses`).

The exception is read on its own, as a statement about the patient ("unless CD4 ≥ 350 cells/µL and viral load <
200 copies/mL": both thresholds hold; "unless on anticoagulation": the patient is on it). What it does depends on
the section: an exclusion holds when X holds and the exception does not (``all(X, not E)``); a requirement is met by
X or by the exception (``any(X, E)``). In three-valued logic an exception that is unknown leaves the criterion
unknown unless X alone decides it (an exclusion whose X is false, a requirement whose X is true).

An exception that names a kind of X rather than a state of the patient ("cancer, except basal cell carcinoma",
"prior malignancy other than non-melanoma skin cancer") narrows the concept, not the criterion: a patient with
that kind may also have another one. It is kept as text beside the concept it narrows, so the concept is false when
the patient has none of it and unknown otherwise, whatever the criterion does with it.
"""

from __future__ import annotations

from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import ProseChunk
from criteria_nlp.ir import (
    All,
    Any_,
    Comparison,
    Conditional,
    Demographic,
    Node,
    Not,
    Presence,
    Range,
    ReferenceMultiple,
    Section,
    Span,
    Unparsed,
    children_of,
    rebuild,
    walk,
)
from criteria_nlp.knowledge.words import words

READER = "exceptions"
_STATE_CUES = words("state_exception_cue")  # "unless": what follows is a state of the patient, not a kind of X
_OPENERS = frozenset({"(", "[", ","})
_STATES = (Comparison, Range, ReferenceMultiple, Demographic, Conditional)


def take_exception_cue(state: BuildState) -> tuple[bool, Span]:
    """Take the bracket or comma, the exception cue and a condition cue after it ("except if", "except when"):
    whether the cue says the exception is a state of the patient ("unless", "except if"), and the words after."""
    state_cue = False
    for chunk in state.chunks:
        if not isinstance(chunk, ProseChunk):
            break
        piece = chunk.piece
        if "UNLESS" in piece.kinds:
            state.take(piece, READER, "cue:exception")
            state_cue = state_cue or piece.lower in _STATE_CUES
        elif "IF" in piece.kinds:
            state.take(piece, READER, "cue:condition")
            state_cue = True
        elif piece.text in _OPENERS:
            state.take(piece, READER, "filler")
        else:
            break
    if state.chunks and isinstance(state.chunks[-1], ProseChunk) and state.chunks[-1].piece.text in (")", "]"):
        state.take(state.chunks[-1].piece, READER, "filler")
    return state_cue, _clause_span(state)


def with_exception(
    state: BuildState, required: Node, exception: Node | None, section: Section, cue: tuple[bool, Span]
) -> Node:
    """``required`` narrowed by the exception read from ``state`` (None: nothing in it was read); ``cue`` is what
    :func:`take_exception_cue` found."""
    state_cue, span = cue
    if exception is None:
        reason = "an exception whose words were not understood"
        exception = Unparsed(span=span, text=span.slice(state.document), reason=reason)
    if _restates_only(required, exception):
        reason = "an exception that only restates thresholds of the variables the criterion tests"
        note = Unparsed(span=span, text=span.slice(state.document), reason=reason)
        return All(span=required.span.cover(span), children=(required, note))
    if not _is_state(required, exception, state_cue):
        narrowed = _narrow_concept(state, required, exception, span)
        if narrowed is not None:
            return narrowed
    # a state of the patient, or an exception with no condition before it to narrow ("Hemoglobin ≥ 10 g/dL except
    # after recent blood loss"): it narrows the criterion
    whole = required.span.cover(exception.span)
    if section == "exclusion":
        return All(span=whole, children=(required, Not(span=exception.span, child=exception)))
    return Any_(span=whole, children=(required, exception))


def _is_state(required: Node, exception: Node, state_cue: bool) -> bool:
    """Is the exception a state of the patient (a threshold, "unless on anticoagulation"), rather than a kind of
    the concept it follows ("cancer, except basal cell carcinoma")? A concept of the category of a concept of X
    ("prior malignancy unless basal cell carcinoma", "anticoagulants other than aspirin") names a kind of it."""
    leaves = list(walk(exception))
    categories = {n.concept.category for n in walk(required) if isinstance(n, Presence)}
    if any(isinstance(n, Presence) and n.concept.category in categories for n in leaves):
        return False
    return state_cue or any(isinstance(n, _STATES) for n in leaves)


def _restates_only(required: Node, exception: Node) -> bool:
    """ "BMI 20-50 (excluding BMI under 20 or over 50)": an exception of nothing but thresholds of the variables X
    tests says nothing X does not; "excluding" may then mean "which excludes". Not applied."""
    tested = _variables(required)
    leaves = [n for n in walk(exception) if not children_of(n)]
    return bool(tested) and all(
        isinstance(n, Comparison | Range | ReferenceMultiple) and n.variable.id in tested for n in leaves
    )


def _variables(node: Node) -> set[str]:
    return {
        n.variable.id
        for n in walk(node)
        if isinstance(n, Comparison | Range | ReferenceMultiple) and n.variable.id is not None
    }


def _narrow_concept(state: BuildState, required: Node, exception: Node, span: Span) -> Node | None:
    """The exception beside the last concept before it: that concept becomes unknown where the exception holds. An
    exception of concepts alone stays text; one with thresholds keeps its reading, with a note that makes it unknown
    where it holds (``not all(E, note)``: the concept stands where the exception is false). None when no concept
    precedes it."""
    reason = "an exception that names a kind of the condition before it (the patient may also have another kind)"
    note: Node = Unparsed(span=span, text=span.slice(state.document), reason=reason)
    if any(isinstance(n, Comparison | Range | ReferenceMultiple) for n in walk(exception)):
        note = Not(span=exception.span, child=All(span=exception.span, children=(exception, note)))
    target = next((n for n in reversed(list(walk(required))) if isinstance(n, Presence)), None)
    if target is None:
        return None  # no condition to narrow: the exception narrows the criterion (by its section)
    return _replace(required, target, All(span=target.span.cover(span), children=(target, note)))


def _replace(node: Node, target: Node, replacement: Node) -> Node:
    if node is target:
        return replacement
    children = children_of(node)
    if not children:
        return node
    return rebuild(node, tuple(_replace(child, target, replacement) for child in children))


def _clause_span(state: BuildState) -> Span:
    """The exception's words after its cues (taken before this is called), a closing bracket left out."""
    chunks = list(state.chunks)
    while len(chunks) > 1 and isinstance(chunks[-1], ProseChunk) and chunks[-1].piece.text == ",":
        chunks.pop()  # "unless on antiviral therapy, | or hepatitis C": the comma before the next item
    spans = [
        c.span if not isinstance(c, ProseChunk) else c.piece.span
        for c in chunks
        if not isinstance(c, ProseChunk) or not state.taken(c.piece)
    ]
    if not spans:
        spans = [c.span if not isinstance(c, ProseChunk) else c.piece.span for c in state.chunks]
    result = spans[0]
    for span in spans[1:]:
        result = result.cover(span)
    return result
