"""Definitions inside a list ("hypotension (BP < 90/60 mmHg), neutropenia (ANC < 1,500/µL) or fever"): part of the
reader "definitions".

Each item of the list is read on its own: a condition with its bracketed threshold as a definition (by the section,
as :mod:`criteria_nlp.build.definitions` reads one alone), a condition without one as its presence; the items are
then joined as the reader "lists" joins conditions (``or`` any; ``and`` all in the inclusion section, any in the
exclusion section; "with" alone all). Before this, the thresholds were put beside the whole list with ``all``: an
exclusion that needed every threshold at once, so that a patient with fever alone was confidently eligible.
A bracket with no variable of its own after a condition of ``defined_conditions.tsv`` ("bradycardia (< 50/min),
syncope or heart block") is that condition's variable (:func:`~criteria_nlp.build.bare_definitions.bare_definition`);
before, the list was all('Bradycardia' < 50/min, any(syncope, heart block)), a heart rate of 40/min eligible.

The thresholds reader takes the words between two thresholds as connectives, conditions included
("…), neutropenia (…"); here a condition right before a bracket or standing as an item is read back as an item,
and other words are given back to the leftovers (reported, never dropped). Anything this reading does not cover
exactly (a threshold outside brackets, a bracket with no condition before it, negation, nested brackets) leaves
the clause to the other readers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from criteria_nlp.build.bare_definitions import bare_definition
from criteria_nlp.build.common import any_of, concept_ref, cover, is_content, is_or
from criteria_nlp.build.concepts import _qualifiers_within
from criteria_nlp.build.pairs import read_by_side, undecided_when_split
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import ConstraintChunk, Piece, ProseChunk, WindowChunk
from criteria_nlp.ir import All, Any_, Comparison, Node, Not, Presence, Range, ReferenceMultiple, Unparsed

READER = "definitions"
_THRESHOLDS = (Comparison, Range, ReferenceMultiple)  # an age ("malignancy (< 5 years)") defines no condition
_SWALLOWED = ("thresholds", "connective")  # how the thresholds reader records the words between two thresholds

# (state, condition(s), its threshold, read as an exclusion) -> the item's reading, as for a definition alone
Define = Callable[[BuildState, Node, Node, bool], Node]
_TRAILING_REASON = "whether the bracket after the last condition defines that condition or every condition of the list"


@dataclass(frozen=True, slots=True)
class _Bracket:
    """Chunk indices of "(", the one threshold inside, and ")"."""

    opener: int
    threshold: int
    closer: int


def read_defined_list(state: BuildState, define: Define) -> bool:
    """Read the clause as a list with definitions in it; False (nothing changed) when it is not one."""
    negated = isinstance(state.concepts, Not)
    if state.numeric is None or (state.in_negation and not negated) or state.prefix_negations:
        return False
    brackets = _brackets(state)
    if not brackets or not _thresholds_all_bracketed(state, brackets):
        return False
    saved = dict(state.ledger.entries)  # the items are read back from the ledger; given back if no list is found
    said = len(state.diagnostics)
    node = _read_list(state, define, brackets, negated)
    if node is None:
        state.ledger.entries.clear()
        state.ledger.entries.update(saved)
        del state.diagnostics[said:]
        return False
    for bracket in brackets:
        state.take(_piece(state, bracket.opener), READER, "connective")
        state.take(_piece(state, bracket.closer), READER, "connective")
    state.concepts = Not(span=node.span, child=node) if negated else node
    state.numeric = None
    return True


def _read_list(state: BuildState, define: Define, brackets: list[_Bracket], negated: bool) -> Node | None:
    assert state.numeric is not None
    numeric: Node = state.numeric
    bare: dict[int, Presence] = {}
    if state.concepts is not None:
        # "bradycardia (< 50/min), syncope or heart block": the bare threshold is the condition's defining variable
        # (alone, with no other condition, the clause is read by the module bare_definitions)
        numeric = _bare_defined(state, state.numeric, brackets, bare)
    thresholds = _per_bracket(numeric, state, brackets)
    listed = _listed(state.concepts.child if isinstance(state.concepts, Not) else state.concepts)
    if thresholds is None or listed is None or not all(is_threshold(t) for t in thresholds):
        return None
    return _read(state, define, brackets, thresholds, listed, negated, bare)


def _bare_defined(state: BuildState, node: Node, brackets: list[_Bracket], found: dict[int, Presence]) -> Node:
    """``node`` with each threshold named after the condition right before its bracket ("bradycardia (< 50/min)")
    put on the condition's variable (:func:`~criteria_nlp.build.bare_definitions.bare_definition`); the conditions
    by bracket number in ``found``."""
    if isinstance(node, All | Any_):
        children = tuple(_bare_defined(state, child, brackets, found) for child in node.children)
        if all(new is old for new, old in zip(children, node.children, strict=True)):
            return node
        return node.model_copy(update={"children": children})
    if not isinstance(node, Comparison | ReferenceMultiple):
        return node
    for number, bracket in enumerate(brackets):
        before, chunk = state.chunks[bracket.opener - 1] if bracket.opener else None, state.chunks[bracket.threshold]
        if not isinstance(before, ProseChunk) or not isinstance(chunk, ConstraintChunk):
            continue
        if before.piece.char_start != node.variable.span.start or chunk.span.end != node.span.end:
            continue
        read = bare_definition(state, node, chunk)
        if read is not None:
            found[number] = read[0]
            return read[1]
    return node


def _read(
    state: BuildState,
    define: Define,
    brackets: list[_Bracket],
    thresholds: list[Node],
    listed: dict[int, Presence],
    negated: bool,
    bare: dict[int, Presence],
) -> Node | None:
    defined: dict[int, Presence] = {}  # bracket number -> the condition it defines
    for number, bracket in enumerate(brackets):
        before = state.chunks[bracket.opener - 1] if bracket.opener else None
        if not isinstance(before, ProseChunk) or "CONCEPT" not in before.piece.kinds:
            return None
        presence = bare.get(number) or listed.get(before.piece.char_start) or _swallowed_presence(state, before.piece)
        if presence is None:
            return None
        defined[number] = presence
    swallowed = _swallowed_items(state, brackets, set(listed) | {p.concept.span.start for p in defined.values()})
    plain: list[Node] = [*(p for p in listed.values() if all(p is not d for d in defined.values())), *swallowed]
    if len(plain) + len(defined) < 2 and not negated:
        return None  # one condition and its bracket: the reading of a definition alone
    items: list[Node] = list(plain)
    for number, presence in defined.items():
        chunk = state.chunks[brackets[number].threshold]
        assert isinstance(chunk, ConstraintChunk)
        thresholds[number] = undecided_when_split(thresholds[number], chunk, state.document)
        # "no anemia (hemoglobin < 9 g/dL)": what must be absent is the condition as an exclusion reads it
        items.append(define(state, presence, thresholds[number], negated))
    items.sort(key=lambda n: n.span.start)
    inside = [(_piece(state, b.opener).char_start, _piece(state, b.closer).char_end) for b in brackets]
    joints = [p for p in state.prose if "CONJ" in p.kinds or p.text == ","]
    joints = [p for p in joints if not any(start <= p.char_start < end for start, end in inside)]
    if not _separated(items, joints):
        return None  # "intubation for a coma (GCS ≤ 8)": conditions in one phrase, no list
    joined = _joined(state, items, joints, negated)
    (last,) = defined.values() if len(defined) == 1 else (None,)
    if last is None or not plain or max(p.span.start for p in plain) > last.span.start:
        return joined
    # "A or B (definition)": the bracket may define B or the whole list; decided only where both readings agree
    whole = any_of([*plain, last])
    if negated or state.section == "exclusion":
        return define(state, whole, thresholds[0], True)  # no less unknown than B's own reading anywhere
    # inclusion: the list's reading all(T, any(A, B)) is true where B's own any(A, all(T, B)) is too; they differ
    # only where A holds and the threshold does not, which is made unknown (the threshold is written once)
    listed_reading = All(span=joined.span, children=(thresholds[0], whole))
    others = any_of(plain)
    split = Unparsed(span=others.span, text=others.span.slice(state.document), reason=_TRAILING_REASON)
    return Any_(span=joined.span, children=(listed_reading, All(span=others.span, children=(others, split))))


def _separated(items: list[Node], joints: list[Piece]) -> bool:
    """A comma or a connective stands between each two items."""
    return all(
        any(before.span.end <= p.char_start and p.char_end <= after.span.start for p in joints)
        for before, after in pairwise(items)
    )


def is_threshold(node: Node) -> bool:
    """A threshold, or a pair of them ("BP ≥ 140/90"): no condition, exception or negation of its own."""
    node = read_by_side(node) or node  # "BP < 90/60" in the exclusion section, decided where its readings agree
    if isinstance(node, All | Any_):
        return all(isinstance(child, _THRESHOLDS) for child in node.children)
    return isinstance(node, _THRESHOLDS)


def _brackets(state: BuildState) -> list[_Bracket] | None:
    """The brackets that hold one threshold and nothing else to read ("(i.e. ANC < 1,500/µL)"); None when a
    bracket is nested or holds a threshold among other words."""
    found: list[_Bracket] = []
    opener: int | None = None
    for index, chunk in enumerate(state.chunks):
        if not isinstance(chunk, ProseChunk) or chunk.piece.text not in ("(", ")"):
            continue
        if chunk.piece.text == "(":
            if opener is not None:
                return None
            opener = index
            continue
        if opener is None:
            return None
        inside = state.chunks[opener + 1 : index]
        numeric = [opener + 1 + k for k, c in enumerate(inside) if isinstance(c, ConstraintChunk | WindowChunk)]
        if numeric:
            if len(numeric) != 1 or not isinstance(state.chunks[numeric[0]], ConstraintChunk):
                return None
            if any(isinstance(c, ProseChunk) and not _filler(state, c.piece) for c in inside):
                return None
            found.append(_Bracket(opener, numeric[0], index))
        opener = None
    return None if opener is not None else found


def _filler(state: BuildState, piece: Piece) -> bool:
    """A word inside a definition's bracket that adds nothing to read ("i.e.", "defined as")."""
    if not is_content(piece):
        return True
    entry = state.ledger.entries.get(piece.index)
    return entry is not None and entry[1] == "thresholds" and entry[2] != "connective"  # part of the threshold


