"""Check pass ``guard_partial_readings``: a partial reading whose unread words could change its meaning is unknown.

Issue 10's principle: where a reading is partial and the words not understood could change the meaning of the part
that was (an exception, a condition, a qualifier, a relative clause), the criterion is unknown, not true or false.
Three-valued logic alone does not give this: ``all(X, unparsed)`` is false whenever X is false, which is wrong when
the unparsed words were "unless …" in a requirement, "only if …" or "other than …".

The words no reader took are the builder's leftovers (``unparsed`` nodes with the leftovers' reasons; the
leftovers reader keeps an unread cue in them). When they hold a meaning cue of ``corpora/lexicon/meaning_cues.tsv``,
the whole expression X becomes ``if G then X else U``: G is the unread words from the cue, with the cue and its
position as the reason, and U what the criterion means when they apply, which was not read. G is unknown, and the
branches never agree on true or false (U is unknown), so the criterion is unknown for every patient, in the Python
engine and in SQL alike (the conditional's rules in ``ir.logic`` and ``population.combine``), while the trace still
shows what X alone would give. A ``meaning-not-read`` diagnostic per cue names it, where it is and what was expected
(lint rule N006).
"""

from __future__ import annotations

from criteria_nlp.check.bare import is_bare_guard
from criteria_nlp.check.context import CheckContext
from criteria_nlp.check.cues import CueMatch, meaning_cues
from criteria_nlp.ir import (
    LEAF_UNDERSTOOD,
    Conditional,
    Diagnostic,
    Node,
    Not,
    Presence,
    Span,
    Unparsed,
    map_children,
)
from criteria_nlp.knowledge.words import words

# the reasons the builder's leftovers give the words no reader took (``build.leftovers``, ``build.builder``)
LEFTOVER_REASONS = ("words not understood", "no variable, threshold or condition recognised")
GUARD_REASON = "words that may change the meaning of the rest were not read"
OTHERWISE_REASON = "what the criterion means where those words apply was not read"
DIAGNOSTIC = "meaning-not-read"
DURATION_REASON = (
    "an absence for a time ('no X for at least 5 years') may be how long the patient has been free of X or how long "
    "X has lasted; the two readings disagree here"
)
_DURATION_LEADS = words("duration_lead")
_ABSENCE_LEADS = words("absence_lead")


_NOTS = (Not,)
_UNPARSED = (Unparsed,)


def guard_negated_durations(node: Node, context: CheckContext) -> Node:
    """ "No malignancy for at least 5 years" read as ``not present(malignancy, at least 5 years ago)`` says the
    patient had no malignancy that long ago; the author may mean no malignancy in the last 5 years. After "free
    of" the absence is the time since X (``within``); after other negations the two readings decide only where
    they agree (``if unknown then one else the other``), unknown where they differ."""
    if not any(isinstance(n, Not) and _duration_window(n.child, context.text) for n in context.of(node, _NOTS)):
        return node
    return _durations(node, context.text)


def _durations(node: Node, text: str) -> Node:
    if isinstance(node, Not) and _duration_window(node.child, text):
        presence = node.child
        assert isinstance(presence, Presence) and presence.window is not None
        window = presence.window
        since = window.model_copy(update={"min_ago": None, "max_ago": window.min_ago})
        free = Not(span=node.span, child=presence.model_copy(update={"window": since}))
        before = " ".join(text[max(0, node.span.start - 12) : node.span.start].lower().replace("-", " ").split())
        first = node.span.slice(text).lower().replace("-", " ").split()[:1]
        if any(before.endswith(lead) for lead in _ABSENCE_LEADS) or (first and first[0] in _ABSENCE_LEADS):
            return free  # "free of malignancy for 5 years", "non-smoker for one year or more": the time since
        when = Unparsed(span=window.span, text=window.span.slice(text), reason=DURATION_REASON)
        return Conditional(span=node.span, when=when, then=free, otherwise=node)
    return map_children(node, lambda child: _durations(child, text))


def _duration_window(node: Node, text: str) -> bool:
    """A presence whose window is a duration ("for at least 5 years": only a least time ago, no anchor)."""
    if not isinstance(node, Presence) or node.window is None or not text:
        return False
    window = node.window
    if window.min_ago is None or window.max_ago is not None or window.anchor is not None:
        return False
    before = text[: window.span.start].split()
    return bool(before) and before[-1].lower() in _DURATION_LEADS


