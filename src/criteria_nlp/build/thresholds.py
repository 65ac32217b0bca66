"""Reader "thresholds": the numeric islands the grammar parsed, as threshold nodes on their variables.

Each threshold gets its variable (written next to it, inherited from the threshold before it, or implied: see
:mod:`~criteria_nlp.build.variables`), its condition or exception and its negation (see
:mod:`~criteria_nlp.build.conditions`). Thresholds of one variable in a row combine: a restatement under a condition
("≤ 5 × ULN if liver metastases"), alternatives ("< 90 mmHg, or > 160 mmHg"), or one interval ("≥ 18 and < 65").
Writes ``state.numeric``; numbers it cannot place go to ``state.unplaced``, durations to ``state.durations``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from criteria_nlp.build.bounds import (
    admit_no_value_together,
    different_values,
    merge_bounds,
    pair_reading,
    propagate_units,
    threshold_node,
    with_operator,
    with_scale,
)
from criteria_nlp.build.chains import broken_chain, chain_start, with_lower_end
from criteria_nlp.build.changes import change_of
from criteria_nlp.build.common import first_unit, is_content, is_or, not_understood
from criteria_nlp.build.conditions import (
    bare_value_for_sex,
    condition_after,
    condition_before,
    leading_sex,
    negation_before,
    people_subgroup,
    subgroup_before,
)
from criteria_nlp.build.direction import direction_unknown, toward
from criteria_nlp.build.earlier import complement_after, earlier_variable, for_everyone_else, remember
from criteria_nlp.build.measured import scale_parts, take_score_points
from criteria_nlp.build.pairs import by_side
from criteria_nlp.build.sides import bare_side
from criteria_nlp.build.state import BuildState, Named, cue_role
from criteria_nlp.build.subgroup_scope import (
    described_people,
    for_section,
    gather_last,
    gathered,
    is_trailing_subgroup,
    restated_bound,
    subgroup_after,
    with_described,
)
from criteria_nlp.build.trailing import comparator_after_name
from criteria_nlp.build.variables import (
    check_unknown_unit,
    count_after,
    counted_after,
    graded,
    implied_variable,
    is_duration,
    names_other,
    unit_fitting,
)
from criteria_nlp.grammar import Chunk, ConstraintChunk, Piece, ProseChunk, Threshold, VariableMention, WindowChunk
from criteria_nlp.ir import All, Any_, Conditional, Diagnostic, Node, Not, Unparsed

READER = "thresholds"
_PAIR_READINGS = {
    "either": "a lower bound that excludes: either value over its own bound meets it (any)",
    "both": "an upper bound that is required, or an equality: both values must meet theirs (all)",
    "agree": (
        "decided only where both values agree (both meet theirs: met; neither: not met); one value on each side is"
        " unknown, as 'both' and 'either' are each meant somewhere (a pair defining a condition in brackets is read"
        " as its definition: see definition-reading)"
    ),
}


@dataclass
class _Run:
    """The thresholds read so far in the clause, and what the last one was."""

    variables: tuple[VariableMention, ...]  # a permission restates thresholds of the clause it relaxes
    chunk_index: int
    operator: str | None = None
    unit: str | None = None  # the unit of the last threshold, as normalised
    nodes: list[Node] = field(default_factory=list)
    either_joins: list[bool] = field(default_factory=list)  # per node: joined to the ones before it by "or"
    node_index: int = -1


def read_thresholds(state: BuildState) -> None:
    run = _Run(state.inherited, -1 if state.inherited else -10)
    for index, chunk in enumerate(state.chunks):
        if isinstance(chunk, ConstraintChunk):
            _read_one(state, run, index, chunk)
    if not run.nodes:
        return
    # "creatinine ≤ 1.5 mg/dL or creatinine clearance ≥ 50 mL/min": thresholds joined by "or" need only one
    result = run.nodes[0]
    for previous, node, joined_by_or in zip(run.nodes, run.nodes[1:], run.either_joins[1:], strict=False):
        # "ASA I, ASA II or ASA III": a variable repeated per value cannot take two values at once
        either = joined_by_or or different_values(previous, node)
        span = result.span.cover(node.span)
        result = Any_(span=span, children=(result, node)) if either else All(span=span, children=(result, node))
    state.numeric = for_section(state, result)


def _read_one(state: BuildState, run: _Run, index: int, chunk: ConstraintChunk) -> None:
    if state.count_span is not None and chunk.span.end <= state.count_span.end:  # taken by reader "counts"
        return
    grade = None if chunk.variables else graded(state, index)
    thresholds = _thresholds(state, run, index, chunk, grade is not None)
    if thresholds is None:
        return
    variables = unit_fitting(state, index, chunk.variables, thresholds)
    if grade is not None:
        variables, thresholds = (grade[0],), [with_scale(t, grade[1]) for t in thresholds]
    between = state.chunks[run.chunk_index + 1 : index] if run.chunk_index >= -1 else []
    # "≤ 1.5 × ULN (patients with Gilbert's syndrome ≤ 3 × ULN)": a subgroup's own threshold of the same variable
    after = state.chunks[index + 1] if index + 1 < len(state.chunks) else None
    subgroup = subgroup_before(state, between, after) if not variables and run.variables and run.nodes else None
    found = _variables_of(state, run, index, chunk, variables, thresholds, between)
    if found is None:
        return
    variables, inherited, earlier = found
    variables = change_of(state, scale_parts(state, variables), chunk.span.start)
    directed = toward(state, index, variables, thresholds)  # "NYHA class II or better"
    if directed is None:
        state.place(chunk, READER, "unparsed")
        state.unplaced.append(direction_unknown(state, chunk, index))
        return
    thresholds = directed
    take_score_points(state, index, thresholds)
    check_unknown_unit(state, chunk, thresholds)
    condition = condition_after(state, index, restating=inherited) or subgroup or condition_before(state, index)
    condition = condition or subgroup_after(state, index, inherited)  # "… in patients with CKD and ≤ 2 mg/dL in …"
    remember(state, chunk, thresholds, condition)
    others = complement_after(state, index) if condition is None and len(thresholds) == 1 else None
    for_people = condition is None and run.node_index == len(run.nodes) - 1 >= 0 and people_subgroup(state, between)
    aged = not (for_people or condition is not None or not run.nodes) and [v.id for v in variables] == ["age"]
    described = described_people(state, between, run.nodes[-1]) if aged else None  # "… in women over 50"
    if run.nodes:
        _take_joining(state, between, chunk)
    else:
        for c in between:  # the words before the clause's first threshold (a permission restating the one before)
            if isinstance(c, ProseChunk):
                state.take(c.piece, READER, cue_role(c.piece, "connective"))
    negation = negation_before(state, index)
    excluding = (state.section == "exclusion") != (negation is not None)  # "No BP < 90/60" must be absent
    node = by_side(
        threshold_node(state.known, variables, thresholds, chunk.span, chunk.either), chunk, state.document, excluding
    )
    _note_pair(state, node, thresholds, excluding)
    if condition is not None and _relaxed(thresholds):
        # "ALT ≤ 3 × ULN or ≤ 5 × ULN in case of liver metastases": the second threshold is the subgroup's
        general, relaxed = (threshold_node(state.known, variables, [t], chunk.span) for t in thresholds)
        node = Conditional(span=chunk.span.cover(condition.span), when=condition, then=relaxed, otherwise=general)
        condition = None
    state.place(chunk, READER)
    if negation is not None:
        node = Not(span=negation.span.cover(chunk.span), child=node)
    if others is not None:
        if _otherwise(state, run, node, others, inherited):
            run.chunk_index = index
            return
        node = for_everyone_else(state, node, others, earlier.condition if earlier is not None else None)
    if described is not None and run.node_index == len(run.nodes) - 1:
        # "Hb ≥ 10 g/dL in post-menopausal women over 50": the people the age describes, with their sex and state
        run.nodes[-1], node = with_described(described, run.nodes[-1], node)
        for_people = True
    if for_people:
        # "CrCl ≥ 60 mL/min, or ≥ 45 mL/min for participants aged 70 or older": whom the threshold before applies to
        gather_last(state, run.nodes, run.either_joins, node)  # "SBP < 150 and DBP < 90 mmHg in persons aged …"
        run.nodes[-1] = _for_subgroup(state, node, run.nodes[-1])
        run.chunk_index = index
        return
    restated = (
        condition is not None and bool(run.variables) and {v.id for v in variables} == {v.id for v in run.variables}
    )
    if condition is not None and not (inherited or restated) and is_trailing_subgroup(state, condition, node):
        node = gathered(state, run.nodes, run.either_joins, node, condition)  # "… and DBP < 90 mmHg in women"
    _add(run, node, chunk, condition, between, joined=(inherited or restated))
    run.variables = variables
    run.operator = thresholds[-1].operator
    run.unit = first_unit(thresholds)
    run.node_index = len(run.nodes) - 1
    run.chunk_index = index


def _variables_of(
    state: BuildState,
    run: _Run,
    index: int,
    chunk: ConstraintChunk,
    variables: tuple[VariableMention, ...],
    thresholds: list[Threshold],
    between: list[Chunk],
) -> tuple[tuple[VariableMention, ...], bool, Named | None] | None:
    """The threshold's variables (its own, inherited from the threshold before, implied, or an earlier clause's),
    whether they were inherited, and the earlier clause's threshold they came from; None: no variable (or a count,
    read here as an alternative of the threshold before)."""
    if not variables and _count_alternative(state, run, index, chunk, thresholds, between):
        return None
    inherited = (
        not variables
        and _continues(state, run, index, between)
        and not is_duration(state, thresholds, run.variables)
        and not names_other(state, thresholds, run.variables, run.unit)
        and not _counts(state, index, thresholds)
    )
    if inherited:
        return run.variables, True, None
    if variables:
        return variables, False, None
    implied = _implied(state, index, chunk, thresholds)
    if implied is None:
        return None
    if isinstance(implied, Named):
        # the variable named in an earlier clause: its name as written there, at this threshold's place
        return (replace(implied.variable, span=thresholds[0].span),), False, implied
    return (implied,), False, None


def _take_joining(state: BuildState, between: list[Chunk], chunk: ConstraintChunk) -> None:
    """Take the words that join two thresholds: connectives (CONJ cues of cues.tsv: "and", "or", "as well as"),
    punctuation, fillers and cues. A word that says something ("diabetes", "without transfusion") is left to the
    readers after this one: a concept is read as a concept, a negation cue negates what follows it, and any other
    word is reported by the leftovers; taken as a connective it would vanish and the thresholds alone would decide.
    The words right before a threshold with no variable of its own are its subgroup, its variable's name or what
    it measures ("QTc - interval < 440 ms", "females < 120 g/L"): the readings of those take them."""
    prose = [c.piece for c in between if isinstance(c, ProseChunk)]
    named = _naming_run(prose) if not chunk.variables else []
    for k, piece in enumerate(prose):
        label = piece.text.isdigit() and k + 1 < len(prose) and prose[k + 1].text == ")"  # "≥ 18 years 2) ECOG …"
        if _joins(piece) or label or any(piece is p for p in named):
            state.take(piece, READER, cue_role(piece, "connective"))


def _naming_run(prose: list[Piece]) -> list[Piece]:
    """The words right before the threshold, back to the first connective, comma or negation."""
    run: list[Piece] = []
    for piece in reversed(prose):
        if "CONJ" in piece.kinds or piece.text in (",", ";", "(", ")") or "NEG" in piece.kinds:
            break
        run.insert(0, piece)
    return run


def _joins(piece: Piece) -> bool:
    kinds = piece.kinds
    if "CONJ" in kinds:
        return True
    return "NEG" not in kinds and "CONCEPT" not in kinds and not is_content(piece)


def _otherwise(state: BuildState, run: _Run, node: Node, others: list[Piece], inherited: bool) -> bool:
    """ "≥ 10 g/dL for men or ≥ 12 g/dL for all others": the threshold before, for a subgroup, gets ``node`` as
    what everyone else must meet (False: there is no such threshold right before)."""
    last = run.nodes[-1] if run.nodes and run.node_index == len(run.nodes) - 1 else None
    if not inherited or not isinstance(last, Conditional) or last.otherwise is not None:
        return False
    whom = for_everyone_else(state, node, others, None)  # takes the words; its unread condition is not used
    run.nodes[-1] = last.model_copy(update={"otherwise": node, "span": last.span.cover(whom.span)})
    return True


def _note_pair(state: BuildState, node: Node, thresholds: list[Threshold], excluding: bool) -> None:
    """ "BP > 140/90 mmHg": say which reading of the pair was made (the trace shows it as "any of" / "all of")."""
    if not isinstance(node, All | Any_) or not thresholds or thresholds[0].pair is None:
        return
    how = _PAIR_READINGS[pair_reading(thresholds[0], excluding)]
    if how.startswith("decided"):
        side = "a lower bound that is required" if thresholds[0].low is not None else "an upper bound that excludes"
        how = f"{side}: {how}"
    written = thresholds[0].span.slice(state.document)
    state.diagnostics.append(
        Diagnostic(code="pair-reading", severity="info", message=f"{written!r} read as {how}", span=node.span)
    )


def _for_subgroup(state: BuildState, subgroup: Node, last: Node) -> Node:
    """The last threshold applies to ``subgroup``; an alternative before it ("≥ 60, or ≥ 45 … for …") applies to
    everyone else. A lone threshold is met by others (a requirement) or concerns only the subgroup (an exclusion)."""
    span = last.span.cover(subgroup.span)
    if (isinstance(last, Any_) and len(last.children) == 2) or restated_bound(last):
        return Conditional(span=span, when=subgroup, then=last.children[1], otherwise=last.children[0])
    if state.section == "exclusion":
        return All(span=span, children=(subgroup, last))
    return Conditional(span=span, when=subgroup, then=last, otherwise=None)


def _relaxed(thresholds: list[Threshold]) -> bool:
    """Two thresholds that bound the same side ("≤ 3 × ULN or ≤ 5 × ULN"): one relaxes the other."""
    if len(thresholds) != 2:
        return False
    sides = {(t.operator or "")[:1] for t in thresholds}
    return len(sides) == 1 and sides <= {"<", ">"}


def _thresholds(
    state: BuildState, run: _Run, index: int, chunk: ConstraintChunk, grade: bool
) -> list[Threshold] | None:
    """The chunk's thresholds that are thresholds of something (a bare number is none), units carried over."""
    if broken_chain(state, index):  # "65 = age = 18": a comparator lost that cannot be told, no half reading
        start = state.chunks[index - 2]
        assert isinstance(start, ConstraintChunk)  # the chain's shape held
        state.place(start, READER, "unparsed")
        state.place(chunk, READER, "unparsed")
        comparator = state.chunks[index - 1]
        assert isinstance(comparator, ProseChunk)
        state.take(comparator.piece, READER, "comparator")
        state.unplaced.append(not_understood(state, start.span.cover(chunk.span), "a chain of comparators not read"))
        return None
    thresholds = [t for t in chunk.thresholds if t.explicit or chunk.variables or len(chunk.thresholds) > 1 or grade]
    if not thresholds and run.operator is not None and (bare_value_for_sex(state, index) or bare_side(state, index)):
        # "at least 60 kg for men and 48 kg for women": the bare value takes the comparator before it
        thresholds = [with_operator(t, run.operator) for t in chunk.thresholds]
    if not thresholds and chain_start(state, index):
        return None  # "20 ≤ Age < 80": the value is read with the chain's upper bound
    if not thresholds:  # "150 cm of height or greater": the comparator written after the variable's name
        thresholds = comparator_after_name(state, index, chunk) or []
    if not thresholds:
        if any(q is not None and q.unit for t in chunk.thresholds for q in (t.low, t.high)):
            # "stable for 2 weeks", "48 hours": a quantity that is no threshold is reported, not dropped
            state.place(chunk, READER, "unparsed")
            state.unplaced.append(
                not_understood(state, chunk.span, "a quantity with no variable or comparator it belongs to")
            )
        return None
    return with_lower_end(state, index, propagate_units(thresholds))  # "20 ≤ Age < 80": one range


