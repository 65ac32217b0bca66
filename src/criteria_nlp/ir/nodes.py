"""The IR's node models: typed, frozen expression trees with a source span on every node.

A parsed protocol is a :class:`CriteriaDocument` holding :class:`Criterion` objects; each criterion has one
expression, a tree of :data:`Node` values discriminated by their ``kind`` field:

=====================  =====================================================================================
``all`` / ``any``      conjunction / disjunction of children
``not``                negation of one child
``at_least``           at least ``count`` of the children hold (k of n)
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

from functools import lru_cache
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, model_validator

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

    value: FiniteFloat
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
    # the text names something narrower than ``id`` (the words the id leaves out are among ``qualifiers``): "pontine
    # glioma" read as Glioma. Left out of JSON when False, so documents without such a concept read as before.
    broader: bool = Field(default=False, exclude_if=lambda value: not value)
    # other places the clause names the same concept ("SLE (systemic lupus erythematosus)", "clopidogrel,
    # prasugrel or ticagrelor" read as antiplatelets): one presence, every mention kept. Left out of JSON when empty.
    restated: tuple[Span, ...] = Field(default=(), exclude_if=lambda value: not value)


class TemporalWindow(Frozen):
    """When something happened, relative to an anchor (index date when ``anchor`` is None).

    "within 6 months prior to screening": ``max_ago`` = 6 month; "at least 4 weeks before": ``min_ago`` = 4 week.

    ``min_inclusive`` / ``max_inclusive``: whether a record dated exactly ``min_ago`` / ``max_ago`` before the anchor
    is inside the window, where the wording says so ("at least 4 weeks before": ``min_inclusive`` True; "more than
    4 weeks before": False; "within 3 months": ``max_inclusive`` True; "less than 3 months ago": False); None (the
    default, left out of the JSON) where it is not written: the engines leave a record of that day unknown.
    """

    min_ago: Quantity | None = None
    max_ago: Quantity | None = None
    anchor: str | None = None
    span: Span
    min_inclusive: bool | None = Field(default=None, exclude_if=lambda value: value is None)
    max_inclusive: bool | None = Field(default=None, exclude_if=lambda value: value is None)


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


class AtLeast(NodeBase):
    """At least ``count`` of the children hold ("at least 2 of the following: ..."); 1 <= count <= len(children)."""

    kind: Literal["at_least"] = "at_least"
    count: int = Field(ge=1)
    children: tuple[Node, ...]

    @model_validator(mode="after")
    def _count_fits(self) -> AtLeast:
        if self.count > len(self.children):
            raise ValueError(f"at_least needs count <= number of children, got {self.count} of {len(self.children)}")
        return self


class Comparison(NodeBase):
    kind: Literal["comparison"] = "comparison"
    variable: VariableRef
    operator: Operator
    quantity: Quantity
    # when the value must have been measured ("within 14 days prior to enrollment"): the look-back instead of the
    # evaluation's default. Left out of JSON when None, so documents without one read as before.
    window: TemporalWindow | None = Field(default=None, exclude_if=lambda value: value is None)


class Range(NodeBase):
    kind: Literal["range"] = "range"
    variable: VariableRef
    low: Quantity | None
    low_inclusive: bool = True
    high: Quantity | None
    high_inclusive: bool = True
    # when the value must have been measured ("within 14 days prior to enrollment"): the look-back instead of the
    # evaluation's default. Left out of JSON when None, so documents without one read as before.
    window: TemporalWindow | None = Field(default=None, exclude_if=lambda value: value is None)


class ReferenceMultiple(NodeBase):
    """variable OP factor x reference limit, e.g. ALT <= 2.5 x ULN."""

    kind: Literal["reference_multiple"] = "reference_multiple"
    variable: VariableRef
    operator: Operator
    factor: FiniteFloat
    reference: Reference
    # when the value must have been measured ("within 14 days prior to enrollment"): the look-back instead of the
    # evaluation's default. Left out of JSON when None, so documents without one read as before.
    window: TemporalWindow | None = Field(default=None, exclude_if=lambda value: value is None)


# The concepts named inside text that is not read (``Unparsed``, ``NotComputable``) or that only narrows a presence
# (what it required, what it is a reaction to: "allergy to aspirin"): kept so that the ids are not lost (search,
# statistics, the linter), never used to decide. Left out of JSON when empty.
Mentions = Annotated[tuple[ConceptRef, ...], Field(default=(), exclude_if=lambda value: not value)]


class Presence(NodeBase):
    kind: Literal["presence"] = "presence"
    concept: ConceptRef
    window: TemporalWindow | None = None
    concepts: Mentions = ()  # named in ``concept.detail`` ("to aspirin"): never decided on


class Demographic(NodeBase):
    """Age as an interval (in ``unit``, "year" unless written otherwise) or sex."""

    kind: Literal["demographic"] = "demographic"
    attribute: Literal["age", "sex"]
    low: FiniteFloat | None = None
    low_inclusive: bool = True
    high: FiniteFloat | None = None
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
    concepts: Mentions = ()


class Unparsed(NodeBase):
    kind: Literal["unparsed"] = "unparsed"
    text: str
    reason: str
    concepts: Mentions = ()


Node = Annotated[
    Union[  # noqa: UP007 - a discriminated union needs the Union spelling for forward references
        All,
        Any_,
        Not,
        AtLeast,
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


for _model in (All, Any_, Not, AtLeast, Conditional):
    _model.model_rebuild()
