"""An x/y pair that defines a condition ("hypotension (BP < 90/60 mmHg)"): when its two readings disagree, unknown.

A pair is read by its direction (:func:`criteria_nlp.build.bounds.pair_reading`): a lower bound ("> 140/90") is met
by either value, an upper bound ("< 140/90") by both. The lower bound is the convention for the conditions such a
pair defines (hypertension is a systolic over 140 or a diastolic over 90). An upper bound has no such convention:
"BP < 140/90" as a target (controlled pressure) needs both values, but "hypotension (BP < 90/60)" is a systolic
under 90 OR a diastolic under 60. So an upper-bound pair that defines a condition decides only when both readings
agree: both values under their bounds meet it, both over fail it, and one value on each side leaves it unknown with
the reason (``any(all(a, b), all(any(a, b), unparsed(reason)))``), never a confident answer either way.
"""

from __future__ import annotations

from criteria_nlp.grammar import ConstraintChunk
from criteria_nlp.ir import All, Any_, Comparison, Node, Range, Unparsed

SPLIT_REASON = (
    "one value of the pair on each side of its bound: whether the definition needs both values or either one is not"
    " written (hypotension is either value under its bound; a controlled pressure is both)"
)
_UPPER = ("<", "<=")


def undecided_when_split(node: Node, chunk: ConstraintChunk, document: str) -> Node:
    """``node`` read from ``chunk``; an upper-bound pair read as "both" becomes unknown when its values disagree."""
    if not isinstance(node, All) or len(node.children) != 2 or not _upper_pair(chunk):
        return node
    if not all(_upper_bound(child) for child in node.children):
        return node
    either = Any_(span=node.span, children=node.children)
    split = Unparsed(span=chunk.span, text=chunk.span.slice(document), reason=SPLIT_REASON)
    return Any_(span=node.span, children=(node, All(span=node.span, children=(either, split))))


def _upper_pair(chunk: ConstraintChunk) -> bool:
    return len(chunk.thresholds) == 1 and chunk.thresholds[0].pair is not None


def _upper_bound(node: Node) -> bool:
    if isinstance(node, Comparison):
        return node.operator in _UPPER
    return isinstance(node, Range) and node.low is None and node.high is not None
