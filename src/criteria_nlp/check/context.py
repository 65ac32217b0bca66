"""What the check passes share: the lexicon, the criterion's text (spans index it) and the diagnostics found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from criteria_nlp.ir import LEAF_UNDERSTOOD, Diagnostic, Node, Status, nodes_of
from criteria_nlp.knowledge.lexicon import Lexicon


@dataclass
class CheckContext:
    lexicon: Lexicon
    diagnostics: list[Diagnostic] = field(default_factory=list)
    text: str = ""
    # the tree last walked, its nodes and the node types it holds: passes that change nothing return the same
    # object, so one walk serves every pass until one of them rewrites the tree
    _walked: tuple[Node, list[Node], set[type[Any]]] | None = field(default=None, repr=False, compare=False)
    # the nodes of the walked tree of some types (by the tuple of types asked), made once per walk
    _of: dict[tuple[type[Any], ...], list[Node]] = field(default_factory=dict, repr=False, compare=False)

    def _walk(self, node: Node) -> tuple[Node, list[Node], set[type[Any]]]:
        walked = self._walked
        if walked is None or walked[0] is not node:
            found = nodes_of(node)
            walked = self._walked = (node, found, set(map(type, found)))
            self._of.clear()
        return walked

    def nodes(self, node: Node) -> list[Node]:
        """Every node of ``node``'s tree, parents before children (as :func:`criteria_nlp.ir.walk`)."""
        return self._walk(node)[1]

    def types(self, node: Node) -> set[type[Any]]:
        """The node types (``Comparison``, ``Unparsed`` …) in ``node``'s tree."""
        return self._walk(node)[2]

    def of(self, node: Node, types: tuple[type[Any], ...]) -> list[Node]:
        """The nodes of ``node``'s tree whose type is one of ``types``, in :meth:`nodes`' order (most passes read
        a few kinds of node, which most trees do not hold: no look at every node for each pass)."""
        _, found, present = self._walk(node)
        if present.isdisjoint(types):
            return []
        selected = self._of.get(types)
        if selected is None:
            selected = self._of[types] = [item for item in found if type(item) in types]
        return selected

    def status(self, node: Node) -> Status:
        """:func:`criteria_nlp.ir.status_of` of ``node``, from the types of the walk the passes made (the status
        depends only on which kinds of leaf the tree holds): the last pass most often returns the tree it walked."""
        understood = LEAF_UNDERSTOOD
        found = [understood[kind] for kind in self.types(node) if kind in understood]
        if not any(found):
            return "not_computable"
        return "partial" if not all(found) else "computable"