def _continues(state: BuildState, run: _Run, index: int, between: list[Chunk]) -> bool:
    """Only words already read or fillers stand between this threshold and the last one, which had a variable."""
    sex = leading_sex(state, index)  # "…, females < 120 g/L": the sex does not part the two
    adjacent = run.chunk_index >= -1 and all(
        isinstance(c, ProseChunk)
        and (state.taken(c.piece) or not is_content(c.piece) or c is sex)
        and "VARIABLE" not in c.piece.kinds
        for c in between
    )
    return adjacent and bool(run.variables)


def _count_alternative(
    state: BuildState, run: _Run, index: int, chunk: ConstraintChunk, thresholds: list[Threshold], between: list[Chunk]
) -> bool:
    """ "Estradiol > 4000 pg/ml or more than 20 oocytes": a count written as an alternative of the threshold before
    is no bound of its variable; it stays an unread alternative of it (any of the two), so the threshold alone never
    decides. False when the threshold is no such count."""
    if not run.nodes or run.node_index != len(run.nodes) - 1 or not run.variables:
        return False
    prose = [c.piece for c in between if isinstance(c, ProseChunk)]
    if len(prose) != len(between) or not any(_says_or(p) for p in prose):
        return False
    if any(not (_says_or(p) or state.taken(p) or not is_content(p)) or "VARIABLE" in p.kinds for p in prose):
        return False
    count = count_after(state, index, first_unit(thresholds), concepts=True)
    if count is None:
        return False
    state.place(chunk, READER, "unparsed")
    for piece in prose:
        state.take(piece, READER, cue_role(piece, "connective"))
    previous = run.nodes[-1]
    run.nodes[-1] = Any_(span=previous.span.cover(count.span), children=(previous, count))
    run.chunk_index = index
    return True


