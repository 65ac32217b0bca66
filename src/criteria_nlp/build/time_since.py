"""Reader "time_since": a wash-out written as a time since something ("At least 4 weeks since prior chemotherapy",
"More than 28 days must have passed since the last radiotherapy").

The lists reader gives the concept the window "at least 4 weeks ago", which reads as a requirement that the thing
happened then: a patient who never had chemotherapy would fail the inclusion. The criterion limits the time since
the thing if it happened; it asks nothing of a patient who never had it. Read as written it is "no chemotherapy
within the last 4 weeks": ``not present(X, within N)``, met by a patient whose last chemotherapy is older and by one
who never had any (on a complete record list; unknown otherwise), failed by one treated within the window.

Taken only where the window has a lower end and no upper one ("at least", "more than"), lies before the concept, and
a ``time_since`` word (words.tsv: "since", "after", "following") stands between them, with a ``time_since_latest``
word ("last", "prior", "previous") or, for a treatment (a procedure or a medication), "since"; and no word saying
the time is since the thing's diagnosis or onset (``onset_after``, ``duration_start``): "at least 6 weeks after
surgical sterilization" and "6 months since myocardial infarction" may require the thing, and are left as read.
Several concepts under one
such window ("since prior chemotherapy or radiotherapy") are one wash-out: none of them within the window.
"""

from __future__ import annotations

from criteria_nlp.build.state import BuildState
from criteria_nlp.ir import All, Any_, Node, Not, Presence, TemporalWindow, walk
from criteria_nlp.knowledge.words import words

READER = "time_since"
TIME_SINCE = words("time_since")
# "at least 6 months since diagnosis of diabetes", "since the onset of": the time a condition has lasted, which
# presupposes it (a requirement of the condition, not a wash-out): left as read
_ONSET = words("onset_after") | words("duration_start")
_LATEST = words("time_since_latest")
_DOSE = words("time_since_dose")
_WORDS = TIME_SINCE | _LATEST | _DOSE
_SINCE = frozenset({"since"}) & TIME_SINCE
_TREATMENTS = frozenset({"procedure", "medication"})


def read_time_since(state: BuildState) -> None:
    if state.concepts is None:
        return
    node = state.concepts
    if isinstance(node, Presence) and _since(state, node):
        _take_words(state, node)
        state.concepts = Not(span=node.span, child=_within(node))
    elif (
        isinstance(node, (All, Any_))
        and node.children
        and all(isinstance(child, Presence) and _since(state, child) for child in node.children)
    ):
        _take_words(state, node)
        children = tuple(_within(child) for child in node.children if isinstance(child, Presence))
        state.concepts = Not(span=node.span, child=Any_(span=node.span, children=children))


def _since(state: BuildState, node: Presence) -> bool:
    """A window "at least N" written before the concept, with a time_since word between the two."""
    window = node.window
    if window is None or window.min_ago is None or window.max_ago is not None:
        return False
    start, end = window.span.end, node.concept.span.start
    if start > end:
        return False
    if any(qualifier in _ONSET for qualifier in node.concept.qualifiers):
        return False
    between = [piece.lower for piece in state.prose if piece.char_start >= start and piece.char_end <= end]
    if not any(word in TIME_SINCE for word in between) or any(word in _ONSET for word in between):
        return False
    # "since the last dose of", "after prior chemotherapy": the time since the latest one, whatever came before; a
    # treatment "since" it was given is a wash-out too. Otherwise ("at least 6 weeks after surgical sterilization",
    # "6 months since myocardial infarction") the criterion may require the thing: left as read
    latest = any(word in _LATEST for word in between)
    return latest or (node.concept.category in _TREATMENTS and any(word in _SINCE for word in between))


def _take_words(state: BuildState, node: Node) -> None:
    """ "since the last dose of": the words of the reading, not left as not understood."""
    for presence in walk(node):
        if not isinstance(presence, Presence) or presence.window is None:
            continue
        start, end = presence.window.span.end, presence.concept.span.start
        for piece in state.prose:
            if start <= piece.char_start and piece.char_end <= end and piece.lower in _WORDS and not state.taken(piece):
                state.take(piece, READER, "window")


def _within(node: Presence) -> Presence:
    """The concept within the window's length: the time in which the wash-out forbids it."""
    assert node.window is not None
    # "at least 4 weeks since": a dose exactly 4 weeks ago satisfies it, so the forbidding window leaves that day out;
    # "more than 4 weeks since": a dose on that day does not, so the window holds it; unwritten stays unknown
    inclusive = node.window.min_inclusive
    window = TemporalWindow(
        max_ago=node.window.min_ago,
        anchor=node.window.anchor,
        span=node.window.span,
        max_inclusive=None if inclusive is None else not inclusive,
    )
    return node.model_copy(update={"window": window})
