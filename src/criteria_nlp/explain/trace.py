"""The explanation trace as data, and its renderings (text for terminals, JSON, self-contained HTML).

Evaluating an expression returns a :class:`TraceNode` tree that mirrors the expression tree: each node carries its
outcome, one plain sentence ("creatinine 132 µmol/L (2026-10-02) = 1.49 mg/dL; 2 × ULN = 2.40 mg/dL (reference
range of the observation); 1.49 > 2.40 is false"), the evidence it read (resource id, value, unit, date, reference
range), each unit conversion applied, the threshold compared against, whether anything was assumed (a default
reference range, a unit the protocol left out), and what data would decide it when the outcome is unknown.
"""

from __future__ import annotations

import html
import json
import shutil
import textwrap
from collections.abc import Iterable, Sequence
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


_ANSI = {Truth.TRUE: "\033[32m", Truth.FALSE: "\033[31m", Truth.UNKNOWN: "\033[33m"}
_RESET = "\033[0m"


def outcome_word(outcome: Truth, colour: bool = False) -> str:
    word = outcome.value.upper()
    return f"{_ANSI[outcome]}{word}{_RESET}" if colour else word


def render_text(
    trace: TraceNode | Sequence[TraceNode],
    *,
    colour: bool = False,
    width: int | None = None,
    evidence: bool = True,
) -> str:
    """An indented tree, one node a line with its sentence wrapped under it; fits ``width`` (the terminal's)."""
    columns = width or min(shutil.get_terminal_size((100, 24)).columns, 120)
    nodes = [trace] if isinstance(trace, TraceNode) else list(trace)
    lines: list[str] = []
    for node in nodes:
        _text_lines(node, 0, columns, colour, evidence, lines)
    return "\n".join(lines)


def _text_lines(node: TraceNode, depth: int, columns: int, colour: bool, evidence: bool, lines: list[str]) -> None:
    indent = "  " * depth
    word = outcome_word(node.outcome, colour)
    pad = " " * (7 - len(node.outcome.value))
    head = f"{indent}{word}{pad} {node.label}"
    visible = len(indent) + 8 + len(node.label)
    if visible > columns:
        head = head[: len(head) - (visible - columns) - 1] + "…"
    lines.append(head)
    detail_indent = indent + "    "
    body = node.sentence + (" [assumed]" if node.assumed else "")
    if body and body != node.label:
        lines.extend(
            textwrap.wrap(body, max(columns, 40), initial_indent=detail_indent, subsequent_indent=detail_indent)
        )
    if evidence:
        for item in node.evidence:
            lines.extend(
                textwrap.wrap(
                    "evidence: " + item.describe(),
                    max(columns, 40),
                    initial_indent=detail_indent,
                    subsequent_indent=detail_indent + "  ",
                )
            )
    for missing in node.missing:
        lines.extend(textwrap.wrap("missing: " + missing, max(columns, 40), initial_indent=detail_indent))
    for child in node.children:
        _text_lines(child, depth + 1, columns, colour, evidence, lines)


def trace_data(trace: TraceNode) -> dict[str, Any]:
    return trace.model_dump(mode="json")


def render_json(trace: TraceNode | Sequence[TraceNode], *, indent: int | None = 2) -> str:
    if isinstance(trace, TraceNode):
        return json.dumps(trace_data(trace), indent=indent, ensure_ascii=False)
    return json.dumps([trace_data(node) for node in trace], indent=indent, ensure_ascii=False)


_HTML_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
ul.trace { list-style: none; padding-left: 1.2em; border-left: 1px solid #ddd; }
.outcome { font-weight: bold; font-family: monospace; padding: 0 0.3em; border-radius: 3px; }
.true { background: #d7f5dd; color: #135c22; } .false { background: #f9d8d8; color: #8a1c1c; }
.unknown { background: #fbefc7; color: #6b5200; }
.label { font-family: monospace; } .sentence { color: #444; margin: 0.1em 0 0.3em 0; }
.evidence, .missing { font-size: 0.9em; color: #555; } .assumed { font-style: italic; color: #a05a00; }
"""


def render_html(
    trace: TraceNode | Sequence[TraceNode], *, title: str = "Screening explanation", fragment: bool = False
) -> str:
    """A self-contained HTML page (inline CSS, no scripts); every piece of text is HTML-escaped."""
    nodes = [trace] if isinstance(trace, TraceNode) else list(trace)
    body = "".join(_html_list([node]) for node in nodes)
    if fragment:
        return body
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_HTML_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def _html_list(nodes: Sequence[TraceNode]) -> str:
    items = []
    for node in nodes:
        outcome = node.outcome.value
        parts = [
            f'<span class="outcome {outcome}">{html.escape(outcome.upper())}</span> ',
            f'<span class="label">{html.escape(node.label)}</span>',
            f'<div class="sentence">{html.escape(node.sentence)}',
            ' <span class="assumed">(assumed)</span>' if node.assumed else "",
            "</div>",
        ]
        for item in node.evidence:
            parts.append(f'<div class="evidence">evidence: {html.escape(item.describe())}</div>')
        for missing in node.missing:
            parts.append(f'<div class="missing">missing: {html.escape(missing)}</div>')
        if node.children:
            parts.append(_html_list(node.children))
        items.append("<li>" + "".join(parts) + "</li>")
    return '<ul class="trace">' + "".join(items) + "</ul>"
