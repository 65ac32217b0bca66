"""The linter: findings on a parsed protocol (what a machine can and cannot apply, and what looks wrong), its
score, and its renderings (terminal text, JSON, SARIF, HTML)."""

from criteria_nlp.lint.rules import LintReport, lint

__all__ = ["LintReport", "lint"]
