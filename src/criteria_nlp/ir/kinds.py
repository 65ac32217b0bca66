"""One registry of node kinds: everything the rest of the package needs to know about a kind, in one place.

Each :class:`Kind` says how to reach a node's children and rebuild it with new ones, how to render it (one line and
as a tree), how each child bears on its truth (:data:`Role`, read by the linter), how its children's truth values
combine (containers; read by the engine and by the SQL backends) and which children decided an outcome (read by
the explanation). Leaves say whether patient data can decide them (the criterion's status).

Adding a node kind: its model in :mod:`criteria_nlp.ir.nodes` (and the ``Node`` union), and its :class:`Kind` here.
Code elsewhere dispatches through :func:`kind_of`; a node whose kind is not registered fails loudly
(:class:`UnknownKindError`), never silently as a leaf.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, get_args

from criteria_nlp.ir.logic import TRUTHS, Truth, all_of, any_of, at_least_of, conditional
from criteria_nlp.ir.nodes import (
    All,
    Any_,
    AtLeast,
    Comparison,
    Conditional,
    Demographic,
    Node,
    Not,
    NotComputable,
    Presence,
    Range,
    ReferenceMultiple,
    Status,
    TemporalWindow,
    Unparsed,
)

Role = Literal["and", "or", "some", "not", "when", "then", "otherwise"]
"""How a child bears on its parent's truth: ``and`` (every such child must hold), ``or`` (any one suffices),
``some`` (k of n: neither alone), ``not`` (negated), and the three parts of a conditional."""


class UnknownKindError(TypeError):
    """A node whose kind has no entry in :data:`KINDS`."""


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    model: type[Any]
    children: Callable[[Any], tuple[Node, ...]]
    rebuild: Callable[[Any, tuple[Node, ...]], Node]
    render: Callable[[Any], str]
    # containers only: the header lines of the tree rendering, each with the children listed under it
    tree: Callable[[Any], list[tuple[str, tuple[Node, ...]]]] | None = None
    roles: Callable[[Any], tuple[Role, ...]] | None = None
    # containers only: the outcome from the children's outcomes, with why in words, and the trace label
    combine: Callable[[Any, Sequence[Truth]], tuple[Truth, str]] | None = None
    label: Callable[[Any], str] | None = None
    # containers only: the positions of the children that decided ``outcome`` (from the outcomes alone, so that a
    # trace can be explained without its node)
    deciding: Callable[[Truth, Sequence[Truth]], tuple[int, ...]] | None = None
    understood: bool = True  # leaves: patient data can decide it (unparsed and not computable cannot)

    @property
    def is_leaf(self) -> bool:
        return self.combine is None


def _none(node: Any) -> tuple[Node, ...]:
    return ()


def _same(node: Any, children: tuple[Node, ...]) -> Node:
    if children:
        raise ValueError(f"a {node.kind} node has no children")
    return node  # type: ignore[no-any-return]


def _tally(kind: str, outcomes: Sequence[Truth], outcome: Truth) -> str:
    counts = dict.fromkeys(TRUTHS, 0)
    for value in outcomes:
        counts[value] += 1
    tally = ", ".join(f"{counts[t]} {t.value}" for t in TRUTHS if counts[t])
    return f"{kind} of {len(outcomes)} ({tally or 'none'}) is {outcome.value}"


def _matching(outcome: Truth, outcomes: Sequence[Truth]) -> tuple[int, ...]:
    """The children whose outcome is the node's; all of them when none is."""
    chosen = tuple(i for i, value in enumerate(outcomes) if value is outcome)
    return chosen or tuple(range(len(outcomes)))


# --- containers ---------------------------------------------------------------------------------------------------


def _all_combine(node: All, outcomes: Sequence[Truth]) -> tuple[Truth, str]:
    outcome = all_of(outcomes)
    return outcome, _tally("all", outcomes, outcome)


def _any_combine(node: Any_, outcomes: Sequence[Truth]) -> tuple[Truth, str]:
    outcome = any_of(outcomes)
    return outcome, _tally("any", outcomes, outcome)


