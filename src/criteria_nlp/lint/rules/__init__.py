"""The lint rules, one function each with its metadata, in four modules by category; :data:`RULES` collects them.

A new rule is one decorated function in the module of its category (see :mod:`criteria_nlp.lint.registry`).
"""

from __future__ import annotations

from criteria_nlp.lint.registry import Rule, collect
from criteria_nlp.lint.rules import ambiguity, logic, understanding, units

RULES: tuple[Rule, ...] = collect(ambiguity, logic, units, understanding)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def rule(key: str) -> Rule:
    """A rule by id ("A001") or by name ("unit-missing")."""
    found = RULES_BY_ID.get(key) or RULES_BY_NAME.get(key)
    if found is None:
        raise KeyError(key)
    return found


__all__ = ["RULES", "RULES_BY_ID", "RULES_BY_NAME", "Rule", "rule"]