def _counts(state: BuildState, index: int, thresholds: list[Threshold]) -> bool:
    """ "… or more than 20 oocytes": the number counts the word after it, no bound of the variable before ("<26
    -inclusive" counts nothing)."""
    counted = counted_after(state, index, first_unit(thresholds), concepts=True)
    return counted is not None and counted.text[:1].isalpha()


def _says_or(piece: Piece) -> bool:
    """ "or", and the "or more" of "or more than 20 oocytes" (a comparator after a value that joins a count)."""
    return is_or(piece) or ("CMP_POST" in piece.kinds and piece.lower.split()[0] == "or")


def _implied(
    state: BuildState, index: int, chunk: ConstraintChunk, thresholds: list[Threshold]
) -> VariableMention | Named | None:
    """The variable a threshold implies, or the one of an earlier clause's threshold its unit fits; a duration or a
    count is put aside (None), a threshold of nothing reported."""
    implied = implied_variable(state, index, thresholds)
    if implied is None:
        earlier = earlier_variable(state, chunk, thresholds) if any(t.explicit for t in thresholds) else None
        if earlier is not None:
            return earlier
        if any(t.explicit for t in thresholds):
            # "≥ 5 ppm CO": a threshold whose variable is not found is reported, not dropped
            state.place(chunk, READER, "unparsed")
            state.unplaced.append(not_understood(state, chunk.span, "a threshold with no variable it applies to"))
        return None
    if isinstance(implied, WindowChunk):
        state.durations.append(implied)
        return None
    if isinstance(implied, Unparsed):
        state.unplaced.append(implied)
        return None
    return implied