def _all_deciding(outcome: Truth, outcomes: Sequence[Truth]) -> tuple[int, ...]:
    return tuple(range(len(outcomes))) if outcome is Truth.TRUE else _matching(outcome, outcomes)


def _any_deciding(outcome: Truth, outcomes: Sequence[Truth]) -> tuple[int, ...]:
    return tuple(range(len(outcomes))) if outcome is Truth.FALSE else _matching(outcome, outcomes)


def _at_least_combine(node: AtLeast, outcomes: Sequence[Truth]) -> tuple[Truth, str]:
    outcome = at_least_of(node.count, outcomes)
    return outcome, _tally(f"at least {node.count}", outcomes, outcome)


def _at_least_roles(node: AtLeast) -> tuple[Role, ...]:
    role: Role = "and" if node.count == len(node.children) else "or" if node.count == 1 else "some"
    return (role,) * len(node.children)


def _repeat(role: Role) -> Callable[[Any], tuple[Role, ...]]:
    return lambda node: (role,) * len(node.children)


def _conditional_roles(node: Conditional) -> tuple[Role, ...]:
    return ("when", "then", "otherwise") if node.otherwise is not None else ("when", "then")


def _not_combine(node: Not, outcomes: Sequence[Truth]) -> tuple[Truth, str]:
    outcome = ~outcomes[0]
    return outcome, f"not {outcomes[0].value} is {outcome.value}"


def _conditional_children(node: Conditional) -> tuple[Node, ...]:
    return (node.when, node.then) + ((node.otherwise,) if node.otherwise is not None else ())


def _conditional_rebuild(node: Conditional, children: tuple[Node, ...]) -> Node:
    when, then, *rest = children
    otherwise = rest[0] if rest else None
    if when is node.when and then is node.then and otherwise is node.otherwise:
        return node
    return node.model_copy(update={"when": when, "then": then, "otherwise": otherwise})


def _conditional_combine(node: Conditional, outcomes: Sequence[Truth]) -> tuple[Truth, str]:
    otherwise = outcomes[2] if node.otherwise is not None else Truth.TRUE
    outcome, why = conditional(outcomes[0], outcomes[1], otherwise)
    if outcomes[0] is Truth.FALSE:
        why += ", so the alternative applies" if node.otherwise is not None else ", so the rule is met"
    return outcome, f"{why}: {outcome.value}"


def _conditional_deciding(outcome: Truth, outcomes: Sequence[Truth]) -> tuple[int, ...]:
    if outcomes[0] is Truth.TRUE:
        return (0, 1)
    if outcomes[0] is Truth.FALSE:
        return (0, *range(2, len(outcomes)))
    return tuple(range(len(outcomes)))


def _conditional_tree(node: Conditional) -> list[tuple[str, tuple[Node, ...]]]:
    parts: list[tuple[str, tuple[Node, ...]]] = [("if", (node.when,)), ("then", (node.then,))]
    if node.otherwise is not None:
        parts.append(("else", (node.otherwise,)))
    return parts


def _rebuild_children(node: Any, children: tuple[Node, ...]) -> Node:
    if len(children) == len(node.children) and all(a is b for a, b in zip(children, node.children, strict=True)):
        return node  # type: ignore[no-any-return]
    return node.model_copy(update={"children": children})  # type: ignore[no-any-return]


def _not_rebuild(node: Not, children: tuple[Node, ...]) -> Node:
    (child,) = children
    return node if child is node.child else node.model_copy(update={"child": child})


# --- leaves -------------------------------------------------------------------------------------------------------


def _render_range(node: Range) -> str:
    low = "(" if not node.low_inclusive else "["
    high = ")" if not node.high_inclusive else "]"
    lo = f"{node.low}" if node.low is not None else "-inf"
    hi = f"{node.high}" if node.high is not None else "inf"
    return _windowed(f"{node.variable.name} in {low}{lo}, {hi}{high}", node.window)


def _windowed(text: str, window: TemporalWindow | None) -> str:
    """A threshold with the window its value must be measured in: "hemoglobin >= 9 g/dL within 14 days"."""
    return text if window is None else f"{text} {_window_words(window)}"


