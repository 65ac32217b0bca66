"""Readers "lists" and "windows": the concepts read as one node, and the time windows nobody placed.

``read_lists`` joins the concepts by their connectives and the section's semantics: "and" is all of them in the
inclusion section, any of them in the exclusion section ("Pregnancy and breastfeeding women": either excludes);
"or" is any; "with" joins all; a negated list ("No serious infection or acute hemorrhage") means none of them;
"with hypertension but without diabetes" is the positive ones and none of the negated ones. Each concept gets the
nearest time window ("within 6 months prior to screening") and its anchor. Writes ``state.concepts``.

``read_windows`` reports the windows no concept took ("a time window with no condition ... it applies to").
"""

from __future__ import annotations

from itertools import pairwise

from criteria_nlp.build.bare_definitions import may_define
from criteria_nlp.build.bound_lists import binds_unread, bound
from criteria_nlp.build.bound_thresholds import with_bound_threshold, with_bound_threshold_and, with_threshold
from criteria_nlp.build.classes import stage_codes_only, stage_numerals_only
from criteria_nlp.build.common import any_of, concept_ref, cover, is_content, is_or, not_understood
from criteria_nlp.build.defined_items import defined_by_items
from criteria_nlp.build.state import BuildState
from criteria_nlp.build.threshold_windows import window_of
from criteria_nlp.grammar import Piece, WindowChunk
from criteria_nlp.ir import (
    All,
    Any_,
    Comparison,
    Demographic,
    Node,
    Not,
    Presence,
    Range,
    ReferenceMultiple,
    Section,
    Span,
    TemporalWindow,
    Unparsed,
    nodes_of,
)

LISTS = "lists"
WINDOWS = "windows"


def read_lists(state: BuildState) -> None:
    if not state.items:
        return
    connective_or = False
    with_join = False
    joints: list[Piece] = []
    for p in state.prose:
        if "CONJ" in p.kinds or p.text == ",":
            if p.kinds.get("CONJ") in ("or", "andor") or p.lower == "nor":
                connective_or = True
            state.take(p, LISTS, "connective")
            joints.append(p)
        if "WITH" in p.kinds:
            with_join = True
            state.take(p, LISTS, "connective")
    # "non-pregnant, non-lactating": when "non" negates every condition, the list is negated as a whole
    all_prefixed = all(piece.index in state.prefix_negations for piece, _ in state.items)
    in_negation = state.in_negation
    negated = all_prefixed or (bool(in_negation) and all(piece.index in in_negation for piece, _ in state.items))
    presences, negated_presences = _presences(state, all_prefixed, negated)
    if negated_presences:
        # "with hypertension but without diabetes": the positive conditions, and none of the negated ones
        excluded = any_of(negated_presences)
        absent = Not(span=excluded.span, child=excluded)
        if not presences:
            state.concepts = absent
            return
        bound_negation = _negated_with_bound(state, presences, negated_presences) if with_join else None
        if bound_negation is not None:
            # "No hepatitis with ALT > 3 x ULN or cirrhosis": the cue negates the whole "with" list, threshold and all
            state.concepts = bound_negation
            state.numeric = None
            return
        positive = _combine(presences, state.section, with_join, connective_or, negated=False)
        state.concepts = All(span=positive.span.cover(absent.span), children=(positive, absent))
        return
    pair = with_threshold(state, presences[0]) if negated and with_join and len(presences) == 1 else None
    if pair is not None and _cue_before(state, pair.span.start):
        # "No hepatitis with ALT > 3 x ULN": not the pair; "not A, and T" asked a high ALT of every patient
        state.concepts = Not(span=pair.span, child=pair)
        state.numeric = None
        return
    with_bound = with_bound_threshold(state, presences) if with_join and connective_or else None
    if with_join and not connective_or and (negated or state.section == "exclusion"):
        # "Hepatitis with ALT > 3 x ULN and fever" where items are alternatives: "and" may list fever apart
        with_bound = with_bound_threshold_and(state, presences)
    if with_bound is not None and negated and not _cue_before(state, with_bound.span.start):
        with_bound = None
    if with_bound is not None:
        # "Hepatitis with ALT > 3 x ULN or cirrhosis": the threshold qualifies the condition "with" joins it to; a
        # negation before the list ("No cirrhosis or hepatitis with ALT > 3 x ULN") negates the whole of it
        state.concepts = Not(span=with_bound.span, child=with_bound) if negated else with_bound
        state.numeric = None
        return
    bound_node = None if negated else (defined_by_items(state, presences) or bound(state, presences))
    if bound_node is not None:
        # "diabetes with hypertension or heart failure": an unread item next to "or" is not an alternative to the
        # whole (its place is among Y and Z): it stays a further requirement, unknown until read. "CVD, defined as:
        # • prior MI • prior stroke": the items say which records are the condition (alternatives)
        state.concepts = bound_node
        return
    node = _combine(presences, state.section, with_join, connective_or, negated)
    state.concepts = Not(span=node.span, child=node) if negated else node
    mixed = _mixed_list(state, joints, node, negated)
    if mixed is not None:
        # "Hepatitis, ALT > 3 x ULN or cirrhosis": the thresholds are items of the list like its conditions, and
        # the list's final "or" (or "and" in an exclusion) makes every item an alternative; joined by "all" the
        # thresholds would be needed besides a condition. A negation before the list ("No hepatitis, ALT > 3 x ULN
        # or cirrhosis") reaches its thresholds as it reaches its conditions: none of the items
        listed = any_of(mixed)
        state.concepts = Not(span=listed.span, child=listed) if negated else listed
        state.numeric = None
        return
    alternatives = (connective_or or state.section == "exclusion") and not (with_join and not connective_or)
    if alternatives and not negated and any("CONJ" in p.kinds for p in joints) and not binds_unread(state):
        state.alternative_joints = joints


