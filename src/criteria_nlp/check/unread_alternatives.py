"""Check pass ``guard_unread_alternatives``: words no reader took after an "or" are an alternative, not a requirement.

"Serum creatinine < 1.5 mg/dL or normal renal scintigraphy" is built as ``all(creatinine < 1.5 mg/dL,
unparsed('normal renal scintigraphy'))`` when no reader understands the second alternative: a creatinine of 2 mg/dL
then fails the criterion, although the scintigraphy may meet it. Where the words between an unparsed child of an
``all`` and the sibling before it end in an alternative connective (``alternative_connective`` in ``words.tsv``:
"or", "and/or"), the two become ``any(sibling, unparsed)``: unknown where the sibling alone is false, decided only
where it is true (and, in an exclusion, never cleared by the sibling alone). A negated sibling takes the unread
words under its negation ("No A or <unread>": ``not any(A, unparsed)``).
"""

from __future__ import annotations

import re

from criteria_nlp.check.context import CheckContext
from criteria_nlp.ir import All, Any_, Node, Not, Unparsed, map_children
from criteria_nlp.knowledge.words import words

_CONNECTIVES = words("alternative_connective")
_ALLS = (All,)
_GAP = re.compile(r"[\s,;]+")


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
    joined = {id(sibling): unread for sibling, unread in pairs}
    taken = {id(unread) for _, unread in pairs}
    children: list[Node] = []
    for child in node.children:
        if id(child) in taken:
            continue
        unread = joined.get(id(child))
        if unread is None:
            children.append(child)
            continue
        children.append(_either(child, unread))
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


def _pairs(node: All, text: str) -> list[tuple[Node, Unparsed]]:
    """(sibling, unparsed) where the words between them are only an alternative connective."""
    found: list[tuple[Node, Unparsed]] = []
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
            found.append((sibling, unread))
            used.add(id(sibling))
    return found
