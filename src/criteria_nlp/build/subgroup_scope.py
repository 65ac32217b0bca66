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

from collections.abc import Sequence
from itertools import pairwise
from typing import TypeGuard

from criteria_nlp.build.common import (
    SEX_PREPOSITIONS,
    all_of,
    concept_ref,
    cover_pieces,
    is_content,
    is_or,
    text_of,
)
from criteria_nlp.build.state import BuildState, cue_role
from criteria_nlp.build.threshold_conditions import conditioned_requirements, remember_condition
from criteria_nlp.grammar import Chunk, ConstraintChunk, Piece, ProseChunk
from criteria_nlp.ir import (
    All,
    Any_,
    Comparison,
    ConceptRef,
    Conditional,
    Demographic,
    Node,
    Not,
    Presence,
    Range,
    ReferenceMultiple,
)
from criteria_nlp.knowledge.words import words

_LIST_JOINERS = words("list_joiner")
_PERSON_WORDS = words("person_word")
_SUBGROUP_WITH = words("subgroup_with")
_SUBGROUP_WORDS = 6  # the most words naming a subgroup's condition ("with liver involvement")
READER = "thresholds"
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
    remember_condition(state, subgroup, nodes[-1])  # "…; for all others ≥ 60 mL/min" names everyone else
    last, join = nodes.pop(), joins.pop()
    merged = gathered(state, nodes, joins, last, subgroup)
    nodes.append(merged)
    joins.append(join if merged is last else False)


def subgroup_after(state: BuildState, index: int, restating: bool) -> Node | None:
    """ "Creatinine ≤ 3 mg/dL in patients with CKD and ≤ 2 mg/dL in patients without CKD": the people after the
    threshold at ``index`` (a preposition, words for people, "with" / "without" and the condition) are whom it
    applies to, when they end its clause or come before a joiner and a threshold of nothing, which names its own
    subgroup after it. Without words for people, "with" / "without" leads a subgroup only there, or after a
    threshold that restates the one before it (``restating``) written for a subgroup: "Platelets ≥ 100 without
    transfusion" is a requirement. None when the words after the threshold are not so."""
    chunks = state.chunks
    pieces: list[Piece] = []
    followed = False
    for chunk in chunks[index + 1 :]:
        if not isinstance(chunk, ProseChunk):
            if not (isinstance(chunk, ConstraintChunk) and not chunk.variables and pieces):
                return None
            followed = True  # a joiner and a threshold of nothing follow
            break
        if chunk.piece.text in (";", ".", ")"):
            break
        pieces.append(chunk.piece)
    while pieces and (pieces[-1].lower in _LIST_JOINERS or is_or(pieces[-1])):
        pieces.pop()
    lead = _subgroup_lead(pieces, followed or (restating and _after_subgroup(state, index)))
    named = pieces[lead:]
    if not lead or not named or any(state.taken(p) for p in pieces) or not _names_condition(named):
        return None
    negated = any("NEG" in p.kinds for p in pieces[:lead])
    if negated and followed:
        return None  # "… without liver metastases, or ≤ 5 × ULN": the complement of the next one's (conditions.py)
    for piece in pieces:
        state.take(piece, READER, "condition" if piece in named else cue_role(piece, "cue:condition"))
    concepts = [p for p in named if "CONCEPT" in p.kinds]
    for concept in concepts:
        state.hold_concept(concept)
    content = [p for p in named if is_content(p)]
    if len(concepts) == 1 and content == concepts:
        found: Node = Presence(span=concepts[0].span, concept=concept_ref(state, concepts[0], ()))
    else:
        span = cover_pieces(named) or named[0].span
        mention = text_of(named, state.document)
        found = Presence(span=span, concept=ConceptRef(id=None, mention=mention, span=span, category="other"))
    return Not(span=pieces[0].span.cover(found.span), child=found) if negated else found


def _after_subgroup(state: BuildState, index: int) -> bool:
    """Do the words between the threshold at ``index`` and the one before it hold the subgroup of that one ("… with
    liver metastases or ≤ 2.5 × ULN without …")? A bare "without" after it then names the complement."""
    before = state.chunks[:index]
    start = next((k for k in range(len(before) - 1, -1, -1) if isinstance(before[k], ConstraintChunk)), None)
    if start is None:
        return False
    entries = state.ledger.entries
    between = [c.piece for c in before[start + 1 :] if isinstance(c, ProseChunk)]
    return any(p.index in entries and entries[p.index][2] == "condition" for p in between)


