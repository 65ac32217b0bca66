"""The explanation trace as data; its renderings live in :mod:`~criteria_nlp.explain.render_text`,
:mod:`~criteria_nlp.explain.render_json` and :mod:`~criteria_nlp.explain.render_html`.

Evaluating an expression returns a :class:`TraceNode` tree that mirrors the expression tree: each node carries its
outcome, one plain sentence ("creatinine 132 µmol/L (2026-10-02) = 1.49 mg/dL; 2 × ULN = 2.40 mg/dL (reference
range of the observation); 1.49 > 2.40 is false"), the evidence it read (resource id, value, unit, date, reference
range), each unit conversion applied, the threshold compared against, whether anything was assumed (a default
reference range, a unit the protocol left out), and what data would decide it when the outcome is unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from criteria_nlp.ir.logic import Truth
from criteria_nlp.ir.nodes import Span


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    """One record the evaluation read. ``reference_range`` is printed as written ("0.6-1.2 mg/dL")."""

    resource_type: str
    resource_id: str
    value: float | None = None
    unit: str | None = None
    text: str | None = None
    date: str | None = None
    reference_range: str | None = None

    def describe(self) -> str:
        parts = [f"{self.resource_type} {self.resource_id}"]
        if self.text:
            parts.append(self.text)
        if self.value is not None:
            parts.append(f"{self.value:g}" + (f" {self.unit}" if self.unit else ""))
        if self.date:
            parts.append(self.date)
        if self.reference_range:
            parts.append(f"ref {self.reference_range}")
        return ", ".join(parts)


class TraceNode(_Frozen):
    """The evaluation of one expression node.

    ``kind`` is the IR node kind, ``label`` a compact rendering of the node, ``span`` its place in the protocol
    text. ``missing`` lists the data that would decide an unknown outcome ("lvef (LOINC 10230-1) within 12 months").
    """

    kind: str
    label: str
    span: Span | None = None
    outcome: Truth
    sentence: str
    evidence: tuple[Evidence, ...] = ()
    conversions: tuple[str, ...] = ()
    threshold: str | None = None
    assumed: bool = False
    missing: tuple[str, ...] = ()
    children: tuple[TraceNode, ...] = ()

    def walk(self) -> Iterable[TraceNode]:
        yield self
        for child in self.children:
            yield from child.walk()


_TRACE_FIELDS = frozenset(TraceNode.model_fields)
_EVIDENCE_FIELDS = frozenset(Evidence.model_fields)


def _unchecked(model: type[BaseModel], fields_set: frozenset[str], values: dict[str, Any]) -> Any:
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(fields_set))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


def trace_node(
    kind: str,
    label: str,
    span: Span | None,
    outcome: Truth,
    sentence: str,
    evidence: tuple[Evidence, ...] = (),
    conversions: tuple[str, ...] = (),
    threshold: str | None = None,
    assumed: bool = False,
    missing: tuple[str, ...] = (),
    children: tuple[TraceNode, ...] = (),
) -> TraceNode:
    """A :class:`TraceNode` from values that are already of the right types, without pydantic validation.

    The rule engine builds several nodes per criterion and patient; skipping validation halves that cost. Every
    argument is typed, and tests check that such a node equals the validated one.
    """
    node: TraceNode = _unchecked(
        TraceNode,
        _TRACE_FIELDS,
        {
            "kind": kind,
            "label": label,
            "span": span,
            "outcome": outcome,
            "sentence": sentence,
            "evidence": evidence,
            "conversions": conversions,
            "threshold": threshold,
            "assumed": assumed,
            "missing": missing,
            "children": children,
        },
    )
    return node


def evidence_item(
    resource_type: str,
    resource_id: str,
    value: float | None = None,
    unit: str | None = None,
    text: str | None = None,
    date: str | None = None,
    reference_range: str | None = None,
) -> Evidence:
    """An :class:`Evidence` from typed values, without validation (see :func:`trace_node`)."""
    item: Evidence = _unchecked(
        Evidence,
        _EVIDENCE_FIELDS,
        {
            "resource_type": resource_type,
            "resource_id": resource_id,
            "value": value,
            "unit": unit,
            "text": text,
            "date": date,
            "reference_range": reference_range,
        },
    )
    return item
