"""Request and response bodies of the service. Responses reuse the library's models (the IR's
:class:`~criteria_nlp.ir.CriteriaDocument`, :class:`~criteria_nlp.lint.LintReport`,
:class:`~criteria_nlp.screen.ScreeningResult`, :class:`.matching.MatchResult`), so the OpenAPI schema is theirs."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from criteria_nlp.ir import CriteriaDocument, Criterion, Diagnostic, Section, Span, Status, render, render_tree

MAX_MATCH_LIMIT = 1_000


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParseRequest(_Request):
    text: str = Field(description="a protocol's eligibility text (sections, numbered or bulleted items)")
    format: Literal["json", "constraints", "text"] = Field(
        default="json",
        description="json: the CriteriaDocument; constraints: the flat numeric-constraint table; "
        "text: each criterion's reading (for the author page)",
    )
    source: str | None = Field(default=None, max_length=500, description="a name for the text (file name, URL)")


class LintRequest(_Request):
    text: str
    format: Literal["json", "sarif"] = Field(default="json", description="json: a LintReport; sarif: SARIF 2.1.0")
    source: str | None = Field(default=None, max_length=500)


class _PatientRequest(_Request):
    patient: dict[str, Any] = Field(description="a FHIR R4 Bundle or the library's own patient JSON")
    index_date: date | None = Field(default=None, description="date the criteria are evaluated at (default today)")
    lookback_months: int = Field(default=12, ge=0, le=1200, description="look-back for measurements")


class ScreenRequest(_PatientRequest):
    protocol: str | None = Field(default=None, description="eligibility text (give this or 'trial')")
    trial: str | None = Field(default=None, max_length=500, description="a trial id of the library")
    defer_not_computable: bool = False

    @model_validator(mode="after")
    def _one_protocol(self) -> ScreenRequest:
        if (self.protocol is None) == (self.trial is None):
            raise ValueError("give exactly one of 'protocol' (text) and 'trial' (a library id)")
        return self


class MatchRequest(_PatientRequest):
    limit: int = Field(default=20, ge=1, le=MAX_MATCH_LIMIT, description="how many ranked trials to return")


class ConstraintRow(BaseModel):
    variable: str | None
    mention: str
    interval: tuple[float | None, bool, float | None, bool] = Field(
        description="[low, low_inclusive, high, high_inclusive]; null is an open end"
    )
    unit: str | None
    reference: str | None
    span: tuple[int, int]


class ConstraintRecord(BaseModel):
    id: str
    section: Section
    text: str
    constraints: list[ConstraintRow]


class ConstraintTable(BaseModel):
    constraints: list[ConstraintRecord]


class Reading(BaseModel):
    """How one criterion was read: its status, a one-line rendering and the tree."""

    id: str
    section: Section
    label: str | None
    span: Span
    status: Status
    reading: str
    tree: list[str]
    diagnostics: tuple[Diagnostic, ...]

    @classmethod
    def of(cls, criterion: Criterion) -> Reading:
        return cls(
            id=criterion.id,
            section=criterion.section,
            label=criterion.label,
            span=criterion.span,
            status=criterion.status,
            reading=render(criterion.expression),
            tree=render_tree(criterion.expression),
            diagnostics=criterion.diagnostics,
        )


class Readings(BaseModel):
    text: str
    criteria: list[Reading]
    diagnostics: tuple[Diagnostic, ...]

    @classmethod
    def of(cls, document: CriteriaDocument) -> Readings:
        return cls(
            text=document.text,
            criteria=[Reading.of(criterion) for criterion in document.criteria],
            diagnostics=document.diagnostics,
        )


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
    trials: int


class TrialSummary(BaseModel):
    id: str
    criteria: int


class ErrorDetail(BaseModel):
    field: str | None = Field(description="where in the request: 'body.patient.entry.0', 'body', a header")
    message: str
    position: int | None = Field(default=None, description="character (or byte, for bad UTF-8) offset in the body")
    line: int | None = None
    column: int | None = None


class ErrorResponse(BaseModel):
    status: int
    message: str
    errors: list[ErrorDetail] = Field(default_factory=list)


def parse_response_model() -> Any:
    return CriteriaDocument | ConstraintTable | Readings