def _mixed_list(state: BuildState, joints: list[Piece], node: Node, negated: bool) -> list[Node] | None:
    """The items of a comma list of thresholds and conditions whose items are alternatives ("T, A or B",
    "A, T or B", "A, B and T" in an exclusion), in order; None when the clause is not one. Only thresholds written
    alone (no condition they may define, no bracket), one item between each two joints, one kind of connective.
    Under a negation before the list (``negated``) every connective names the items none of which may be there
    ("No A, T and B", "No A or T"), and the thresholds reader's negation of a first threshold ("No T or A") is the
    list's own."""
    numeric = state.numeric
    if negated and isinstance(numeric, Not):
        numeric = numeric.child  # "No ALT > 3 x ULN or stroke": checked below to be the list's first item
    if numeric is None or not isinstance(node, Presence | Any_):
        return None
    conditions = list(node.children) if isinstance(node, Any_) else [node]
    thresholds = _list_thresholds(numeric, state.section)
    if thresholds is None or not all(isinstance(child, Presence) for child in conditions):
        return None
    conjunctions = [p for p in joints if "CONJ" in p.kinds or p.lower == "nor"]
    if not conjunctions or len({p.kinds.get("CONJ") for p in conjunctions}) > 1:
        return None
    if not negated and "," not in {p.text for p in joints}:
        return None  # "T or A": the alternatives reader's
    if (
        not negated
        and not is_or(conjunctions[-1])
        and not (state.section == "exclusion" and conjunctions[-1].kinds.get("CONJ") == "and")
    ):
        return None  # "T, A and B" in an inclusion asks all of them, as read
    if any(may_define(state, threshold) for threshold in thresholds):
        return None  # "Bradycardia (< 50/min), syncope or …": the definitions reader reads it on the heart rate
    items = sorted([*thresholds, *conditions], key=lambda n: _item_span(n).start)
    spans = [_item_span(n) for n in items]
    if any(a.end > b.start for a, b in pairwise(spans)):
        return None
    if numeric is not state.numeric and items[0] is not numeric:
        return None  # "No stroke or no ALT > 3 x ULN": the threshold's own negation, not the list's
    for threshold in thresholds:
        inside = [p for p in state.prose if threshold.span.start <= p.char_start and p.char_end <= threshold.span.end]
        if any(is_content(p) and not state.taken(p) for p in inside):
            return None  # "MMSE exam score < 24": a word unread inside the threshold stays with it (alternatives)
    joint_ids = {id(p) for p in joints}
    bounds = [0, *(span.end for span in spans)], [*(span.start for span in spans), len(state.document)]
    for number, (gap_start, gap_end) in enumerate(zip(*bounds, strict=True)):
        gap = [p for p in state.prose if gap_start <= p.char_start and p.char_end <= gap_end]
        inner = 0 < number < len(items)
        if inner and not any(id(p) in joint_ids for p in gap):
            return None  # two items with no joint between them: one may qualify the other
        last_gap = number == len(items) - 1
        if inner and not last_gap and any("CONJ" in p.kinds for p in gap):
            return None  # "A or T, B": the connective does not end the list
        before_threshold = number < len(items) and any(items[number] is t for t in thresholds)
        closes = _open_bracket(state.document, spans[number - 1]) if number else False
        cue = negated and number == 0  # the negation cue before the list
        if cue and not any("NEG" in p.kinds for p in gap):
            return None  # "Cholesterol > 300 mg/dl with or without statins": no cue before the threshold reaches it
        if not all(
            (cue and "NEG" in p.kinds) or _list_filler(p, id(p) in joint_ids, before_threshold, closes) for p in gap
        ):
            return None
    return items


