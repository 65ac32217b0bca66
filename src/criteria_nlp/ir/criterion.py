"""A criterion of a protocol (its text, span, section, expression and status) and the diagnostics on it."""

from __future__ import annotations

from typing import Literal

from criteria_nlp.ir.nodes import Frozen, Node, Section, Span, Status


class Diagnostic(Frozen):
    """Something the parser or a check noticed: ``code`` is a stable rule id (e.g. "unit-unknown")."""

    code: str
    severity: Literal["error", "warning", "info"]
    message: str
    span: Span
    suggestion: str | None = None


class Criterion(Frozen):
    id: str
    section: Section
    label: str | None
    text: str
    span: Span
    expression: Node
    status: Status
    lead_in: str | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