def _thresholds_all_bracketed(state: BuildState, brackets: list[_Bracket]) -> bool:
    inside = {b.threshold for b in brackets}
    return all(i in inside for i, c in enumerate(state.chunks) if isinstance(c, ConstraintChunk))


def _per_bracket(node: Node, state: BuildState, brackets: list[_Bracket]) -> list[Node] | None:
    """The thresholds reader's node split into each bracket's threshold (its "all"/"any" of them undone); None when
    a node spans two brackets or a bracket has none."""
    spans = [(_piece(state, b.opener).char_end, _piece(state, b.closer).char_start) for b in brackets]
    found: list[Node | None] = [None] * len(brackets)

    def place(current: Node) -> bool:
        for number, (start, end) in enumerate(spans):
            if start <= current.span.start and current.span.end <= end:
                if found[number] is not None:
                    return False
                found[number] = current
                return True
        if isinstance(current, All | Any_):
            return all(place(child) for child in current.children)
        return False

    if not place(node) or any(n is None for n in found):
        return None
    return [n for n in found if n is not None]


def _listed(concepts: Node | None) -> dict[int, Presence] | None:
    """The presences the reader "lists" made, by where their condition starts; None for anything else (negation)."""
    if concepts is None:
        return {}
    if isinstance(concepts, Presence):
        return {concepts.concept.span.start: concepts}
    if isinstance(concepts, All | Any_) and all(isinstance(c, Presence) for c in concepts.children):
        return {c.concept.span.start: c for c in concepts.children if isinstance(c, Presence)}
    return None