def _window_words(window: TemporalWindow) -> str:
    bits = []
    if window.max_ago is not None:
        bits.append(f"within {window.max_ago}")
    if window.min_ago is not None:
        bits.append(f"at least {window.min_ago} ago")
    if window.anchor:
        bits.append(f"before {window.anchor}")
    return " ".join(bits)


def _render_presence(node: Presence) -> str:
    qualifiers = " ".join(node.concept.qualifiers)
    name = node.concept.id or repr(node.concept.mention)
    text = f"present({qualifiers + ' ' if qualifiers else ''}{name}"
    if node.concept.detail:
        text += f"; {node.concept.detail}"
    if node.window is not None:
        text += ", " + _window_words(node.window)
    return text + ")"


def _render_demographic(node: Demographic) -> str:
    if node.attribute == "sex":
        return f"sex == {node.sex}"
    low = "[" if node.low_inclusive else "("
    high = "]" if node.high_inclusive else ")"
    lo = f"{node.low:g}" if node.low is not None else "-inf"
    hi = f"{node.high:g}" if node.high is not None else "inf"
    return f"age in {low}{lo}, {hi}{high} {node.unit or 'year'}"


def _render_conditional(node: Conditional) -> str:
    text = f"if {render(node.when)} then {render(node.then)}"
    if node.otherwise is not None:
        text += f" else {render(node.otherwise)}"
    return text


def _leaf(name: str, model: type[Any], render_leaf: Callable[[Any], str], understood: bool = True) -> Kind:
    return Kind(name, model, _none, _same, render_leaf, understood=understood)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "all",
            All,
            lambda node: node.children,
            _rebuild_children,
            lambda node: "all(" + ", ".join(render(c) for c in node.children) + ")",
            tree=lambda node: [("all", node.children)],
            roles=_repeat("and"),
            combine=_all_combine,
            label=lambda node: "all of",
            deciding=_all_deciding,
        ),
        Kind(
            "any",
            Any_,
            lambda node: node.children,
            _rebuild_children,
            lambda node: "any(" + ", ".join(render(c) for c in node.children) + ")",
            tree=lambda node: [("any", node.children)],
            roles=_repeat("or"),
            combine=_any_combine,
            label=lambda node: "any of",
            deciding=_any_deciding,
        ),
        Kind(
            "at_least",
            AtLeast,
            lambda node: node.children,
            _rebuild_children,
            lambda node: f"at_least({node.count}: " + ", ".join(render(c) for c in node.children) + ")",
            tree=lambda node: [(f"at least {node.count} of", node.children)],
            roles=_at_least_roles,
            combine=_at_least_combine,
            label=lambda node: f"at least {node.count} of",
            deciding=_matching,
        ),
        Kind(
            "not",
            Not,
            lambda node: (node.child,),
            _not_rebuild,
            lambda node: "not " + render(node.child),
            tree=lambda node: [("not", (node.child,))],
            roles=lambda node: ("not",),
            combine=_not_combine,
            label=lambda node: "not",
            deciding=lambda outcome, outcomes: (0,),
        ),
        Kind(
            "conditional",
            Conditional,
            _conditional_children,
            _conditional_rebuild,
            _render_conditional,
            tree=_conditional_tree,
            roles=_conditional_roles,
            combine=_conditional_combine,
            label=lambda node: "if/then",
            deciding=_conditional_deciding,
        ),
        _leaf("comparison", Comparison, lambda n: _windowed(f"{n.variable.name} {n.operator} {n.quantity}", n.window)),
        _leaf("range", Range, _render_range),
        _leaf(
            "reference_multiple",
            ReferenceMultiple,
            lambda n: _windowed(f"{n.variable.name} {n.operator} {n.factor:g} x {n.reference}", n.window),
        ),
        _leaf("presence", Presence, _render_presence),
        _leaf("demographic", Demographic, _render_demographic),
        _leaf("not_computable", NotComputable, lambda n: f"not_computable({n.category})", understood=False),
        _leaf("unparsed", Unparsed, lambda n: f"unparsed({n.text!r})", understood=False),
    )
}