def guard_partial_readings(node: Node, context: CheckContext) -> Node:
    """``node`` guarded to unknown when words no reader took hold a meaning cue next to a part that was read."""
    if is_guard(node):
        return node
    understood_of = LEAF_UNDERSTOOD
    if not any(understood_of.get(kind) for kind in context.types(node)):
        return node  # nothing was read whose meaning the words could change: the criterion is unknown already
    leftovers = [
        item
        for item in context.of(node, _UNPARSED)
        if isinstance(item, Unparsed) and item.reason.startswith(LEFTOVER_REASONS)
    ]
    found = [(leaf, cue) for leaf in leftovers for cue in _cues(leaf, context.text)]
    if not found:
        return node
    for _, cue in found:
        context.diagnostics.append(_diagnostic(cue, context.text))
    leaf, first = found[0]
    span = _governed(leaf, first)
    words = span.slice(context.text)
    reason = f"{GUARD_REASON}: {_where(first, context.text)}"
    when = Unparsed(span=span, text=words, reason=reason)
    otherwise = Unparsed(span=span, text=words, reason=OTHERWISE_REASON)
    return Conditional(span=node.span.cover(span), when=when, then=node, otherwise=otherwise)


def is_guard(node: Node) -> bool:
    """Is ``node`` the guard this pass puts around a partial reading (or ``check.bare`` around a bare value)?"""
    return is_bare_guard(node) or (
        isinstance(node, Conditional)
        and isinstance(node.when, Unparsed)
        and node.when.reason.startswith(GUARD_REASON)
        and isinstance(node.otherwise, Unparsed)
    )


def _cues(leaf: Unparsed, text: str) -> list[CueMatch]:
    """The cues in the words of ``leaf`` (its span in the criterion's text; its own text when that is not there);
    a cue of scope "alone" only when it is all the leaf's words ("not" left over beside what it negated)."""
    span = leaf.span
    offset = span.start
    if text and span.end <= len(text):
        found = meaning_cues().find(text, offset, span.end)
        if not found:
            return found  # as most leftovers: no words to look at around a cue
        words_ = text[offset : span.end]
    else:
        found = [CueMatch(m.cue, m.start + offset, m.end + offset) for m in meaning_cues().find(leaf.text)]
        words_ = leaf.text
    return [m for m in found if m.cue.scope != "alone" or _alone(words_, m.start - offset, m.end - offset)]


def _alone(words_: str, start: int, end: int) -> bool:
    """Are the words around ``words_[start:end]`` no words at all?"""
    rest = words_[:start] + " " + words_[end:]
    return not any(ch.isalnum() for ch in rest)


def _governed(leaf: Unparsed, cue: CueMatch) -> Span:
    """The unread words the cue governs: from it to the end of the leaf's words (FORWARD), from their start to it
    (BACKWARD), or all of them."""
    if cue.cue.direction == "FORWARD":
        return Span(start=cue.start, end=max(leaf.span.end, cue.end))
    if cue.cue.direction == "BACKWARD":
        return Span(start=min(leaf.span.start, cue.start), end=cue.end)
    return leaf.span


def _where(cue: CueMatch, text: str) -> str:
    """ "'unless' (an exception) at line 1, column 16"."""
    line = text.count("\n", 0, cue.start) + 1 if text else 1
    column = cue.start - (text.rfind("\n", 0, cue.start) + 1) + 1 if text else cue.start + 1
    return f"{cue.cue.phrase!r} ({_NAMES[cue.cue.category]}) at line {line}, column {column}"


_NAMES = {
    "exception": "an exception",
    "condition": "a condition",
    "qualifier": "a qualifier",
    "relative": "a relative clause",
    "permission": "a permission or prohibition",
    "person": "someone other than the patient",
    "pseudo": "no cue",
}


def _diagnostic(cue: CueMatch, text: str) -> Diagnostic:
    return Diagnostic(
        code=DIAGNOSTIC,
        severity="warning",
        message=f"{_where(cue, text)} was not read: the words it governs may change the meaning of what was "
        "read, so the criterion is unknown for every patient",
        span=Span(start=cue.start, end=cue.end),
        suggestion=cue.cue.expected,
    )
