"""Trace nodes of the evaluation: one per IR node, labelled with the node's rendering."""

from __future__ import annotations

from criteria_nlp.evaluate.plan import Review
from criteria_nlp.explain.trace import Evidence, TraceNode, trace_node
from criteria_nlp.ir import Node, render
from criteria_nlp.ir.logic import Truth

_LABELS: dict[int, tuple[Node, str]] = {}


def label(node: Node) -> str:
    """``ir.render(node)``, cached: labels are rendered once per node, not once per patient."""
    cached = _LABELS.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    if len(_LABELS) > 50_000:
        _LABELS.clear()
    text = render(node)
    _LABELS[id(node)] = (node, text)
    return text


def trace(
    node: Node,
    outcome: Truth,
    sentence: str,
    *,
    label_text: str | None = None,
    evidence: tuple[Evidence, ...] = (),
    conversions: tuple[str, ...] = (),
    threshold: str | None = None,
    assumed: bool = False,
    missing: tuple[str, ...] = (),
    children: tuple[TraceNode, ...] = (),
) -> TraceNode:
    return trace_node(
        kind=node.kind,
        label=label_text if label_text is not None else label(node),
        span=node.span,
        outcome=outcome,
        sentence=sentence,
        evidence=evidence,
        conversions=conversions,
        threshold=threshold,
        assumed=assumed,
        missing=missing,
        children=children,
    )


def review_trace(node: Node, review: Review) -> TraceNode:
    """The trace of a leaf its plan cannot decide: UNKNOWN, with the reason."""
    return trace(node, Truth.UNKNOWN, review.reason, threshold=review.threshold, missing=review.missing)
