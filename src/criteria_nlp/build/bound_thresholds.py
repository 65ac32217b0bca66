"""A threshold bound to a condition by "with" in a list of alternatives: part of the reader "lists".

"Hepatitis with ALT > 3 x ULN or cirrhosis": joined by "all", the threshold was needed beside either condition
(all(T, any(hepatitis, cirrhosis))), so cirrhosis with a normal ALT met neither the exclusion nor the inclusion.
Which words "with" binds is not written: "A with T or B" is "A with T" or B (any(all(A, T), B)), or "A with T or
with B" (all(A, any(T, B)), the reading of "diabetes with hypertension or heart failure" in bound_lists.py). The
reading decides only where both agree: any(all(A, T), all(B, any(A, unknown))): A with T meets it, A with B meets
it, neither A with T nor B fails it, and B without A is unknown (needs review). Written after the list ("B or A
with T": any(B, all(A, T)) or all(T, any(A, B))), the doubt is on the threshold: any(all(A, T), all(B, any(T,
unknown))).

Read only where written plainly: one "with" right after the condition and right before the threshold, a single
threshold with no unread word inside it, the other conditions joined to it by commas and "or" alone.
"""

from __future__ import annotations

from itertools import pairwise

from criteria_nlp.build.common import any_of, cover, is_content, is_or, not_understood
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Piece
from criteria_nlp.ir import All, Any_, Comparison, Node, Presence, Range, ReferenceMultiple, Span, span_at

_REASON = "which words 'with' binds is not written: 'A with T or B' may be 'A with T, or B' or 'A with T or with B'"
_AND_REASON = "which words 'with' binds is not written: 'A with T and B' may be 'A with T and with B' or two items"
_MIDDLE_REASON = "which words 'with' binds in the middle of a list is not written ('B, A with T or C')"


def with_bound_threshold(state: BuildState, presences: list[Node]) -> Node | None:
    """The list read so that a threshold after "with" qualifies its condition, or None when not written so."""
    numeric = state.numeric
    if not isinstance(numeric, Comparison | ReferenceMultiple | Range) or len(presences) < 2:
        return None
    conditions = sorted(presences, key=lambda n: n.span.start)
    if not all(isinstance(child, Presence) for child in conditions):
        return None
    if not _plain_threshold(state, numeric):
        return None
    document = state.document
    spans = [_concept_span(child) for child in conditions]
    binders = [p for p in state.prose if "WITH" in p.kinds]
    # the "with" before the threshold ("with elevated ALT > 3 x ULN": an unread word between stays unread beside
    # the reading); any other "with" stands right before a condition ("… or with cirrhosis")
    binder = next((p for p in binders if _leads_to(state, p, numeric.span.start)), None)
    if binder is None or any(p is not binder and not _before_condition(document, p, spans) for p in binders):
        return None
    bound_at = next((k for k, span in enumerate(spans) if not document[span.end : binder.char_start].strip()), None)
    if bound_at is None:
        return None
    # "A with T" is one item: the joints stand between the items before and after it
    if not _joined_by_or(state, [*spans[:bound_at], spans[bound_at].cover(numeric.span), *spans[bound_at + 1 :]]):
        return None
    condition = conditions[bound_at]
    pair = All(span=condition.span.cover(numeric.span), children=(condition, numeric))
    before, after = conditions[:bound_at], conditions[bound_at + 1 :]
    binder_span = span_at(binder.char_start, binder.char_end)
    if before and after:
        # "B, A with T or C": where "with" ends and what it binds are both unsure; only "A with T" decides alone
        unsure: Node = not_understood(state, binder_span, _MIDDLE_REASON)
    elif after:
        unsure = Any_(span=condition.span.cover(binder_span), children=(condition, _doubt(state, binder_span)))
    else:
        unsure = Any_(span=binder_span.cover(numeric.span), children=(_doubt(state, binder_span), numeric))
    others = any_of([*before, *after])
    rest = All(span=others.span.cover(unsure.span), children=(others, unsure))
    ordered = sorted((pair, rest), key=lambda n: n.span.start)
    return Any_(span=cover([n.span for n in ordered]) or pair.span, children=tuple(ordered))


def with_bound_threshold_and(state: BuildState, presences: list[Node]) -> Node | None:
    """ "A with T and B" (or "A with T, B") read where the list's items are alternatives (an exclusion, a negation
    before the list), or None when not written so. Which words "with" binds is not written: "A with T and B" asks
    all(A, T, B), "(A with T) and B" lists two items, each of which excludes (any(all(A, T), B)). The reading
    decides only where both agree: any(all(A, T, B), all(A, T, unknown), all(any(B), unknown)): A with T and B
    meets it, neither A with T nor B fails it, and either alone is unknown (needs review)."""
    numeric = state.numeric
    if not isinstance(numeric, Comparison | ReferenceMultiple | Range) or len(presences) < 2:
        return None
    conditions = sorted(presences, key=lambda n: n.span.start)
    if not all(isinstance(child, Presence) for child in conditions) or not _plain_threshold(state, numeric):
        return None
    document = state.document
    spans = [_concept_span(child) for child in conditions]
    binders = [p for p in state.prose if "WITH" in p.kinds]
    if len(binders) != 1 or not _leads_to(state, binders[0], numeric.span.start):
        return None
    bound_at = next((k for k, span in enumerate(spans) if not document[span.end : binders[0].char_start].strip()), None)
    if bound_at is None:
        return None
    if not _joined_by_and(state, [*spans[:bound_at], spans[bound_at].cover(numeric.span), *spans[bound_at + 1 :]]):
        return None
    condition = conditions[bound_at]
    others = any_of([*conditions[:bound_at], *conditions[bound_at + 1 :]])
    doubt = not_understood(state, span_at(binders[0].char_start, binders[0].char_end), _AND_REASON)
    ordered = sorted((*conditions, numeric), key=lambda n: n.span.start)
    every = All(span=cover([n.span for n in ordered]) or condition.span, children=tuple(ordered))
    pair = All(span=condition.span.cover(numeric.span), children=(condition, numeric, doubt))
    rest = All(span=others.span.cover(doubt.span), children=(others, doubt))
    return Any_(span=every.span, children=(every, pair, rest))