# node classes are not subclassed: a lookup by type is the cheap dispatch on the hot paths (walk, children_of)
_BY_TYPE: dict[type[Any], Kind] = {kind.model: kind for kind in KINDS.values()}
_CHILDREN: dict[type[Any], Callable[[Any], tuple[Node, ...]]] = {k.model: k.children for k in KINDS.values()}
# leaf node classes -> whether patient data can decide them (asked of every node by status_of and the check passes)
LEAF_UNDERSTOOD: Mapping[type[Any], bool] = MappingProxyType(
    {k.model: k.understood for k in KINDS.values() if k.is_leaf}
)


def _check_registry() -> None:
    """Every member of the ``Node`` union has exactly one registered kind (checked at import)."""
    union = get_args(get_args(Node)[0])
    missing = [model.__name__ for model in union if model not in _BY_TYPE]
    if missing or len(union) != len(KINDS):
        raise UnknownKindError(f"node models without a registered kind: {missing or 'count differs'}")


_check_registry()


def kind_of(node: Node) -> Kind:
    """The registry entry of ``node``; an unregistered kind fails loudly."""
    kind = _BY_TYPE.get(type(node))
    if kind is None:
        raise UnknownKindError(f"unknown node kind {getattr(node, 'kind', type(node).__name__)!r}")
    return kind


def children_of(node: Node) -> tuple[Node, ...]:
    children = _CHILDREN.get(type(node))
    if children is None:
        raise UnknownKindError(f"unknown node kind {getattr(node, 'kind', type(node).__name__)!r}")
    return children(node)


def rebuild(node: Node, children: tuple[Node, ...]) -> Node:
    """``node`` with ``children`` in place of its own (same order as :func:`children_of`); the same object when
    every child is the same object."""
    return kind_of(node).rebuild(node, children)


def map_children(node: Node, function: Callable[[Node], Node]) -> Node:
    """``node`` with ``function`` applied to each child: the same object when no child changed (a leaf as it is), so
    a pass that changes nothing builds no frozen node again."""
    children = children_of(node)
    return rebuild(node, tuple(function(child) for child in children)) if children else node


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, parents before children (pre-order, children in order)."""
    stack = [node]
    by_type = _CHILDREN  # children_of inlined: this loop runs over every node of every pass
    while stack:
        current = stack.pop()
        yield current
        children_in = by_type.get(type(current))
        if children_in is None:
            raise UnknownKindError(f"unknown node kind {getattr(current, 'kind', type(current).__name__)!r}")
        children = children_in(current)
        if children:
            stack.extend(reversed(children))


def nodes_of(node: Node) -> list[Node]:
    """Every node of a tree as a list, in :func:`walk`'s order (made without a generator: the check passes and the
    builder ask it of every criterion)."""
    found: list[Node] = []
    stack = [node]
    by_type = _CHILDREN
    while stack:
        current = stack.pop()
        found.append(current)
        children_in = by_type.get(type(current))
        if children_in is None:
            raise UnknownKindError(f"unknown node kind {getattr(current, 'kind', type(current).__name__)!r}")
        children = children_in(current)
        if children:
            stack.extend(reversed(children))
    return found


def is_leaf(node: Node) -> bool:
    return kind_of(node).is_leaf


def leaves(node: Node) -> Iterator[Node]:
    """The leaves of a tree, in order."""
    return (item for item in walk(node) if kind_of(item).is_leaf)


def render(node: Node) -> str:
    """A compact one-line rendering, e.g. ``all(alt > 2 x ULN, ast > 2 x ULN)``."""
    return kind_of(node).render(node)


def render_tree(node: Node, indent: str = "") -> list[str]:
    """A multi-line tree: containers on their own line(s), leaves rendered with :func:`render`."""
    kind = kind_of(node)
    if kind.tree is None:
        return [indent + kind.render(node)]
    lines: list[str] = []
    for header, children in kind.tree(node):
        lines.append(f"{indent}{header}")
        for child in children:
            lines.extend(render_tree(child, indent + "  "))
    return lines


def status_of(expression: Node) -> Status:
    """computable: everything understood; partial: some parts not; not_computable: nothing patient data decides."""
    understood = LEAF_UNDERSTOOD
    found = [understood[type(item)] for item in nodes_of(expression) if type(item) in understood]
    if not any(found):
        return "not_computable"
    return "partial" if not all(found) else "computable"
