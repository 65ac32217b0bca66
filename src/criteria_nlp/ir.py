"""The intermediate representation: typed, frozen expression trees with a source span on every node.

A parsed protocol is a :class:`CriteriaDocument` holding :class:`Criterion` objects; each criterion has one
expression, a tree of :data:`Node` values discriminated by their ``kind`` field:

=====================  =====================================================================================
``all`` / ``any``      conjunction / disjunction of children
``not``                negation of one child
``comparison``         variable OP quantity ("LVEF >= 50 %")
``range``              variable within [low, high] with inclusiveness ("haemoglobin 9-12 g/dL")
``reference_multiple`` variable OP factor x ULN/LLN ("ALT <= 2.5 x ULN")
``presence``           a condition, treatment, procedure or state is present, optionally in a time window
``demographic``        age interval or sex
``conditional``        ``then`` applies when ``when`` holds, ``otherwise`` when it does not
``not_computable``     a criterion no patient data can decide (consent, willingness, judgement)
``unparsed``           text that was not understood, and why
=====================  =====================================================================================

Offsets in :class:`Span` are character offsets into the document text (``doc.text[span.start:span.end]``).
Numbers stay in the unit written in the text; conversion happens at evaluation time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

Section = Literal["inclusion", "exclusion", "unknown"]
Status = Literal["computable", "partial", "not_computable"]
Operator = Literal["<", "<=", ">", ">=", "==", "!="]
Reference = Literal["ULN", "LLN"]
Sex = Literal["female", "male"]

NEGATED_OPERATOR: dict[str, Operator] = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(Frozen):
    start: int = Field(ge=0)
    end: int = Field(ge=0)

    def slice(self, text: str) -> str:
        return text[self.start : self.end]

    def cover(self, other: Span) -> Span:
        return span_at(min(self.start, other.start), max(self.end, other.end))


@lru_cache(maxsize=65536)
def span_at(start: int, end: int) -> Span:
    """``Span(start=start, end=end)``, shared: spans are immutable, and the parser makes the same ones often."""
    return Span(start=start, end=end)


class Quantity(Frozen):
    """A number with the unit as written (``unit``) and its normalised pint spelling (``unit_normalized``)."""

    value: float
    unit: str | None = None
    unit_normalized: str | None = None

    def __str__(self) -> str:
        number = f"{self.value:g}"
        return f"{number} {self.unit}" if self.unit else number


class VariableRef(Frozen):
    """A measurable variable: ``id`` is the lexicon's canonical id (None when unknown), ``mention`` as written.

    ``group`` keeps a group term visible ("transaminase" expanded to ALT and AST).
    """

    id: str | None
    mention: str
    span: Span
    group: str | None = None

    @property
    def name(self) -> str:
        """The id (or the words as written) and, for a member of a group term, the group: ``alt [transaminase]``."""
        base = self.id or repr(self.mention)
        return f"{base} [{self.group}]" if self.group else base


class ConceptRef(Frozen):
    """A condition, state, treatment or procedure: lexicon id (None when unknown) and the words as written."""

    id: str | None
    mention: str
    span: Span
    category: Literal["condition", "state", "medication", "procedure", "other"] = "condition"
    qualifiers: tuple[str, ...] = ()
    detail: str | None = None  # how the diagnosis is defined, as written ("according to ACR 1997 criteria")


class TemporalWindow(Frozen):
    """When something happened, relative to an anchor (index date when ``anchor`` is None).

    "within 6 months prior to screening": ``max_ago`` = 6 month; "at least 4 weeks before": ``min_ago`` = 4 week.
    """

    min_ago: Quantity | None = None
    max_ago: Quantity | None = None
    anchor: str | None = None
    span: Span


class NodeBase(Frozen):
    span: Span


class All(NodeBase):
    kind: Literal["all"] = "all"
    children: tuple[Node, ...]


class Any_(NodeBase):
    kind: Literal["any"] = "any"
    children: tuple[Node, ...]


class Not(NodeBase):
    kind: Literal["not"] = "not"
    child: Node


class Comparison(NodeBase):
    kind: Literal["comparison"] = "comparison"
    variable: VariableRef
    operator: Operator
    quantity: Quantity


class Range(NodeBase):
    kind: Literal["range"] = "range"
    variable: VariableRef
    low: Quantity | None
    low_inclusive: bool = True
    high: Quantity | None
    high_inclusive: bool = True


class ReferenceMultiple(NodeBase):
    """variable OP factor x reference limit, e.g. ALT <= 2.5 x ULN."""

    kind: Literal["reference_multiple"] = "reference_multiple"
    variable: VariableRef
    operator: Operator
    factor: float
    reference: Reference


class Presence(NodeBase):
    kind: Literal["presence"] = "presence"
    concept: ConceptRef
    window: TemporalWindow | None = None


class Demographic(NodeBase):
    """Age as an interval (in ``unit``, "year" unless written otherwise) or sex."""

    kind: Literal["demographic"] = "demographic"
    attribute: Literal["age", "sex"]
    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    high_inclusive: bool = True
    unit: str | None = None
    sex: Sex | None = None


class Conditional(NodeBase):
    kind: Literal["conditional"] = "conditional"
    when: Node
    then: Node
    otherwise: Node | None = None


class NotComputable(NodeBase):
    kind: Literal["not_computable"] = "not_computable"
    category: Literal["consent", "willingness", "judgement", "administrative", "other"]
    text: str


class Unparsed(NodeBase):
    kind: Literal["unparsed"] = "unparsed"
    text: str
    reason: str


Node = Annotated[
    Union[  # noqa: UP007 - a discriminated union needs the Union spelling for forward references
        All,
        Any_,
        Not,
        Comparison,
        Range,
        ReferenceMultiple,
        Presence,
        Demographic,
        Conditional,
        NotComputable,
        Unparsed,
    ],
    Field(discriminator="kind"),
]


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


class CriteriaDocument(Frozen):
    text: str
    source: str | None = None
    criteria: tuple[Criterion, ...]
    diagnostics: tuple[Diagnostic, ...] = ()

    def constraints(self) -> list[dict[str, Any]]:
        """The flat numeric-constraint table: one record per criterion (see README)."""
        from criteria_nlp.constraints import constraint_records

        return constraint_records(self)

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def section(self, section: Section) -> list[Criterion]:
        return [c for c in self.criteria if c.section == section]


for _model in (All, Any_, Not, Conditional):
    _model.model_rebuild()


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, parents before children (pre-order, children in order)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        children = children_of(current)
        if children:
            stack.extend(reversed(children))


def children_of(node: Node) -> tuple[Node, ...]:
    # node classes are not subclassed: comparing types is the cheap test on this hot path
    if type(node) is All or type(node) is Any_:
        return node.children
    if type(node) is Not:
        return (node.child,)
    if type(node) is Conditional:
        return (node.when, node.then) + ((node.otherwise,) if node.otherwise is not None else ())
    return ()


def render(node: Node) -> str:
    """A compact one-line rendering, e.g. ``all(alt > 2 x ULN, ast > 2 x ULN)``."""
    if isinstance(node, All):
        return "all(" + ", ".join(render(c) for c in node.children) + ")"
    if isinstance(node, Any_):
        return "any(" + ", ".join(render(c) for c in node.children) + ")"
    if isinstance(node, Not):
        return "not " + render(node.child)
    if isinstance(node, Comparison):
        return f"{node.variable.name} {node.operator} {node.quantity}"
    if isinstance(node, Range):
        low = "(" if not node.low_inclusive else "["
        high = ")" if not node.high_inclusive else "]"
        lo = f"{node.low}" if node.low is not None else "-inf"
        hi = f"{node.high}" if node.high is not None else "inf"
        return f"{node.variable.name} in {low}{lo}, {hi}{high}"
    if isinstance(node, ReferenceMultiple):
        return f"{node.variable.name} {node.operator} {node.factor:g} x {node.reference}"
    if isinstance(node, Presence):
        qualifiers = " ".join(node.concept.qualifiers)
        name = node.concept.id or repr(node.concept.mention)
        text = f"present({qualifiers + ' ' if qualifiers else ''}{name}"
        if node.concept.detail:
            text += f"; {node.concept.detail}"
        if node.window is not None:
            bits = []
            if node.window.max_ago is not None:
                bits.append(f"within {node.window.max_ago}")
            if node.window.min_ago is not None:
                bits.append(f"at least {node.window.min_ago} ago")
            if node.window.anchor:
                bits.append(f"before {node.window.anchor}")
            text += ", " + " ".join(bits)
        return text + ")"
    if isinstance(node, Demographic):
        if node.attribute == "sex":
            return f"sex == {node.sex}"
        low = "[" if node.low_inclusive else "("
        high = "]" if node.high_inclusive else ")"
        lo = f"{node.low:g}" if node.low is not None else "-inf"
        hi = f"{node.high:g}" if node.high is not None else "inf"
        return f"age in {low}{lo}, {hi}{high} {node.unit or 'year'}"
    if isinstance(node, Conditional):
        text = f"if {render(node.when)} then {render(node.then)}"
        if node.otherwise is not None:
            text += f" else {render(node.otherwise)}"
        return text
    if isinstance(node, NotComputable):
        return f"not_computable({node.category})"
    if isinstance(node, Unparsed):
        return f"unparsed({node.text!r})"
    raise TypeError(f"unknown node kind {type(node).__name__}")


def document_json_schema() -> dict[str, Any]:
    return CriteriaDocument.model_json_schema()


def dump_schema() -> str:
    return json.dumps(document_json_schema(), indent=2)


def render_tree(node: Node, indent: str = "") -> list[str]:
    """A multi-line tree: containers on their own line, leaves rendered with :func:`render`."""
    if isinstance(node, All | Any_):
        lines = [f"{indent}{node.kind}"]
        for child in node.children:
            lines.extend(render_tree(child, indent + "  "))
        return lines
    if isinstance(node, Not):
        return [f"{indent}not", *render_tree(node.child, indent + "  ")]
    if isinstance(node, Conditional):
        lines = [f"{indent}if", *render_tree(node.when, indent + "  "), f"{indent}then"]
        lines.extend(render_tree(node.then, indent + "  "))
        if node.otherwise is not None:
            lines.append(f"{indent}else")
            lines.extend(render_tree(node.otherwise, indent + "  "))
        return lines
    return [indent + render(node)]