def with_threshold(state: BuildState, condition: Node) -> Node | None:
    """all(A, T) for a condition followed right by "with" and a plain threshold ("hepatitis with ALT > 3 x ULN"),
    the words after the threshold none of meaning; None when not written so."""
    numeric = state.numeric
    if not isinstance(numeric, Comparison | ReferenceMultiple | Range) or not isinstance(condition, Presence):
        return None
    if not _plain_threshold(state, numeric):
        return None
    span = _concept_span(condition)
    binders = [p for p in state.prose if "WITH" in p.kinds]
    if len(binders) != 1 or state.document[span.end : binders[0].char_start].strip():
        return None
    if not _leads_to(state, binders[0], numeric.span.start):
        return None
    after = _pieces(state, max(numeric.span.end, condition.span.end), len(state.document))
    if any(is_content(p) or "CONJ" in p.kinds for p in after):
        return None
    return All(span=condition.span.cover(numeric.span), children=(condition, numeric))


def _doubt(state: BuildState, span: Span) -> Node:
    return not_understood(state, span, _REASON)


def _plain_threshold(state: BuildState, numeric: Node) -> bool:
    """A threshold with every word inside it read ("ALT > 3 x ULN", not "MMSE exam score < 24")."""
    inside = [p for p in state.prose if numeric.span.start <= p.char_start and p.char_end <= numeric.span.end]
    return not any(is_content(p) and not state.taken(p) for p in inside)


def _leads_to(state: BuildState, binder: Piece, start: int) -> bool:
    """Only words no reader took and that name nothing stand between "with" and the threshold."""
    if binder.char_end > start:
        return False
    between = _pieces(state, binder.char_end, start)
    return all(not state.taken(p) and "CONCEPT" not in p.kinds and "CONJ" not in p.kinds for p in between)


def _before_condition(document: str, piece: Piece, spans: list[Span]) -> bool:
    return any(span.start >= piece.char_end and not document[piece.char_end : span.start].strip() for span in spans)


def _concept_span(node: Node) -> Span:
    """A condition's own words, without the window it shares with the others."""
    return node.concept.span if isinstance(node, Presence) else node.span


def _joined_by_or(state: BuildState, spans: list[Span]) -> bool:
    """Between each two items only commas and "or" (at least one "or", after the last comma), nothing else read or
    unread; nothing of meaning before the first item nor after the last one."""
    ordered = sorted(spans, key=lambda s: s.start)
    if any(a.end > b.start for a, b in pairwise(ordered)):
        return False
    last_or = False
    for a, b in pairwise(ordered):
        gap = _pieces(state, a.end, b.start)
        if not gap or any(not _joint(p) for p in gap):
            return False
        last_or = any(is_or(p) for p in gap)
    around = [*_pieces(state, 0, ordered[0].start), *_pieces(state, ordered[-1].end, len(state.document))]
    if any(is_or(p) or "CONJ" in p.kinds for p in around):
        return False
    return last_or


def _joined_by_and(state: BuildState, spans: list[Span]) -> bool:
    """Between each two items only commas and "and", nothing else read or unread; nothing of meaning before the
    first item nor after the last one."""
    ordered = sorted(spans, key=lambda s: s.start)
    if any(a.end > b.start for a, b in pairwise(ordered)):
        return False
    for a, b in pairwise(ordered):
        gap = _pieces(state, a.end, b.start)
        if not gap or any(not _and_joint(p) for p in gap):
            return False
    around = [*_pieces(state, 0, ordered[0].start), *_pieces(state, ordered[-1].end, len(state.document))]
    return not any("CONJ" in p.kinds or (is_content(p) and "NEG" not in p.kinds) for p in around)


def _and_joint(piece: Piece) -> bool:
    if piece.text == "," or piece.kinds.get("CONJ") == "and":
        return True
    return "CONJ" not in piece.kinds and not is_content(piece)


def _pieces(state: BuildState, start: int, end: int) -> list[Piece]:
    return [p for p in state.prose if start <= p.char_start and p.char_end <= end]


def _joint(piece: Piece) -> bool:
    if piece.text == ",":
        return True
    if "CONJ" in piece.kinds:
        return is_or(piece)
    return not is_content(piece)
