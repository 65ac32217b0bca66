"""An x/y pair ("BP < 90/60 mmHg") whose two readings may disagree: decided only where they agree, else unknown.

A pair is read by its direction (:func:`criteria_nlp.build.bounds.pair_reading`): a lower bound ("> 140/90") is met
by either value, an upper bound ("< 140/90") by both. That convention holds for a lower bound that excludes
(hypertension is a systolic over 140 or a diastolic over 90) and an upper bound that is required (a controlled
pressure needs both). It has no ground elsewhere: "BP < 90/60" in the exclusion section is hypotension, a systolic
under 90 OR a diastolic under 60, and "BP ≥ 90/60" in the inclusion section may need both values over theirs. Such a
pair decides only where both readings agree: both values on the meeting side meet it, both on the other side fail
it, and one value on each side leaves it unknown with the reason (``any(all(a, b), all(any(a, b), unparsed(reason)))``),
never a confident answer either way. A pair that defines a condition ("hypotension (BP < 90/60 mmHg)") is read
the same way when it is an upper bound, whatever the section; a lower bound there keeps the convention of the
conditions such pairs define (either value).
"""

from __future__ import annotations

from criteria_nlp.build.bounds import pair_reading
from criteria_nlp.grammar import ConstraintChunk
from criteria_nlp.ir import All, Any_, Comparison, Node, Range, Span, Unparsed

SPLIT_REASON = (
    "one value of the pair on each side of its bound: whether the definition needs both values or either one is not"
    " written (hypotension is either value under its bound; a controlled pressure is both)"
)
_UPPER_EXCLUDING = (
    "one value of the pair on each side of its bound: an upper bound that excludes may mean either value under its"
    " own (hypotension: a systolic under 90 or a diastolic under 60) or both, and the criterion does not say which"
)
_LOWER_REQUIRED = (
    "one value of the pair on each side of its bound: a lower bound that is required may need both values over"
    " their own (a minimum pressure) or either one (hypertension), and the criterion does not say which"
)
_UPPER = ("<", "<=")


def by_side(node: Node, chunk: ConstraintChunk, document: str, excluding: bool) -> Node:
    """``node`` read from ``chunk`` by the side it is read on (``excluding``: a condition that excludes); a pair
    without a convention on that side decides only where its two readings agree."""
    if not _pair(node, chunk) or pair_reading(chunk.thresholds[0], excluding) != "agree":
        return node
    assert isinstance(node, All | Any_)
    reason = _LOWER_REQUIRED if chunk.thresholds[0].low is not None else _UPPER_EXCLUDING
    return _agreeing(node.children, node.span, chunk, document, reason)


def undecided_when_split(node: Node, chunk: ConstraintChunk, document: str) -> Node:
    """``node`` read from ``chunk`` as a definition: an upper-bound pair is unknown when its values disagree; a
    lower-bound pair is met by either value (read "agree" by its section before, it takes the convention again)."""
    either = read_by_side(node)
    if either is not None and _pair(either, chunk):
        if pair_reading(chunk.thresholds[0]) == "either":
            return either
        return _agreeing(either.children, node.span, chunk, document, SPLIT_REASON)
    if not isinstance(node, All) or len(node.children) != 2 or not _pair(node, chunk):
        return node
    if not all(_upper_bound(child) for child in node.children):
        return node
    return _agreeing(node.children, node.span, chunk, document, SPLIT_REASON)


def _agreeing(children: tuple[Node, ...], span: Span, chunk: ConstraintChunk, document: str, reason: str) -> Node:
    both, either = All(span=span, children=children), Any_(span=span, children=children)
    split = Unparsed(span=chunk.span, text=chunk.span.slice(document), reason=reason)
    return Any_(span=span, children=(both, All(span=span, children=(either, split))))


def read_by_side(node: Node) -> Any_ | None:
    """``any(a, b)`` of ``any(all(a, b), all(any(a, b), unparsed))`` (a pair :func:`by_side` read), else None."""
    if not isinstance(node, Any_) or len(node.children) != 2:
        return None
    both, split = node.children
    if not isinstance(both, All) or not isinstance(split, All) or len(split.children) != 2:
        return None
    either, unread = split.children
    if not isinstance(either, Any_) or not isinstance(unread, Unparsed) or either.children != both.children:
        return None
    return either


def _pair(node: Node, chunk: ConstraintChunk) -> bool:
    return (
        isinstance(node, All | Any_)
        and len(node.children) == 2
        and len(chunk.thresholds) == 1
        and chunk.thresholds[0].pair is not None
    )


def _upper_bound(node: Node) -> bool:
    if isinstance(node, Comparison):
        return node.operator in _UPPER
    return isinstance(node, Range) and node.low is None and node.high is not None
