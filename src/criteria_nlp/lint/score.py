"""The report: findings in order, a status and points per criterion, and the machine-readability score.

Each criterion that patient data could decide earns points by its parse status (computable 1, partial 0.5, not
computable 0) minus a penalty for the worst ambiguity/logic/unit finding on it (error 0.5, warning 0.25, floored
at 0). The score is ``100 * points / decidable criteria``. Criteria that no patient data could decide (consent,
willingness, administrative) are counted separately and left out of the score; a document without any decidable
criterion scores 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from criteria_nlp.ir import CriteriaDocument, Criterion, NotComputable, Unparsed, walk
from criteria_nlp.lint.model import (
    SEVERITY_ORDER,
    Counts,
    CriterionReport,
    Finding,
    LintReport,
    LintStatus,
    ScoreBreakdown,
    UnparsedSpan,
)

STATUS_POINTS: dict[str, float] = {"computable": 1.0, "partial": 0.5, "not_computable": 0.0}
PENALTY: dict[str, float] = {"error": 0.5, "warning": 0.25, "info": 0.0}
PENALISED_CATEGORIES: frozenset[str] = frozenset({"ambiguity", "logic", "units"})


def lint_status(criterion: Criterion) -> LintStatus:
    if criterion.status == "not_computable" and any(isinstance(n, NotComputable) for n in walk(criterion.expression)):
        return "not_decidable"
    return criterion.status


def criterion_points(status: LintStatus, own: Sequence[Finding]) -> float | None:
    """The points a criterion earns, or None when no patient data can decide it."""
    if status == "not_decidable":
        return None
    penalty = max((PENALTY[f.severity] for f in own if f.category in PENALISED_CATEGORIES), default=0.0)
    return max(0.0, STATUS_POINTS[status] - penalty)


def _criterion_report(criterion: Criterion, status: LintStatus, own: Sequence[Finding]) -> CriterionReport:
    return CriterionReport(
        id=criterion.id,
        section=criterion.section,
        label=criterion.label,
        span=criterion.span,
        text=criterion.text,
        status=status,
        points=criterion_points(status, own),
        unparsed=tuple(
            UnparsedSpan(span=n.span, text=n.text, reason=n.reason)
            for n in walk(criterion.expression)
            if isinstance(n, Unparsed)
        ),
        findings=len(own),
    )


def _breakdown(criteria: Sequence[CriterionReport]) -> ScoreBreakdown:
    by_status = Counter(c.status for c in criteria)
    points_total = 0.0
    readability_total = 0.0
    for criterion in criteria:
        if criterion.points is not None:
            points_total += criterion.points
            readability_total += STATUS_POINTS[criterion.status]
    decidable = len(criteria) - by_status["not_decidable"]
    score = round(100 * points_total / decidable, 1) if decidable else 0.0
    readability = round(100 * readability_total / decidable, 1) if decidable else 0.0
    return ScoreBreakdown(
        score=score,
        readability=readability,
        penalty=round(readability - score, 1),
        criteria=len(criteria),
        decidable=decidable,
        computable=by_status["computable"],
        partial=by_status["partial"],
        not_computable=by_status["not_computable"],
        not_decidable=by_status["not_decidable"],
    )


def build_report(document: CriteriaDocument, found: Sequence[Finding]) -> LintReport:
    findings = sorted(found, key=lambda f: (f.span.start, SEVERITY_ORDER[f.severity], f.rule, f.span.end))
    per_criterion: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.criterion is not None:
            per_criterion.setdefault(finding.criterion, []).append(finding)
    criteria = tuple(
        _criterion_report(criterion, lint_status(criterion), per_criterion.get(criterion.id, []))
        for criterion in document.criteria
    )
    severities = Counter(f.severity for f in findings)
    counts = Counts(
        error=severities["error"],
        warning=severities["warning"],
        info=severities["info"],
        by_rule=dict(sorted(Counter(f.rule for f in findings).items())),
    )
    return LintReport(
        source=document.source,
        score=_breakdown(criteria),
        counts=counts,
        criteria=criteria,
        findings=tuple(findings),
    )


__all__ = ["PENALISED_CATEGORIES", "PENALTY", "STATUS_POINTS", "build_report", "criterion_points", "lint_status"]
