"""A criterion of a protocol (its text, span, section, expression and status) and the diagnostics on it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from criteria_nlp.ir.nodes import Frozen, Node, Section, Span, Status


class Claim(Frozen):
    """The builder's ledger: which reader took a piece of the criterion's text, and as what.

    ``reader`` names a reader of :data:`criteria_nlp.build.READERS`; ``role`` what it read the piece as
    ("variable", "comparator", "qualifier", "cue:negation", "concept" ...). Passes and the linter read claims
    instead of scanning the raw text again. Claims are parse-time data: they are not written to the JSON document.
    """

    span: Span
    reader: str
    role: str


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
    claims: SkipJsonSchema[tuple[Claim, ...]] = Field(default=(), exclude=True, repr=False)

    # claims are how the criterion was read, not what it says: a criterion equals its own JSON round trip
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Criterion):
            return NotImplemented
        return _value(self) == _value(other)

    def __hash__(self) -> int:
        return hash(tuple(_value(self).values()))


def _value(criterion: Criterion) -> dict[str, object]:
    return {name: value for name, value in criterion.__dict__.items() if name != "claims"}
