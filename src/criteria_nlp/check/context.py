"""What the check passes share: the lexicon, the criterion's text (spans index it) and the diagnostics found."""

from __future__ import annotations

from dataclasses import dataclass, field

from criteria_nlp.ir import Diagnostic, Node, nodes_of
from criteria_nlp.knowledge.lexicon import Lexicon


@dataclass
class CheckContext:
    lexicon: Lexicon
    diagnostics: list[Diagnostic] = field(default_factory=list)
    text: str = ""
    # the tree last walked and its nodes: passes that change nothing return the same object, so one walk serves
    # every pass until one of them rewrites the tree
    _walked: tuple[Node, list[Node]] | None = field(default=None, repr=False, compare=False)

    def nodes(self, node: Node) -> list[Node]:
        """Every node of ``node``'s tree, parents before children (as :func:`criteria_nlp.ir.walk`)."""
        if self._walked is None or self._walked[0] is not node:
            self._walked = (node, nodes_of(node))
        return self._walked[1]
