"""How findings name things: operators as symbols, a threshold in a few characters, a variable by its short name."""

from __future__ import annotations

from criteria_nlp.ir import Comparison, Node, Range, ReferenceMultiple
from criteria_nlp.knowledge.lexicon import Lexicon

_SYMBOLS = {"<=": "≤", ">=": "≥", "!=": "≠", "==": "="}


def symbol(operator: str) -> str:
    return _SYMBOLS.get(operator, operator)


def threshold_text(node: Node) -> str:
    if isinstance(node, ReferenceMultiple):
        return f"{symbol(node.operator)} {node.factor:g} × {node.reference}"
    if isinstance(node, Comparison):
        return f"{symbol(node.operator)} {node.quantity}"
    if isinstance(node, Range):
        return f"{node.low}–{node.high}" if node.low and node.high else ""
    return ""


def short_name(variable_id: str, lexicon: Lexicon) -> str:
    """A variable's abbreviation ("ALT") when the lexicon has one, else its name."""
    variable = lexicon.variables.get(variable_id)
    if variable is None:
        return variable_id
    for synonym in variable.synonyms:
        if synonym.isupper() and len(synonym) <= 6 and " " not in synonym:
            return synonym
    return variable.name


__all__ = ["short_name", "symbol", "threshold_text"]