def _subgroup_lead(pieces: list[Piece], bare: bool) -> int:
    """How many words lead a subgroup: a preposition, words for people and "with" / "without" (or a condition cue
    "in patients with"; with ``bare``, "with" / "without" alone); 0 when they do not."""
    position = 0
    if position < len(pieces) and pieces[position].lower in SEX_PREPOSITIONS:
        position += 1
    people = position
    while position < len(pieces) and pieces[position].lower in _PERSON_WORDS:
        position += 1
    if position >= len(pieces):
        return 0
    cue = pieces[position]
    if "IF" in cue.kinds and "NEG" not in cue.kinds:
        return position + 1
    with_people = (position > people and people > 0) or (bare and position == 0)
    if with_people and (cue.lower in _SUBGROUP_WITH or cue.kinds.get("NEG") is not None):
        return position + 1
    return 0


def _names_condition(named: list[Piece]) -> bool:
    """A few words naming a condition: some content, no threshold words, sex, cue or punctuation."""
    banned = ("VARIABLE", "GROUP", "SEX", "NEG", "IF", "UNLESS", "AGEWORD")
    return (
        len(named) <= _SUBGROUP_WORDS
        and any(is_content(p) for p in named)
        and not any(kind in p.kinds for p in named for kind in banned)
        and not any(p.text in ("(", ",", ":") for p in named)
    )


def described_people(state: BuildState, between: Sequence[Chunk], last: Node) -> list[Node] | None:
    """ "… in post-menopausal women over 55", "… for men aged 18-40": the words before an age threshold
    (``between``, since the threshold ``last`` before it), when they are a preposition and people described by a
    sex or conditions they have, the sex or a word for people last: the subgroup's sex and conditions (the words
    taken); None when they are not so. Words ``last`` was read for ("in women") may already be taken."""
    pieces = [c.piece for c in between if isinstance(c, ProseChunk)]
    if len(pieces) != len(between):
        return None
    if pieces and pieces[0].text == ",":
        pieces = pieces[1:]
    if len(pieces) < 2 or pieces[0].lower not in SEX_PREPOSITIONS:
        return None
    words_ = pieces[1:]
    if not (_sex(words_[-1]) or names_people(words_[-1])) or sum(_sex(p) for p in words_) > 1:
        return None
    if not all(_sex(p) or "CONCEPT" in p.kinds or not is_content(p) or p.lower in _PERSON_WORDS for p in words_):
        return None
    if any(kind in p.kinds for p in words_ for kind in ("NEG", "IF", "VARIABLE", "GROUP", "CONJ")):
        return None
    when = last.when.span if isinstance(last, Conditional) else None
    if any(state.taken(p) and p.span != when for p in words_):
        return None
    parts: list[Node] = []
    for piece in pieces:
        if _sex(piece):
            state.take(piece, READER, "sex")
            parts.append(Demographic(span=piece.span, attribute="sex", sex=piece.kinds["SEX"]))
        elif "CONCEPT" in piece.kinds:
            state.take(piece, READER, "condition")
            state.hold_concept(piece)
            parts.append(Presence(span=piece.span, concept=concept_ref(state, piece, ())))
        else:
            state.take(piece, READER, cue_role(piece, "filler"))
    return parts


def names_people(piece: Piece) -> bool:
    """A word for people, or a concept named as the people who have it ("diabetic patients")."""
    return piece.lower.rsplit(" ", 1)[-1] in _PERSON_WORDS


def _sex(piece: Piece) -> bool:
    return piece.kinds.get("SEX") in ("female", "male")


def with_described(parts: list[Node], last: Node, age: Node) -> tuple[Node, Node]:
    """The threshold before, without what it was already read for ("in women": it joins the subgroup; a bound for
    everyone else becomes the alternative before it), and the subgroup of :func:`described_people`'s ``parts`` and
    the ``age`` after them."""
    if isinstance(last, Conditional) and any(p.span == last.when.span for p in parts):
        # "≥ 60 (≥ 50 for women over 65)": the relaxed bound is the subgroup's, the other everyone else's
        otherwise = last.otherwise
        last = last.then if otherwise is None else Any_(span=last.span, children=(otherwise, last.then))
    return last, all_of([*parts, age])


def restated_bound(node: Node) -> TypeGuard[All]:
    """ "CrCl ≥ 60 mL/min (≥ 50 mL/min in patients older than 70)": two bounds of one variable on the same side, the
    second restating the first for the subgroup written after it (its ``then``; the first is for everyone else)."""
    if not isinstance(node, All) or len(node.children) != 2:
        return False
    first, second = node.children
    if not (isinstance(first, Comparison) and isinstance(second, Comparison)):
        return False
    sides = {first.operator[:1], second.operator[:1]}
    return first.variable.id == second.variable.id and len(sides) == 1 and sides <= {"<", ">"}


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
