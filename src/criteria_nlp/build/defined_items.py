"""A condition defined (or illustrated) by a list of conditions after it: part of the reader "lists".

"Established cardiovascular disease, defined as: • prior myocardial infarction • prior stroke": the items after the
``definition_cue`` ("defined as", "i.e.") say which records are the condition; they are alternatives, any of which
is it. Joined by the section's connective (none but bullets: "all" in the inclusion section), each item was a
requirement of its own, and a patient with a prior myocardial infarction alone was confidently ineligible. A record
of the condition itself that names none of the items may or may not be one of them: unknown (needs review). Items
joined by "and" ("defined as A and B") may be alternatives or asked together: the reading decides only where both
agree (both, or neither).

"Cardiovascular disease, including myocardial infarction and stroke" (an ``example_cue``): the items are examples
of the condition, which stays the requirement; any of them, or the condition, meets it.

Read only where written plainly: one condition before the cue, nothing but the cue (and commas, colons, brackets)
between them, the items after it joined by commas, bullets, "or" or "and" alone, no threshold, no negation and no
time window on the condition defined.
"""

from __future__ import annotations

import re
from itertools import pairwise

from criteria_nlp.build.common import is_content, not_understood
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Piece
from criteria_nlp.ir import All, Any_, Node, Presence, Span, span_at
from criteria_nlp.knowledge.words import words

_DEFINING = frozenset(words("definition_cue"))
_EXAMPLES = frozenset(words("example_cue"))
_FILLERS = frozenset({",", ":", "(", "•", "·", "▪", "◦", "-", "*", "–"})
_SPACES = re.compile(r"\s+")
_LEADING_KINDS = frozenset({"QUAL", "BEFORE", "WITH"})  # what may stand before the condition ("Patients with prior")
_HEAD_REASON = "a record of the condition a list defines may or may not be one of the items that define it"
_AND_REASON = "whether the items that define the condition, joined by 'and', are alternatives or asked together"


def defined_by_items(state: BuildState, presences: list[Node]) -> Node | None:
    """The list read as a condition and the items that define (or illustrate) it; None when not written so."""
    if state.numeric is not None or len(presences) < 2 or len(presences) != len(state.items):
        return None
    nodes = sorted(presences, key=lambda n: n.span.start)
    if not all(isinstance(n, Presence) and n.window is None for n in nodes):
        return None
    spans = [n.concept.span for n in nodes if isinstance(n, Presence)]
    cue = _cue(state, spans[0].end, spans[1].start)
    head: Node | None = nodes[0]
    if cue is None:
        # "Established CVD, defined as: • prior MI • prior stroke": the condition defined was not read; the items
        # are still alternatives, and the unread condition stays a requirement beside them (leftovers)
        cue, head = _cue_after_unread(state, spans[0].start), None
        if cue is None or cue[0] != "define":
            return None
    kind, cue_span = cue
    items = nodes[1:] if head is not None else nodes
    before = _pieces(state, 0, (head.span if head is not None else cue_span).start)
    after = _pieces(state, spans[-1].end, len(state.document))
    if any(not _LEADING_KINDS.issuperset(p.kinds) for p in before) or any("CONJ" in p.kinds for p in after):
        return None  # a cue before the condition ("other than COPD (e.g. …)", "no"): its scope is not this reading
    if any(_stray(state, p) for p in (*(before if head is not None else ()), *after)):
        return None  # an unread word before the condition, or after the last item
    if len(items) < 2:
        return None
    joints: list[Piece] = []
    for a, b in pairwise(spans[len(nodes) - len(items) :]):
        gap = _pieces(state, a.end, b.start)
        if not gap or any(_stray(state, p) and "CONJ" not in p.kinds for p in gap):
            return None
        joints += [p for p in gap if "CONJ" in p.kinds or p.text in _FILLERS]
        if not any("CONJ" in p.kinds or p.text in _FILLERS for p in gap):
            return None
    if any("CONJ" in p.kinds and p.kinds["CONJ"] not in ("or", "andor", "and") for p in joints):
        return None
    listed = _alternatives(state, items, joints, cue_span)
    if head is None:
        return listed
    if kind == "example":
        return Any_(span=head.span.cover(listed.span), children=(head, *items))
    doubt = not_understood(state, cue_span, _HEAD_REASON)
    unsure = All(span=head.span.cover(cue_span), children=(head, doubt))
    return Any_(span=head.span.cover(listed.span), children=(listed, unsure))


def _alternatives(state: BuildState, items: list[Node], joints: list[Piece], cue_span: Span) -> Node:
    """any(items); with an "and" among the joints, where any and all agree: any(all(items), all(any(items), ?))."""
    span = items[0].span.cover(items[-1].span)
    either = Any_(span=span, children=tuple(items))
    if not any(p.kinds.get("CONJ") == "and" for p in joints):
        return either
    both = All(span=span, children=tuple(items))
    doubt = not_understood(state, cue_span, _AND_REASON)
    return Any_(span=span, children=(both, All(span=span, children=(either, doubt))))


def _cue(state: BuildState, start: int, end: int) -> tuple[str, Span] | None:
    """("define" | "example", the cue's span) when the words between the condition and the first item are a cue."""
    words_between = [p for p in _pieces(state, start, end) if p.text not in _FILLERS and not state.taken(p)]
    if not words_between or any(p.text in _FILLERS for p in words_between):
        return None
    phrase = _SPACES.sub(" ", " ".join(p.lower for p in words_between)).strip()
    taken_between = [p for p in _pieces(state, start, end) if state.taken(p) and p.text not in _FILLERS]
    if any(p.char_start < words_between[-1].char_end for p in taken_between):
        return None  # a word read between the condition and the cue: the cue may not be the condition's
    span = span_at(words_between[0].char_start, words_between[-1].char_end)
    if phrase in _DEFINING:
        return "define", span
    if phrase in _EXAMPLES:
        return "example", span
    return None


def _cue_after_unread(state: BuildState, first: int) -> tuple[str, Span] | None:
    """A defining cue right before the first item (fillers and the item's read qualifiers aside) after unread words
    that name the condition ("Established CVD, defined as: …"); None otherwise."""
    pieces = _pieces(state, 0, first)
    while pieces and (pieces[-1].text in _FILLERS or state.taken(pieces[-1])):
        pieces.pop()
    for size in (3, 2, 1):
        cue, rest = pieces[-size:], pieces[:-size]
        if len(cue) < size or not rest:
            continue
        phrase = _SPACES.sub(" ", " ".join(p.lower for p in cue)).strip()
        if phrase not in _DEFINING or any(state.taken(p) for p in cue):
            continue
        head = [p for p in rest if p.text not in _FILLERS]
        if head and any(_stray(state, p) for p in head) and not any("CONJ" in p.kinds for p in head):
            return "define", span_at(cue[0].char_start, cue[-1].char_end)
    return None


def _stray(state: BuildState, piece: Piece) -> bool:
    """A word of meaning no reader took, other than a list filler."""
    return piece.text not in _FILLERS and not state.taken(piece) and is_content(piece)


def _pieces(state: BuildState, start: int, end: int) -> list[Piece]:
    return [p for p in state.prose if start <= p.char_start and p.char_end <= end]