def _negated_with_bound(state: BuildState, presences: list[Node], negated_presences: list[Node]) -> Node | None:
    """The cue of "No A with T or B" before the first condition reaches A alone ("with" ends its scope), yet it
    negates the list "with" binds, threshold and all; read as "not A, and T and B" it asked the threshold and B of a
    patient with neither. None unless the first condition alone is negated and the list is one bound_thresholds.py
    reads."""
    if len(negated_presences) != 1 or not isinstance(negated_presences[0], Presence):
        return None
    negated_first = negated_presences[0]
    if any(other.span.start < negated_first.span.start for other in presences):
        return None
    if not _cue_before(state, negated_first.span.start):
        return None  # "Hepatitis negative with …": a cue after the condition reaches it alone
    bound_node = with_bound_threshold(state, [negated_first, *presences]) or with_bound_threshold_and(
        state, [negated_first, *presences]
    )
    if bound_node is None:
        return None
    return Not(span=bound_node.span, child=bound_node)


def _cue_before(state: BuildState, start: int) -> bool:
    """A negation cue before ``start``: a negation read before the list may reach all of it; one after it (a
    backward cue, "with or without") reaches the condition next to it alone."""
    return any("NEG" in p.kinds and p.char_end <= start for p in state.prose)


def _list_thresholds(numeric: Node, section: Section) -> list[Node] | None:
    """The thresholds of the thresholds reader's reading that may stand as items of a list: the reading itself, or
    the thresholds it joined by "all" ("ALT > 3 x ULN, bilirubin > 2 mg/dL, hepatitis or …")."""
    if _single_threshold(numeric, section):
        return [numeric]
    if isinstance(numeric, All) and all(_single_threshold(child, section) for child in numeric.children):
        return list(numeric.children)
    return None


def _single_threshold(node: Node, section: Section) -> bool:
    if isinstance(node, Demographic):
        # "Age > 75 years, dementia or stroke" excludes on each; an inclusion's age before a list of conditions is a
        # requirement of its own ("Age 18-65 years, hypertension or diabetes")
        return node.attribute == "age" and section == "exclusion"
    return isinstance(node, Comparison | ReferenceMultiple | Range)


def _open_bracket(document: str, span: Span) -> bool:
    """The item's words open a bracket they do not close ("Anemia (> 12 g/dL" of "Anemia (> 12 g/dL), …")."""
    words = span.slice(document)
    return words.count("(") + words.count("[") > words.count(")") + words.count("]")


def _item_span(node: Node) -> Span:
    """Where an item of the list is written: a condition's own words, without the time window it shares with the
    others ("hepatitis, ALT > 3 x ULN or cirrhosis within 6 months")."""
    return node.concept.span if isinstance(node, Presence) else node.span


def _list_filler(piece: Piece, joint: bool, before_threshold: bool, closes: bool) -> bool:
    """A piece that may stand between the items of a mixed list: a joint, a word with no meaning of its own, a
    qualifier of the condition after it, or the bracket that closes the item before ("Anemia (> 12 g/dL), …"); never
    another bracket (a bracketed threshold may define the condition before it) nor a qualifier before a threshold."""
    if joint:
        return True
    if piece.text in (")", "]"):
        return closes
    if piece.text in ("(", "["):
        return False
    if "QUAL" in piece.kinds:
        return not before_threshold
    return not is_content(piece)


def list_items_unread(state: BuildState, unread: list[Unparsed]) -> list[Unparsed]:
    """The words no reader took that stand as items of a list of alternatives: next to one of its connectives
    ("warfarin, heparin or novel agents"). Joined to the list by "all", such an item would let the items read
    decide alone (no warfarin and no heparin: not excluded, whatever "novel agents" are); as an alternative it
    leaves the criterion unknown unless an item read holds."""
    if not state.alternative_joints:
        return []
    joints = sorted(state.alternative_joints, key=lambda p: p.char_start)
    concept_ends = {piece.char_end for piece, _ in state.items}
    thresholds = nodes_of(state.numeric) if state.numeric is not None else ()
    threshold_ends = {n.span.end for n in thresholds if isinstance(n, Comparison | Range | ReferenceMultiple)}
    items = []
    for node in unread:
        words = [p for p in state.prose if node.span.start <= p.char_start and p.char_end <= node.span.end]
        if all("QUAL" in p.kinds for p in words):
            continue  # "moderate or severe COPD": a qualifier shared over "or", not an item of its own
        if stage_codes_only(node.text) or stage_numerals_only(node.text, state.document[: node.span.start]):
            # "Stage T3-T4 or N+ rectal cancer", "Stage IIIB or IV lung cancer": the stage (unread) qualifies the
            # cancer; as an alternative beside it, any cancer met the criterion. Left a requirement, the cancer alone
            # is at most unknown
            continue
        before = _joint_before(state.document, joints, node.span.start)
        after = _joint_after(state.document, joints, node.span.end)
        if before is not None and is_or(before) and _gap_end(state.document, before.char_start, -1) in threshold_ends:
            continue  # "Diabetes and T or <unread>": the alternative of the threshold (check.unread_alternatives)
        if (before is not None and "CONJ" in before.kinds) or (after is not None and _leads_to_conj(joints, after)):
            items.append(node)
        elif before is not None and _gap_end(state.document, before.char_start, -1) not in concept_ends:
            items.append(node)  # ", PPIs," after no concept: an item; after one it may narrow it ("Diabetes, type 1")
        elif before is None and after is not None:
            items.append(node)  # "bismuth salts, PPIs, or antibiotics": the first item
    return items


