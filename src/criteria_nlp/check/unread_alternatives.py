"""Check pass ``guard_unread_alternatives``: words no reader took after an "or" are an alternative, not a requirement.

"Serum creatinine < 1.5 mg/dL or normal renal scintigraphy" is built as ``all(creatinine < 1.5 mg/dL,
unparsed('normal renal scintigraphy'))`` when no reader understands the second alternative: a creatinine of 2 mg/dL
then fails the criterion, although the scintigraphy may meet it. Where the words between an unparsed child of an
``all`` and the sibling before it end in an alternative connective (``alternative_connective`` in ``words.tsv``:
"or", "and/or"), the two become ``any(sibling, unparsed)``: unknown where the sibling alone is false, decided only
where it is true (and, in an exclusion, never cleared by the sibling alone). A negated sibling takes the unread
words under its negation ("No A or <unread>": ``not any(A, unparsed)``). A count between the connective and the
unparsed child that no node holds ("T or 3 lesions": the count was read by nobody) is the unread alternative's own.

That "or" may not be at the level of the sibling alone: "A and T or <unread>" is all(A, any(T, U)) or any(all(A,
T), U), and "T or <unread> and B" is all(any(T, U), B) or any(T, all(U, B)). Where a sibling joined by "and" (or a
comma) stands before T or after the unread words, the reading decides only where both agree: the sibling before
becomes any(A, unknown) (A false no longer fails it: U alone may meet it) and the one after any(B, all(T, unknown))
(T without B no longer meets it).
"""

from __future__ import annotations

import re

from criteria_nlp.check.context import CheckContext
from criteria_nlp.ir import All, Any_, Node, Not, Span, Unparsed, map_children
from criteria_nlp.knowledge.words import words

_CONNECTIVES = words("alternative_connective")
_ALLS = (All,)
_GAP = re.compile(r"[\s,;]+")
_NUMERAL = re.compile(r"\d+(?:[.,]\d+)?")  # a count between the connective and the unread words ("or 3 lesions")
_AND_JOINTS = frozenset({"and", ",", ", and"})  # a comma joins as "and" does
_LEVEL_BEFORE = "'A and T or B': whether 'or' joins T alone or 'A and T' to B is not written"
_LEVEL_AFTER = "'T or B and C': whether 'or' joins T to B alone or to 'B and C' is not written"


def guard_unread_alternatives(node: Node, context: CheckContext) -> Node:
    if not any(_pairs(item, context.text) for item in context.of(node, _ALLS) if isinstance(item, All)):
        return node
    return _rewrite(node, context.text)


def _rewrite(node: Node, text: str) -> Node:
    node = map_children(node, lambda child: _rewrite(child, text))
    if not isinstance(node, All):
        return node
    pairs = _pairs(node, text)
    if not pairs:
        return node
    joined = {id(sibling): used for sibling, _, used in pairs}
    taken = {id(unread) for _, unread, _ in pairs}
    unsure = _unsure_levels(node, pairs, text)
    children: list[Node] = []
    for child in node.children:
        if id(child) in taken:
            continue
        unread = joined.get(id(child))
        if unread is not None:
            children.append(_either(child, unread))
        elif id(child) in unsure:
            children.append(unsure[id(child)])
        else:
            children.append(child)
    if len(children) == 1:
        return children[0]
    return node.model_copy(update={"children": tuple(children)})


def _either(read: Node, unread: Unparsed) -> Node:
    """any(read, unread); under a negation the unread alternative is negated with the rest ("No A or <unread>" is
    not any(A, unread): the negation reaches the whole list, never not A alone beside an alternative)."""
    span = read.span.model_copy(update={"end": max(read.span.end, unread.span.end)})
    if isinstance(read, Not):
        return Not(span=span, child=_either(read.child, unread))
    if isinstance(read, Any_):
        return Any_(span=span, children=(*read.children, unread))
    return Any_(span=span, children=(read, unread))


