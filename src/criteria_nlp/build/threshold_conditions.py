"""Conditions of a threshold that the thresholds reader joins as if they were requirements (part of the thresholds
reader, applied by :func:`~criteria_nlp.build.subgroup_scope.for_section`).

* A condition written as a threshold of another variable ("Weight ≥ 40 kg if age < 18 years", "eGFR ≥ 60 if
  creatinine > 1.5 mg/dL") comes out of the run of thresholds as ``all(weight ≥ 40, age < 18)``: every adult fails
  it. Two thresholds with a condition cue ("if", "when") between them are the rule and its condition,
  ``if age < 18 then weight ≥ 40``. With more thresholds around them ("Age ≥ 18 years (≥ 16 years if weight ≥ 50
  kg)") which of them the condition reaches is not read, so the run is unknown for every patient (with the cue and
  its position as the reason) rather than a conjunction that is confidently wrong.
* A subgroup with a condition after a list of thresholds ("Hb ≥ 9 g/dL and platelets ≥ 100 × 10^9/L in patients
  with marrow involvement") conditions the last threshold or the whole list: both apply to the subgroup; for
  others, the thresholds before it decide only where they are met (unknown where they fail).
* A condition after alternatives ("ECOG 0-1, or 2 if age under 65") may reach the last one or all: outside the
  condition the alternatives before the last decide where they are met, unknown where they are not.
* A proviso ("provided that", "only if") may say whom the threshold applies to ("ALT ≤ 2.5 × ULN, provided that no
  liver metastases") or add a requirement of its own ("Hb ≥ 9 g/dL provided that no transfusion within 14 days").
  The two readings agree where the condition holds; where it does not, one says eligible and the other not, so
  there the requirement is unknown (an ``otherwise`` branch that was not read) instead of vacuously met.

In the exclusion section a subgroup's rule is the subgroup *and* its rule, right for both readings of a proviso and
for two thresholds; only the run of more thresholds is made unknown there. Words: ``proviso_cue``, ``proviso_lead``
and ``list_joiner`` in ``corpora/lexicon/words.tsv``.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from criteria_nlp.build.common import all_of, is_content
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Piece
from criteria_nlp.ir import (
    All,
    Any_,
    Comparison,
    Conditional,
    Node,
    Not,
    Presence,
    Range,
    ReferenceMultiple,
    Span,
    Unparsed,
)
from criteria_nlp.knowledge.words import words

_LIST_JOINERS = words("list_joiner")
_CONDITION_LINKS = words("condition_link")  # "If age ≥ 65, then CrCl ≥ 50 mL/min"
READER = "thresholds"
_PLAIN = (Comparison, Range, ReferenceMultiple)
LIST_SUBGROUP_REASON = "whether the subgroup after a list of thresholds conditions the whole list or only the last"
ALTERNATIVE_REASON = "whether the condition after alternatives reaches all of them or only the last"
_PROVISO_CUES = words("proviso_cue")
_PROVISO_LEADS = words("proviso_lead")
THRESHOLD_CONDITION_REASON = "a condition written as a threshold among other thresholds: which of them it reaches"
_PROVISO_REACH = 8  # words between a proviso and its condition ("provided that the patient has no …")
_BREAKS = frozenset({",", ";", ".", "(", ")"})
PROVISO_REASON = "what the criterion asks where its proviso does not hold was not stated"


def conditioned_requirements(state: BuildState, node: Node) -> Node:
    """``node`` (the thresholds of one clause) with the conditions the thresholds reader joined as requirements read
    as conditions, and provisos that do not hold made unknown (requirements only). A permission's own condition
    ("> 1.5 × ULN is acceptable if direct bilirubin < 35%") is read by the permission, which needs both."""
    if state.permission:
        return node
    node = _threshold_condition(state, node)
    if state.section == "exclusion":
        return node
    return _provisos(state, _list_subgroup(state, node))


def _threshold_condition(state: BuildState, node: Node) -> Node:
    if not isinstance(node, All):
        return node
    items = _items(node)
    leading = _leading_condition(state, items)
    if leading is not None:
        return node if state.section == "exclusion" else leading
    for before, after in pairwise(items):
        cue = _cue_between(state, before.span.end, after.span.start)
        if cue is None:
            continue
        if len(items) == 2 and not isinstance(after, Conditional):
            # "X if Y": in the exclusion section the subgroup and its rule, which the ``all`` already says
            remember_condition(state, after, before)
            if state.section == "exclusion":
                return node
            return Conditional(span=node.span, when=after, then=before, otherwise=None)
        span = Span(start=cue.char_start, end=after.span.end)
        words_ = span.slice(state.document)
        where = f"{cue.text!r} at character {cue.char_start + 1}"
        when = Unparsed(span=span, text=words_, reason=f"{THRESHOLD_CONDITION_REASON} ({where}) was not read")
        otherwise = Unparsed(span=span, text=words_, reason="what the criterion means where that condition applies")
        return Conditional(span=node.span, when=when, then=node, otherwise=otherwise)
    return node


def remember_condition(state: BuildState, when: Node, then: Node) -> None:
    """The threshold ``then`` of the criterion was written for the subgroup ``when`` (a threshold too, no longer a
    named threshold of its own): for a later "for all others ≥ 60 mL/min" (:mod:`~criteria_nlp.build.earlier`)."""
    named = state.ledger.named
    kept = [entry for entry in named if not when.span.start < entry.end <= when.span.end]
    named[:] = [
        replace(entry, condition=when)
        if then.span.start < entry.end <= then.span.end and not entry.condition
        else entry
        for entry in kept
    ]


def _leading_condition(state: BuildState, items: list[Node]) -> Node | None:
    """ "If age ≥ 65, CrCl ≥ 50 mL/min": a condition cue opening the clause before the first of two thresholds, and
    only a comma, colon or "then" between them: the first is the condition of the second (the cue taken; the
    threshold remembered with it, for a later "for all others ≥ 60 mL/min"). None when the clause is not so."""
    if len(items) != 2:
        return None
    when, then = items
    before = [p for p in state.prose if p.char_end <= when.span.start]
    between = [p for p in state.prose if when.span.end <= p.char_start and p.char_end <= then.span.start]
    if len(before) != 1 or "IF" not in before[0].kinds or state.taken(before[0]):
        return None
    if any(is_content(p) and p.lower not in _CONDITION_LINKS for p in between):
        return None
    for piece in (*before, *between):
        state.take(piece, READER, "cue:condition" if piece is before[0] else "filler")
    remember_condition(state, when, then)
    return Conditional(span=when.span.cover(then.span).cover(before[0].span), when=when, then=then, otherwise=None)


def _list_subgroup(state: BuildState, node: Node) -> Node:
    """ "Hb ≥ 9 g/dL and platelets ≥ 100 × 10^9/L in patients with marrow involvement": the subgroup may condition
    the last threshold or the whole list. Both readings agree for the subgroup (every threshold) and for others who
    meet the thresholds before it; for others who fail one of those they disagree, so there it is unknown."""
    if not isinstance(node, All):
        return node
    items = _items(node)
    last = items[-1]
    if not (isinstance(last, Conditional) and last.otherwise is None and isinstance(last.when, Presence | Not)):
        return node
    before = items[:-1]
    if not before or not all(isinstance(item, _PLAIN) for item in before) or not _trailing(state, last.when.span):
        return node
    for left, right in pairwise(items):
        gap = state.document[left.span.end : right.span.start].replace(",", " , ").split()
        if not all(word.lower() in _LIST_JOINERS for word in gap):
            return node
    # all(any(before, all(not S, U)), if S then last): in the subgroup every threshold; outside it the thresholds
    # before decide where met, unknown where not (each threshold written once, as the constraint table lists them)
    general = all_of(before)
    words_ = last.when.span.slice(state.document)
    unsure = Unparsed(span=last.when.span, text=words_, reason=LIST_SUBGROUP_REASON)
    outside = All(span=last.when.span, children=(Not(span=last.when.span, child=last.when), unsure))
    before_met = Any_(span=general.span.cover(outside.span), children=(general, outside))
    return All(span=node.span, children=(before_met, last))


def _trailing(state: BuildState, span: Span) -> bool:
    """Does nothing but punctuation follow ``span`` in its clause?"""
    rest = [p for p in state.prose if p.char_start >= span.end]
    return all(not any(ch.isalnum() for ch in p.text) for p in rest)


def _items(node: All) -> list[Node]:
    """The thresholds of a (left-nested) ``all``, in text order."""
    found: list[Node] = []
    for child in node.children:
        found.extend(_items(child) if isinstance(child, All) else [child])
    return sorted(found, key=lambda n: n.span.start)


def _cue_between(state: BuildState, start: int, end: int) -> Piece | None:
    """The condition cue in the words between two thresholds, if any."""
    for piece in state.prose:
        if start <= piece.char_start and piece.char_end <= end and "IF" in piece.kinds:
            return piece
    return None


def _provisos(state: BuildState, node: Node) -> Node:
    if isinstance(node, Conditional):
        then = _provisos(state, node.then)
        otherwise = node.otherwise
        if otherwise is None and _proviso_before(state, node.when.span.start):
            words_ = node.when.span.slice(state.document)
            otherwise = Unparsed(span=node.when.span, text=words_, reason=PROVISO_REASON)
        elif (
            otherwise is None
            and isinstance(then, Any_)
            and node.when.span.start >= then.span.end
            and not _outside(then)
        ):
            return _unless_first(state, node.when, then)
        if then is node.then and otherwise is node.otherwise:
            return node
        return node.model_copy(update={"then": then, "otherwise": otherwise})
    if isinstance(node, All):
        children = tuple(_provisos(state, child) for child in node.children)
        if all(a is b for a, b in zip(children, node.children, strict=True)):
            return node
        return node.model_copy(update={"children": children})
    return node


def _outside(alternatives: Any_) -> bool:
    """ "potassium < 3 or > 5.5 mmol/L": bounds of one variable on both sides, one rule (outside a range)."""
    children = alternatives.children
    if len(children) != 2 or not all(isinstance(c, Comparison) for c in children):
        return False
    first, second = children
    assert isinstance(first, Comparison) and isinstance(second, Comparison)
    sides = {first.operator[:1], second.operator[:1]}
    return first.variable.id == second.variable.id and sides == {"<", ">"}


def _unless_first(state: BuildState, when: Node, alternatives: Any_) -> Node:
    """ "ECOG 0-1, or 2 if age under 65": the condition may reach the last alternative or all of them. Both readings
    agree inside the subgroup; outside it the alternatives before the last decide where they are met, and the
    criterion is unknown where they are not (one reading fails it, the other does not apply)."""
    # any(A, if C then B else U): inside the condition A or B; outside A, unknown where A fails
    *first, last = alternatives.children
    words_ = when.span.slice(state.document)
    unsure = Unparsed(span=when.span, text=words_, reason=ALTERNATIVE_REASON)
    relaxed = Conditional(span=last.span.cover(when.span), when=when, then=last, otherwise=unsure)
    return Any_(span=alternatives.span.cover(when.span), children=(*first, relaxed))


def _proviso_before(state: BuildState, start: int) -> bool:
    """Is the condition starting at ``start`` led by a proviso ("provided that", "only if", "as long as")?"""
    before = [p for p in state.prose if p.char_end <= start]
    for position in range(len(before) - 1, max(-1, len(before) - _PROVISO_REACH), -1):
        piece = before[position]
        if "IF" in piece.kinds or piece.lower in _PROVISO_CUES:
            lead = before[position - 1].lower if position > 0 else ""
            return piece.lower in _PROVISO_CUES or lead in _PROVISO_LEADS
        if piece.text in _BREAKS:
            return False
    return False