def _gap_end(text: str, at: int, step: int) -> int:
    """The offset reached from ``at`` over white space, backwards (step -1) or forwards (step 1)."""
    if step < 0:
        while at > 0 and text[at - 1].isspace():
            at -= 1
        return at
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _joint_before(text: str, joints: list[Piece], start: int) -> Piece | None:
    at = _gap_end(text, start, -1)
    return next((p for p in joints if p.char_end == at), None)


def _joint_after(text: str, joints: list[Piece], end: int) -> Piece | None:
    at = _gap_end(text, end, 1)
    return next((p for p in joints if p.char_start == at), None)


def _leads_to_conj(joints: list[Piece], joint: Piece) -> bool:
    """The joint is "or"/"and" itself, or a comma right before one (", or")."""
    if "CONJ" in joint.kinds:
        return True
    following = [p for p in joints if p.char_start >= joint.char_end]
    return bool(following) and "CONJ" in following[0].kinds and following[0].char_start - joint.char_end <= 1


def _presences(state: BuildState, all_prefixed: bool, negated: bool) -> tuple[list[Node], list[Node]]:
    """The presence of each concept, with its window: those not negated on their own, and those negated."""
    # a window a reader before placed ("symptom onset within 48 hours": a duration's threshold) is no one else's
    windows = [c for c in state.chunks if isinstance(c, WindowChunk) and id(c) not in state.placed_windows]
    windows += state.durations
    anchors = [p for p in state.prose if "ANCHOR" in p.kinds]
    presences: list[Node] = []
    negated_presences: list[Node] = []
    for number, (piece, written_qualifiers) in enumerate(state.items):
        window = _window_for(state, piece, windows, anchors)
        presence: Node = Presence(
            span=piece.span if window is None else piece.span.cover(window.span),
            concept=concept_ref(state, piece, written_qualifiers, state.details.get(number)),
            window=window,
            concepts=tuple(concept_ref(state, p, ()) for p in state.required_concepts.get(piece.index, ())),
        )
        prefix = state.prefix_negations.get(piece.index)
        if prefix is not None and not all_prefixed:
            presence = Not(span=prefix.span.cover(presence.span), child=presence)  # "non-smoker"
        if not negated and piece.index in state.in_negation:
            negated_presences.append(presence)
        else:
            presences.append(presence)
    return presences, negated_presences


def _combine(presences: list[Node], section: Section, with_join: bool, connective_or: bool, negated: bool) -> Node:
    presences.sort(key=lambda n: n.span.start)
    span = cover([n.span for n in presences]) or presences[0].span
    if len(presences) == 1:
        return presences[0]
    if with_join and not connective_or:
        return All(span=span, children=tuple(presences))
    if connective_or or section == "exclusion" or negated:
        return Any_(span=span, children=tuple(presences))
    return All(span=span, children=tuple(presences))


def _window_for(
    state: BuildState, piece: Piece, windows: list[WindowChunk], anchors: list[Piece]
) -> TemporalWindow | None:
    if not windows:
        return None
    window = min(windows, key=lambda w: abs(w.span.start - piece.char_end))
    state.placed_windows.add(id(window))
    state.place(window, LISTS)
    anchor_text = None
    after = [a for a in anchors if a.char_start >= window.span.end]
    if after:
        anchor_text = after[0].text
        state.take(after[0], LISTS, "window")
    return window_of(window, anchor_text, window.span, state.prose)


def read_windows(state: BuildState) -> None:
    for window in [c for c in state.chunks if isinstance(c, WindowChunk)] + state.durations:
        if id(window) not in state.placed_windows:
            state.place(window, WINDOWS, "unparsed")
            state.window_notes.append(
                not_understood(state, window.span, "a time window with no condition, treatment or event it applies to")
            )
