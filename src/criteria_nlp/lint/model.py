"""The linter's output: findings with their rule, severity, span and region; a report per criterion; the score
breakdown and the counts. All frozen pydantic models, so that a report is serialised and validated as JSON
(:func:`lint_report_json_schema`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from criteria_nlp.ir import CriteriaDocument, Criterion, Section, Span

Severity = Literal["error", "warning", "info"]
Category = Literal["ambiguity", "logic", "units", "not-understood"]
LintStatus = Literal["computable", "partial", "not_computable", "not_decidable"]

SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Region(_Frozen):
    """Where a span lies as 1-based lines and columns (columns count Unicode code points; end column exclusive)."""

    start_line: int = Field(ge=1)
    start_column: int = Field(ge=1)
    end_line: int = Field(ge=1)
    end_column: int = Field(ge=1)


class RelatedLocation(_Frozen):
    """Another place a finding refers to (the other criterion of a contradiction)."""

    criterion: str | None
    span: Span
    region: Region
    message: str


class Finding(_Frozen):
    rule: str = Field(description="stable rule id, e.g. 'A001'")
    name: str = Field(description="kebab-case rule name, e.g. 'unit-missing'")
    category: Category
    severity: Severity
    criterion: str | None = Field(description="criterion id (e.g. 'inc-5'), None for document-level findings")
    span: Span = Field(description="character offsets into the document text")
    region: Region
    text: str = Field(description="the text of the span")
    message: str
    suggestion: str | None = Field(default=None, description="a suggested rewrite, where one can be given")
    related: tuple[RelatedLocation, ...] = ()


class UnparsedSpan(_Frozen):
    span: Span
    text: str
    reason: str


class CriterionReport(_Frozen):
    id: str
    section: Section
    label: str | None
    span: Span
    text: str
    status: LintStatus
    points: float | None = Field(description="score points (0-1); None when not decidable by data")
    unparsed: tuple[UnparsedSpan, ...] = ()
    findings: int = Field(description="number of findings on this criterion")


class ScoreBreakdown(_Frozen):
    score: float = Field(ge=0, le=100, description="machine-readability score 0-100")
    readability: float = Field(ge=0, le=100, description="score from the parse status alone, before penalties")
    penalty: float = Field(ge=0, description="points (0-100 scale) lost to ambiguity, logic and unit findings")
    criteria: int
    decidable: int
    computable: int
    partial: int
    not_computable: int
    not_decidable: int = Field(description="criteria no patient data could decide; not part of the score")


class Counts(_Frozen):
    error: int = 0
    warning: int = 0
    info: int = 0
    by_rule: dict[str, int] = Field(default_factory=dict)


class LintReport(_Frozen):
    source: str | None
    score: ScoreBreakdown
    counts: Counts
    criteria: tuple[CriterionReport, ...]
    findings: tuple[Finding, ...]

    def findings_for(self, criterion_id: str) -> list[Finding]:
        return [f for f in self.findings if f.criterion == criterion_id]

    def rule_ids(self, criterion_id: str | None = None) -> set[str]:
        return {f.rule for f in self.findings if criterion_id is None or f.criterion == criterion_id}


def lint_report_json_schema() -> dict[str, Any]:
    return LintReport.model_json_schema()


@dataclass(frozen=True)
class LintedDocument:
    """What the renderers take, one per file: the parsed document, its report and where it was read from."""

    document: CriteriaDocument
    report: LintReport
    uri: str  # the path as given on the command line (or a URI); used in SARIF and as a title


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule found: the criterion it belongs to (None: the whole document), where, why and a rewrite."""

    criterion: Criterion | None
    span: Span
    message: str
    suggestion: str | None = None
    related: tuple[tuple[Criterion | None, Span, str], ...] = ()


__all__ = [
    "SEVERITY_ORDER",
    "Category",
    "Counts",
    "CriterionReport",
    "Finding",
    "Hit",
    "LintReport",
    "LintStatus",
    "LintedDocument",
    "Region",
    "RelatedLocation",
    "ScoreBreakdown",
    "Severity",
    "UnparsedSpan",
    "lint_report_json_schema",
]
