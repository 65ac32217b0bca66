"""Running the rules: every criterion rule on every criterion, then every document rule; hits become findings."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from criteria_nlp.ir import CriteriaDocument, Span
from criteria_nlp.knowledge.lexicon import Lexicon, load_lexicon
from criteria_nlp.lint.context import DocumentContext
from criteria_nlp.lint.model import Finding, Hit, LintReport, Region, RelatedLocation
from criteria_nlp.lint.registry import Rule
from criteria_nlp.lint.rules import RULES
from criteria_nlp.lint.score import build_report
from criteria_nlp.lint.words import lint_words

_CRITERION_RULES = tuple((rule, rule.check) for rule in RULES if rule.check is not None)
_DOCUMENT_RULES = tuple((rule, rule.check_document) for rule in RULES if rule.check_document is not None)


class _Positions:
    """Character offsets to 1-based lines and columns."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def point(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1

    def region(self, span: Span) -> Region:
        start_line, start_column = self.point(span.start)
        end_line, end_column = self.point(max(span.end, span.start))
        return Region(start_line=start_line, start_column=start_column, end_line=end_line, end_column=end_column)


class _Findings:
    """Hits as findings; a rule reporting the same span of the same criterion again is dropped (the first wins)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.positions = _Positions(text)
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, int, int, str | None]] = set()

    def add(self, rule: Rule, hits: Iterable[Hit]) -> None:
        for hit in hits:
            criterion_id = hit.criterion.id if hit.criterion else None
            key = (rule.id, hit.span.start, hit.span.end, criterion_id)
            if key in self._seen:
                continue
            self._seen.add(key)
            self.findings.append(self._finding(rule, hit, criterion_id))

    def _finding(self, rule: Rule, hit: Hit, criterion_id: str | None) -> Finding:
        return Finding(
            rule=rule.id,
            name=rule.name,
            category=rule.category,
            severity=rule.severity,
            criterion=criterion_id,
            span=hit.span,
            region=self.positions.region(hit.span),
            text=hit.span.slice(self.text),
            message=hit.message,
            suggestion=hit.suggestion,
            related=tuple(
                RelatedLocation(
                    criterion=other.id if other else None,
                    span=span,
                    region=self.positions.region(span),
                    message=note,
                )
                for other, span, note in hit.related
            ),
        )


def lint(document: CriteriaDocument, *, lexicon: Lexicon | None = None) -> LintReport:
    """Lint a parsed document: findings, a status per criterion and a machine-readability score."""
    context = DocumentContext(document, lexicon or load_lexicon(), lint_words())
    found = _Findings(document.text)
    for criterion in context.criteria:
        for rule, check in _CRITERION_RULES:
            found.add(rule, check(criterion))
    for rule, check_document in _DOCUMENT_RULES:
        found.add(rule, check_document(context))
    return build_report(document, found.findings)


def lint_text(text: str, *, source: str | None = None, lexicon: Lexicon | None = None) -> LintReport:
    """Parse and lint a protocol's eligibility text."""
    from criteria_nlp.pipeline import default_parser

    return lint(default_parser().parse(text, source=source, claims=True), lexicon=lexicon)


__all__ = ["lint", "lint_text"]