def _joined_by_or(between: list[Chunk]) -> bool:
    """Is this threshold an alternative of the one before? An "or" between them says so, unless words come after it
    and an "and" after those ("< 1.5 mg/dL or <words>, and age ≥ 18"): the "or" joined the words, the "and" this."""
    either = False
    for chunk in between:
        if not isinstance(chunk, ProseChunk):
            continue
        piece = chunk.piece
        if is_or(piece):
            either, words_after = True, False
        elif either and piece.kinds.get("CONJ") == "and" and words_after:
            either = False
        elif either and is_content(piece) and "CONJ" not in piece.kinds:
            words_after = True
    return either


def _add(
    run: _Run, node: Node, chunk: ConstraintChunk, condition: Node | None, between: list[Chunk], joined: bool
) -> None:
    """Add a threshold node to the run, combined with the last one when it continues it."""
    nodes = run.nodes
    either = _joined_by_or(between)
    if joined and nodes and run.node_index == len(nodes) - 1:
        previous = nodes[-1]
        span = previous.span.cover(chunk.span)
        if condition is not None:
            nodes[-1] = Conditional(span=span, when=condition, then=node, otherwise=previous)
        elif either or admit_no_value_together(previous, node):
            # "Systolic blood pressure < 90 mmHg, or > 160 mmHg": the second threshold is an alternative;
            # "Adults older than 45 and children younger than 18 years": two groups, not one empty range
            nodes[-1] = Any_(span=span, children=(previous, node))
        else:
            merged = merge_bounds(previous, node)
            nodes[-1] = merged if merged is not None else All(span=span, children=(previous, node))
        return
    if condition is not None:
        node = Conditional(span=chunk.span, when=condition, then=node, otherwise=None)
    nodes.append(node)
    run.either_joins.append(either)
