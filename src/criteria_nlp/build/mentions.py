"""The concepts named inside text the builder does not read, kept on the node that holds the text.

An ``unparsed`` node (leftover words, an exception or a permission kept as text, a clause nothing was understood
of) and a ``not_computable`` node ("willing to stop aspirin") often name conditions, drugs and procedures the
lexicon or the terminology recognised. Their ids are kept in the node's ``concepts`` so that the IR does not lose
them (search, statistics, the linter's unknown-term counts); the engine never decides from them: the node stays
unknown (or not computable) as before.

A concept read as the modifier of the word after it ("anti-epileptic medication", "non-malignant illness") is not
named by the text and is not kept (the prefixes reader took it).
"""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.build.state import Ledger
from criteria_nlp.grammar import Piece
from criteria_nlp.ir import ConceptRef, Node, NotComputable, Unparsed, map_children, nodes_of
from criteria_nlp.knowledge.lexicon import Lexicon

_MODIFIER_READER = "prefixes"
_HOLDERS = (Unparsed, NotComputable)


def carry_mentions(node: Node, pieces: Sequence[Piece], ledger: Ledger, lexicon: Lexicon) -> Node:
    """``node`` with every ``unparsed`` and ``not_computable`` node holding the concepts named inside its span."""
    named = [p for p in pieces if "CONCEPT" in p.kinds and _named(p, ledger)]
    if not named:
        return node  # no concept to hold (asked first: a look at the pieces costs less than a walk of the tree)
    holders = [item for item in nodes_of(node) if isinstance(item, _HOLDERS)]
    if not holders:
        return node  # nothing to hold them: the tree is not rebuilt node by node for nothing
    if not any(h.span.start <= p.char_start and p.char_end <= h.span.end for h in holders for p in named):
        return node  # no holder names one: nothing changes
    return _carry(node, named, lexicon)


def _named(piece: Piece, ledger: Ledger) -> bool:
    entry = ledger.entries.get(piece.index)
    return entry is None or entry[1] != _MODIFIER_READER


def _carry(node: Node, named: list[Piece], lexicon: Lexicon) -> Node:
    if isinstance(node, Unparsed | NotComputable):
        inside = tuple(
            mention_of(p, lexicon) for p in named if node.span.start <= p.char_start and p.char_end <= node.span.end
        )
        return node.model_copy(update={"concepts": inside}) if inside else node
    return map_children(node, lambda child: _carry(child, named, lexicon))


def mention_of(piece: Piece, lexicon: Lexicon) -> ConceptRef:
    """The concept a piece names, as written: the lexicon's category or the terminology's (``TERM``), and the words
    its id leaves out (``BROADER``) as qualifiers of a broader reading."""
    concept_id = piece.kinds["CONCEPT"]
    concept = lexicon.concepts.get(concept_id)
    category = concept.category if concept is not None else piece.kinds.get("TERM", "condition")
    if category not in ("condition", "state", "medication", "procedure"):
        category = "other"
    narrower = piece.kinds.get("BROADER")
    return ConceptRef(
        id=concept_id,
        mention=piece.text,
        span=piece.span,
        category=category,
        qualifiers=tuple(narrower.split()) if narrower else (),
        broader=narrower is not None,
    )