def _swallowed_presence(state: BuildState, piece: Piece) -> Presence | None:
    """A condition the thresholds reader took as a connective between two thresholds, read back as an item."""
    if not _is_swallowed(state, piece):
        return None
    state.ledger.entries[piece.index] = (piece, READER, "concept")
    qualifiers: list[str] = []
    span = piece.span
    for before in reversed(state.prose[: state.prose.index(piece)]):
        if "QUAL" not in before.kinds or not _is_swallowed(state, before):
            break
        qualifiers.insert(0, before.kinds["QUAL"])  # "…, severe thrombocytopenia (…": its own qualifier
        state.ledger.entries[before.index] = (before, READER, "qualifier")
        span = before.span.cover(span)
    # "uncontrolled hypertension" is a synonym of hypertension: its qualifier is read as the reader "concepts" reads it
    qualifiers.extend(q for q in _qualifiers_within(state, piece) if q not in qualifiers)
    return Presence(span=span, concept=concept_ref(state, piece, tuple(qualifiers)))


def _swallowed_items(state: BuildState, brackets: list[_Bracket], read: set[int]) -> list[Node]:
    """The other words the thresholds reader took as connectives: a condition is an item of the list (with the
    qualifiers before it); any other content word is given back, for the leftovers to report."""
    inside = {i for b in brackets for i in range(b.opener, b.closer + 1)}
    pieces = [c.piece for i, c in enumerate(state.chunks) if i not in inside and isinstance(c, ProseChunk)]
    swallowed = [p for p in pieces if p.char_start not in read and _is_swallowed(state, p) and is_content(p)]
    items: list[Node] = []
    for piece in swallowed:
        if "CONCEPT" in piece.kinds:
            presence = _swallowed_presence(state, piece)
            if presence is not None:
                items.append(presence)
    for piece in swallowed:
        if _is_swallowed(state, piece):
            del state.ledger.entries[piece.index]
    return items


def _is_swallowed(state: BuildState, piece: Piece) -> bool:
    return state.ledger.entries.get(piece.index, (None, "", ""))[1:] == _SWALLOWED


def _piece(state: BuildState, index: int) -> Piece:
    chunk = state.chunks[index]
    assert isinstance(chunk, ProseChunk)
    return chunk.piece


def _joined(state: BuildState, items: list[Node], joints: list[Piece], negated: bool) -> Node:
    """The items as one node, joined as the reader "lists" joins conditions (a negated list: none of them); the
    connectives of a list of alternatives are kept, so that an item no reader read stays one more alternative."""
    span = cover([n.span for n in items]) or items[0].span
    with_join = any("WITH" in p.kinds for p in state.prose)
    connective_or = any(is_or(p) or p.lower == "nor" for p in joints)
    if len(items) == 1:
        return items[0]
    if (with_join and not connective_or) or not (connective_or or state.section == "exclusion" or negated):
        return All(span=span, children=tuple(items))
    if not negated:
        state.alternative_joints = [p for p in joints if not _inside(p, items)]
    return Any_(span=span, children=tuple(items))


def _inside(piece: Piece, items: list[Node]) -> bool:
    return any(n.span.start <= piece.char_start and piece.char_end <= n.span.end for n in items)
