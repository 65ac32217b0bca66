"""The linter: findings on a parsed protocol (what a machine can and cannot apply, and what looks wrong), its
score, and its renderings (terminal text, JSON, SARIF, HTML).

:func:`lint` takes a parsed :class:`~criteria_nlp.ir.CriteriaDocument` and returns a :class:`LintReport`: findings
(each with a stable rule id from :data:`RULES`, a severity, the span in the document, a message and, where possible,
a suggested rewrite), a status per criterion and a machine-readability score with its breakdown. The linter reads
the IR, the criterion text and the lexicon; it never re-parses. Its rules fall into four categories: ambiguity
(``A…``), logic (``L…``), units (``U…``) and not understood (``N…``).

The linter and its rules load on first use: rendering a stored report (the result cache of ``criteria-nlp lint``)
needs only the report's model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from criteria_nlp.lazy import lazy_attributes
from criteria_nlp.lint.model import Finding, LintReport, lint_report_json_schema

if TYPE_CHECKING:
    from criteria_nlp.lint.linter import lint, lint_text
    from criteria_nlp.lint.rules import RULES, RULES_BY_ID, Rule, rule

_LAZY = {
    "lint": "criteria_nlp.lint.linter",
    "lint_text": "criteria_nlp.lint.linter",
    "RULES": "criteria_nlp.lint.rules",
    "RULES_BY_ID": "criteria_nlp.lint.rules",
    "Rule": "criteria_nlp.lint.rules",
    "rule": "criteria_nlp.lint.rules",
}


__getattr__ = lazy_attributes("criteria_nlp.lint", _LAZY, globals())


__all__ = [
    "RULES",
    "RULES_BY_ID",
    "Finding",
    "LintReport",
    "Rule",
    "lint",
    "lint_report_json_schema",
    "lint_text",
    "rule",
]
