"""Check pass ``guard_bare_values``: a value written with no comparator is no decision.

"Systolic blood pressure 160 mmHg" in an exclusion is read as ``systolic_bp == 160 mmHg`` ("BP 160/100" as an
equality on both values, "Age 18 years" as ``age in [18, 18] year``): the author surely meant a limit, but whether a
lower or an upper one was not written. Read as an equality, a patient at 180 mmHg is not excluded — a confident wrong
decision. As ``check.guard`` does for a partial reading, each such equality X becomes ``if G then X else U``: G is
the value's words with the reason, U what the value means as a limit, which was not read. The leaf is unknown for
every patient (the rest of the criterion still decides where it can: "age ≥ 18 and hemoglobin 9 g/dL" is false for
a patient of 16), the trace still shows X, and a ``bare-value`` diagnostic names the value and the two readings.

Kept as written, because they are plausible equalities (README "Readings kept as written"):

- an equality whose words hold a comparator (``=``, "equal to", any comparator of ``cues.tsv``, CMP_PRE/CMP_POST);
- a variable on a scale of whole steps: the ``whole_scale`` ids of ``number_names.tsv`` and the variables of kind
  ``score`` in ``variables.tsv`` (ECOG 1, NYHA class II, Child-Pugh B, a stage, a grade);
- a variable the lexicon does not know (no patient value can decide it: it is unknown already).
"""

from __future__ import annotations

import re
from functools import cache

from criteria_nlp.check.context import CheckContext
from criteria_nlp.grammar.names import number_names
from criteria_nlp.ir import (
    Comparison,
    Conditional,
    Demographic,
    Diagnostic,
    Node,
    Range,
    Span,
    Unparsed,
    map_children,
)
from criteria_nlp.text.nlp import load_cues

BARE_REASON = "a value with no comparator: whether it is a lower or an upper limit was not written"
BARE_OTHERWISE = "what the value means as a lower or an upper limit was not read"
BARE_DIAGNOSTIC = "bare-value"
_COMPARATOR_KINDS = ("CMP_PRE", "CMP_POST")
_SCALE_KIND = "score"  # variables.tsv kind of the scales of steps (a score, a class, a stage)


_POINTS = (Comparison, Range, Demographic)  # the nodes :func:`_point` reads


def guard_bare_values(node: Node, context: CheckContext) -> Node:
    """Every equality written with no comparator, on a variable measured on a continuous scale, guarded to unknown."""
    if not any(_bare(item, context) is not None for item in context.of(node, _POINTS)):
        return node
    return _guard(node, context)


def _guard(node: Node, context: CheckContext) -> Node:
    if isinstance(node, Conditional) and is_bare_guard(node):
        return node
    point = _bare(node, context)
    if point is not None:
        span, mention, value = point
        words = span.slice(context.text)
        context.diagnostics.append(_diagnostic(mention, value, span))
        when = Unparsed(span=span, text=words, reason=BARE_REASON)
        otherwise = Unparsed(span=span, text=words, reason=BARE_OTHERWISE)
        return Conditional(span=node.span, when=when, then=node, otherwise=otherwise)
    return map_children(node, lambda child: _guard(child, context))


def is_bare_guard(node: Node) -> bool:
    """Is ``node`` the guard this pass puts around a value written with no comparator?"""
    return (
        isinstance(node, Conditional)
        and isinstance(node.when, Unparsed)
        and node.when.reason == BARE_REASON
        and isinstance(node.otherwise, Unparsed)
    )


def _bare(node: Node, context: CheckContext) -> tuple[Span, str, str] | None:
    """The words, the variable as written and the value of an equality (``==``, or an interval of one point) on a
    continuous variable whose words hold no comparator; None for any other node."""
    point = _point(node)
    if point is None or not context.text:
        return None
    variable_id, span, mention, value = point
    if not _continuous(variable_id, context) or span.end > len(context.text):
        return None
    words = span.slice(context.text)
    return None if _comparators().search(words) else (span, mention, value)


def _point(node: Node) -> tuple[str | None, Span, str, str] | None:
    """Variable id, words (the node's and its variable's), variable as written and value of an equality leaf."""
    if isinstance(node, Comparison) and node.operator == "==":
        return node.variable.id, node.span.cover(node.variable.span), node.variable.mention, str(node.quantity)
    if not isinstance(node, Range | Demographic) or not (node.low_inclusive and node.high_inclusive):
        return None
    if isinstance(node, Range) and node.low is not None and node.high is not None and node.low == node.high:
        return node.variable.id, node.span.cover(node.variable.span), node.variable.mention, str(node.low)
    if isinstance(node, Demographic) and node.attribute == "age" and node.low is not None and node.low == node.high:
        value = f"{node.low:g} {node.unit}" if node.unit else f"{node.low:g}"
        return "age", node.span, "age", value
    return None


def _continuous(variable_id: str | None, context: CheckContext) -> bool:
    """A variable the lexicon knows that is not measured in whole steps."""
    if variable_id is None or variable_id in number_names().whole_scale:
        return False
    variable = context.lexicon.variables.get(variable_id)
    return variable is not None and variable.kind != _SCALE_KIND


@cache
def _comparators() -> re.Pattern[str]:
    """The comparators of ``cues.tsv`` (words on word boundaries, signs anywhere), longest first."""
    phrases = sorted({cue.phrase for cue in load_cues() if cue.kind in _COMPARATOR_KINDS}, key=lambda p: (-len(p), p))
    parts = []
    for phrase in phrases:
        body = r"\s*".join(re.escape(word) for word in phrase.split())
        before = r"(?<!\w)" if phrase[0].isalnum() else ""
        after = r"(?!\w)" if phrase[-1].isalnum() else ""
        parts.append(before + body + after)
    return re.compile("|".join(parts), re.IGNORECASE)


def _diagnostic(mention: str, value: str, span: Span) -> Diagnostic:
    return Diagnostic(
        code=BARE_DIAGNOSTIC,
        severity="warning",
        message=f"{mention} {value} is written with no comparator: whether it is a lower or an upper limit was "
        "not written, so it decides no patient",
        span=span,
        suggestion=f"'{mention} ≥ {value}' or '{mention} ≤ {value}'",
    )
