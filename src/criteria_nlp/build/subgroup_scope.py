"""How far a subgroup written after thresholds reaches, and what a subgroup's rule means in each section (part of
the thresholds reader).

* A subgroup by age or sex that ends the criterion after a list of thresholds joined by "and" or commas conditions
  the whole list: "SBP < 150 and DBP < 90 mmHg in persons aged 60 or older" is one rule for that age group, not a
  rule on the DBP beside an unconditional SBP. A list holding an alternative ("or"), a condition of its own or an
  age or sex threshold is left as written (only the threshold right before the subgroup is conditioned).
* In the exclusion section a rule for a subgroup with no rule for everyone else ("ALT > 3 × ULN in women", "ALT >
  5 × ULN if liver metastases are present") excludes only patients of that subgroup: the subgroup *and* its
  threshold. As a conditional it would hold for everyone outside the subgroup, excluding them.
"""

from __future__ import annotations

from itertools import pairwise

from criteria_nlp.build.common import all_of, is_content
from criteria_nlp.build.state import BuildState
from criteria_nlp.build.threshold_conditions import conditioned_requirements
from criteria_nlp.grammar import ProseChunk
from criteria_nlp.ir import All, Any_, Comparison, Conditional, Demographic, Node, Range, ReferenceMultiple
from criteria_nlp.knowledge.words import words

_LIST_JOINERS = words("list_joiner")
_PERSON_WORDS = words("person_word")
_PLAIN = (Comparison, Range, ReferenceMultiple)
_WHO = frozenset({"age"})  # variables that say whom a criterion is about: no item of a list a subgroup conditions


def is_trailing_subgroup(state: BuildState, subgroup: Node, node: Node) -> bool:
    """Is ``subgroup`` (an age or sex) written after ``node`` and the last thing its clause says?"""
    if not isinstance(subgroup, Demographic | Range | Comparison) or subgroup.span.start < node.span.end:
        return False
    for chunk in state.chunks:
        span = chunk.piece.span if isinstance(chunk, ProseChunk) else chunk.span
        if span.start < subgroup.span.end:
            continue
        if not isinstance(chunk, ProseChunk):
            return False
        if is_content(chunk.piece) and chunk.piece.lower not in _PERSON_WORDS:
            return False
    return True


def gathered(state: BuildState, nodes: list[Node], joins: list[bool], node: Node, subgroup: Node) -> Node:
    """``node``, or the list it ends when the trailing ``subgroup`` reaches that whole list: then the list's items
    leave ``nodes`` (and their "or"-joins ``joins``) and come back as one ``all`` with ``node``."""
    items = [*nodes, node]
    if len(items) < 2 or not is_trailing_subgroup(state, subgroup, node):
        return node
    if not all(_plain(item) for item in items) or any(joins[1:]):
        return node
    for before, after in pairwise(items):
        gap = state.document[before.span.end : after.span.start].replace(",", " , ").split()
        if not all(word.lower() in _LIST_JOINERS for word in gap):
            return node
    nodes.clear()
    joins.clear()
    return all_of(items)


def gather_last(state: BuildState, nodes: list[Node], joins: list[bool], subgroup: Node) -> None:
    """Like :func:`gathered` for the last of ``nodes``, the one the subgroup after it conditions."""
    if not nodes:
        return
    last, join = nodes.pop(), joins.pop()
    merged = gathered(state, nodes, joins, last, subgroup)
    nodes.append(merged)
    joins.append(join if merged is last else False)


def for_section(state: BuildState, node: Node) -> Node:
    """In the exclusion section, a subgroup's rule with no alternative is the subgroup and its rule; a requirement's
    conditions joined as requirements are read as conditions (:mod:`~criteria_nlp.build.threshold_conditions`)."""
    node = conditioned_requirements(state, node)
    if state.section != "exclusion":
        return node
    return _excluding(node)


def _excluding(node: Node) -> Node:
    if isinstance(node, Conditional):
        then = _excluding(node.then)
        if node.otherwise is None:
            return All(span=node.span, children=(node.when, then))
        otherwise = _excluding(node.otherwise)
        if then is node.then and otherwise is node.otherwise:
            return node
        return node.model_copy(update={"then": then, "otherwise": otherwise})
    if isinstance(node, All | Any_):
        children = tuple(_excluding(child) for child in node.children)
        if all(a is b for a, b in zip(children, node.children, strict=True)):
            return node
        return node.model_copy(update={"children": children})
    return node


def _plain(node: Node) -> bool:
    """A threshold on a measurement (not an age, not conditioned, not an alternative), or several in ``all``."""
    if isinstance(node, All):
        return all(_plain(child) for child in node.children)
    return isinstance(node, _PLAIN) and node.variable.id not in _WHO
