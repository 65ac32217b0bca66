"""A trace as an indented text tree for terminals, optionally coloured."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence

from criteria_nlp.explain.trace import TraceNode
from criteria_nlp.ir.logic import Truth

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
