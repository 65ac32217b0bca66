"""The rule registry: a lint rule is one function with its metadata beside it.

A rule function receives a context (:class:`~criteria_nlp.lint.context.CriterionContext` for one criterion, or
:class:`~criteria_nlp.lint.context.DocumentContext` for rules across criteria) and yields :class:`Hit` objects;
the decorators :func:`criterion_rule` and :func:`document_rule` turn it into a :class:`Rule`, which the rule
modules' package (:mod:`criteria_nlp.lint.rules`) collects into ``RULES``. The linter turns hits into findings
(adding the rule's id, name, category, severity and the region of the span) and drops repeats of one rule on one
span.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from criteria_nlp.lint.context import CriterionContext, DocumentContext
from criteria_nlp.lint.model import Category, Hit, Severity

CATEGORY_ORDER: dict[str, int] = {"ambiguity": 0, "logic": 1, "units": 2, "not-understood": 3}


CriterionCheck = Callable[[CriterionContext], Iterable[Hit]]
DocumentCheck = Callable[[DocumentContext], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """One lint rule: ``id`` is stable ("A001"), ``name`` a kebab-case handle ("unit-missing"); exactly one of
    ``check`` (run on every criterion) and ``check_document`` (run once, across criteria) is set."""

    id: str
    name: str
    category: Category
    severity: Severity
    description: str
    example: str
    fix: str | None = None
    check: CriterionCheck | None = field(default=None, repr=False, compare=False)
    check_document: DocumentCheck | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        return f"{self.id} {self.name}"

    @property
    def order(self) -> tuple[int, str]:
        """Rules are listed (and numbered in SARIF) by category, then id."""
        return CATEGORY_ORDER[self.category], self.id


def criterion_rule(
    id: str,
    name: str,
    category: Category,
    severity: Severity,
    *,
    description: str,
    example: str,
    fix: str | None = None,
) -> Callable[[CriterionCheck], Rule]:
    """Register a rule run on each criterion."""

    def register(check: CriterionCheck) -> Rule:
        return Rule(id, name, category, severity, description, example, fix, check=check)

    return register


def document_rule(
    id: str,
    name: str,
    category: Category,
    severity: Severity,
    *,
    description: str,
    example: str,
    fix: str | None = None,
) -> Callable[[DocumentCheck], Rule]:
    """Register a rule run once per document (across criteria, or on the document's own diagnostics)."""

    def register(check: DocumentCheck) -> Rule:
        return Rule(id, name, category, severity, description, example, fix, check_document=check)

    return register


def collect(*modules: object) -> tuple[Rule, ...]:
    """The rules defined in ``modules``, in :attr:`Rule.order`; two rules with one id or one name fail loudly."""
    defined = {id(value): value for module in modules for value in vars(module).values() if isinstance(value, Rule)}
    found = sorted(defined.values(), key=lambda rule: rule.order)
    for attribute in ("id", "name"):
        keys = [getattr(rule, attribute) for rule in found]
        if len(keys) != len(set(keys)):
            raise ValueError(f"lint rules share an {attribute}: {sorted(k for k in keys if keys.count(k) > 1)}")
    return tuple(found)


__all__ = ["CATEGORY_ORDER", "Rule", "collect", "criterion_rule", "document_rule"]