def _unsure_levels(node: All, pairs: list[tuple[Node, Unparsed, Unparsed]], text: str) -> dict[int, Node]:
    """The siblings joined by "and" (or a comma) right before a paired sibling or right after its unread words,
    each rewritten so that the reading decides only where both levels of the "or" agree."""
    rewritten: dict[int, Node] = {}
    paired = {id(n) for pair in pairs for n in pair}
    for sibling, unread, _ in pairs:
        # an unread sibling is unknown either way: nothing to rewrite
        others = [c for c in node.children if id(c) not in paired | rewritten.keys() and not isinstance(c, Unparsed)]
        before = [c for c in others if c.span.end <= sibling.span.start]
        if before:
            earlier = max(before, key=lambda c: c.span.end)
            if _and_joined(text, earlier.span.end, sibling.span.start):
                doubt = _doubt(text, earlier.span.end, sibling.span.start, _LEVEL_BEFORE)
                rewritten[id(earlier)] = Any_(span=earlier.span, children=(earlier, doubt))
        after = [c for c in others if c.span.start >= unread.span.end]
        if after:
            later = min(after, key=lambda c: c.span.start)
            if _and_joined(text, unread.span.end, later.span.start):
                doubt = _doubt(text, unread.span.end, later.span.start, _LEVEL_AFTER)
                alone = All(span=sibling.span, children=(sibling, doubt))
                rewritten[id(later)] = Any_(span=later.span, children=(later, alone))
    return rewritten


def _doubt(text: str, start: int, end: int, reason: str) -> Unparsed:
    span = Span(start=start, end=end)
    stripped = text[start:end].strip() or text[start:end]
    return Unparsed(span=span, text=stripped, reason=reason)


def _pairs(node: All, text: str) -> list[tuple[Node, Unparsed, Unparsed]]:
    """(sibling, unparsed, the unparsed alternative) where the words between them are only an alternative connective
    (the alternative then is the unparsed child), or one and words no node holds (the alternative holds them)."""
    found: list[tuple[Node, Unparsed, Unparsed]] = []
    used: set[int] = set()
    for unread in node.children:
        if not isinstance(unread, Unparsed):
            continue
        before = [c for c in node.children if c is not unread and c.span.end <= unread.span.start]
        if not before:
            continue
        sibling = max(before, key=lambda c: c.span.end)
        if isinstance(sibling, Unparsed) or id(sibling) in used:
            continue
        gap = _GAP.sub(" ", text[sibling.span.end : unread.span.start].lower()).strip()
        if gap in _CONNECTIVES:
            found.append((sibling, unread, unread))
            used.add(id(sibling))
            continue
        start = _own_words(text, sibling.span.end, unread.span.start)
        held = any(c.span.start < unread.span.start and c.span.end > sibling.span.end for c in node.children)
        if start is not None and not held:
            # "T or 3 lesions": the words after the connective no node holds are the unread alternative's
            span = Span(start=start, end=unread.span.end)
            own = unread.model_copy(update={"span": span, "text": text[start : unread.span.end]})
            found.append((sibling, unread, own))
            used.add(id(sibling))
    return found


def _own_words(text: str, start: int, end: int) -> int | None:
    """Where the words after the connective that opens ``text[start:end]`` begin ("or 3" -> the "3"), or None when
    the gap does not open with one or holds another joining word."""
    raw = text[start:end].lower()
    lead = len(raw) - len(raw.lstrip(" \t\n,"))
    for connective in sorted(_CONNECTIVES, key=len, reverse=True):
        after = lead + len(connective)
        if raw.startswith(connective, lead) and after < len(raw) and raw[after].isspace():
            rest = raw[after:]
            words_after = _GAP.sub(" ", rest).split()
            if not words_after or ";" in rest or not all(_NUMERAL.fullmatch(word) for word in words_after):
                return None  # only a count no node took ("or 3 lesions"): other words may be a level of their own
            return start + after + len(rest) - len(rest.lstrip())
    return None


def _and_joined(text: str, start: int, end: int) -> bool:
    """Only "and" or a comma between two siblings: the same sentence joins them as requirements."""
    return re.sub(r"\s+", " ", text[start:end].lower()).strip() in _AND_JOINTS
