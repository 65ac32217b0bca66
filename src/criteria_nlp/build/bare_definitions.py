"""A condition defined by a bracketed threshold with no variable of its own ("anemia (< 9 g/dL)", "obesity (≥ 30
kg/m2)", "neutropenia defined as < 1,500/µL"): part of the reader "definitions", issue 11 mechanism 5.

The thresholds reader names such a threshold after the words before it, the condition ("'anemia' < 9 g/dL"): an
unknown variable no patient record has, and the condition itself lost. Here the variable is the one the condition
is defined by (``corpora/lexicon/defined_conditions.tsv``: anaemia is a haemoglobin, low) and the condition is kept
as a written definition keeps it (:func:`~criteria_nlp.build.definitions.define`: in an exclusion a record of the
condition without a value inside the definition is unknown; in an inclusion both are required). Each threshold of
a list is read on its own ("anemia (< 9 g/dL) or fever" stays a list of alternatives): in a list with conditions
beside the thresholds by :mod:`~criteria_nlp.build.defined_lists`, with :func:`bare_definition`.

Read only where nothing can be read wrongly: the condition is written right before "(" or a definition cue, with
qualifiers only before it ("severe anemia"); the bracket holds that one threshold and nothing else; the threshold's
unit fits the variable (a threshold with no unit only when one variable is listed); it points to the condition's
side ("anemia (> 12 g/dL)" is left as written); the clause has no negation and no other condition beside its
thresholds (read by the other readings); in an exclusion, thresholds joined by "and" are all definitions (then
each excludes alone, as the reader "lists" joins conditions). Anything else keeps the thresholds reader's reading.
"""

from __future__ import annotations

from collections.abc import Callable

from criteria_nlp.build.common import concept_ref
from criteria_nlp.build.state import BuildState
from criteria_nlp.errors import CriteriaError
from criteria_nlp.grammar import ConstraintChunk, Piece, ProseChunk
from criteria_nlp.ir import All, Any_, Comparison, Node, Presence, ReferenceMultiple, VariableRef
from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.defined_conditions import DefinedCondition, defined_conditions
from criteria_nlp.knowledge.words import words

READER = "definitions"
_CUES = words("definition_cue")
_SIDE_OF = {"<": "low", "<=": "low", ">": "high", ">=": "high"}

# (state, condition, its threshold, read as an exclusion) -> the reading, as definitions.define makes it
Define = Callable[[BuildState, Node, Node, bool], Node]


def read_bare_definitions(state: BuildState, define: Define) -> bool:
    """Put each bracketed threshold named after a condition of ``defined_conditions.tsv`` on the condition's
    variable, with the condition kept; False, nothing changed, when there is none."""
    numeric = state.numeric
    # "bradycardia (< 50/min), syncope or heart block": the clause joins its thresholds and its conditions with
    # "all" (an exclusion needing every item); such a list is read item by item in defined_lists (bare_definition)
    if numeric is None or state.concepts is not None or state.in_negation or state.prefix_negations:
        return False
    if any("NEG" in p.kinds for p in state.prose):
        return False
    read = _rewrite(state, numeric, define)
    if read is numeric:
        return False
    state.numeric = read
    return True


def _rewrite(state: BuildState, node: Node, define: Define) -> Node:
    if isinstance(node, All | Any_):
        children = tuple(_rewrite(state, child, define) for child in node.children)
        read = [new is not old for new, old in zip(children, node.children, strict=True)]
        if not any(read):
            return node
        if isinstance(node, All) and state.section == "exclusion":
            if not all(read):
                return node  # "anemia (< 9 g/dL) and ALT > 3 x ULN": which items exclude alone is not known
            # each condition of an exclusion's list excludes alone, as the reader "lists" joins them
            return Any_(span=node.span, children=children)
        return node.model_copy(update={"children": children})
    if isinstance(node, Comparison | ReferenceMultiple):
        return _defined(state, node, define) or node
    return node


def _defined(state: BuildState, node: Comparison | ReferenceMultiple, define: Define) -> Node | None:
    """The definition reading of one threshold, or None when it is not one (see the module's text)."""
    mention = [p for p in state.prose if node.variable.span.start <= p.char_start < node.variable.span.end]
    if not mention:
        return None
    condition = mention[-1]
    found = _between(state, condition, node)
    if found is None:
        return None
    between, chunk = found
    read = bare_definition(state, node, chunk)
    if read is None:
        return None
    for piece in between:
        state.ledger.entries[piece.index] = (piece, READER, "connective")
    return define(state, *read, False)


def bare_definition(
    state: BuildState, node: Comparison | ReferenceMultiple, chunk: ConstraintChunk
) -> tuple[Presence, Node] | None:
    """The condition the thresholds reader took as the name of ``node``'s variable (written just before its chunk,
    which holds it alone) and ``node`` on the variable the condition is defined by; None when it is not one (see
    the module's text). The condition's words are taken as the condition; the words around the threshold are the
    caller's to take."""
    mention = [p for p in state.prose if node.variable.span.start <= p.char_start < node.variable.span.end]
    if not mention or "CONCEPT" not in mention[-1].kinds or any("QUAL" not in p.kinds for p in mention[:-1]):
        return None
    condition = mention[-1]
    row = _row(condition)
    if row is None or _SIDE_OF.get(node.operator) != row.side or not _one_threshold(chunk, node):
        return None
    variable = _variable(state, node, row)
    if variable is None or (node.variable.id and node.variable.id != variable):
        return None  # "Fever (> 38 °C)" is already the temperature: the condition is kept all the same
    qualifiers = tuple(p.kinds["QUAL"] for p in mention[:-1])
    # the thresholds reader took these words as the variable's name: they are the condition and its definition's
    for piece in mention[:-1]:
        state.ledger.entries[piece.index] = (piece, READER, "qualifier")
    state.ledger.entries[condition.index] = (condition, READER, "concept")
    presence = Presence(span=node.variable.span, concept=concept_ref(state, condition, qualifiers))
    ref = VariableRef(id=variable, mention=node.variable.mention, span=node.variable.span)
    return presence, node.model_copy(update={"variable": ref, "span": chunk.span})


def may_define(state: BuildState, node: Node) -> bool:
    """Could ``node`` be a bare definition of the condition the thresholds reader took as its variable's name
    ("Bradycardia (< 50/min)": a condition of ``defined_conditions.tsv``, the comparator on its side)? A pure test,
    for readers that run before the definitions reader and must leave such a threshold to it."""
    if not isinstance(node, Comparison | ReferenceMultiple) or node.variable.id is not None:
        return False
    mention = [p for p in state.prose if node.variable.span.start <= p.char_start < node.variable.span.end]
    if not mention or "CONCEPT" not in mention[-1].kinds:
        return False
    row = _row(mention[-1])
    return row is not None and _SIDE_OF.get(node.operator) == row.side


def _row(condition: Piece) -> DefinedCondition | None:
    table = defined_conditions()
    for form in (condition.kinds["CONCEPT"], condition.lower, condition.lower.rsplit(" ", 1)[-1]):
        if form in table:
            return table[form]
    return None


def _variable(state: BuildState, node: Comparison | ReferenceMultiple, row: DefinedCondition) -> str | None:
    """The first variable of the row the threshold's unit fits; with no unit, the row's only variable."""
    known = [v for v in row.variables if v in state.known.variables]
    unit = node.quantity.unit_normalized if isinstance(node, Comparison) else None
    if unit is None:
        return known[0] if len(known) == 1 == len(row.variables) else None
    for variable in known:
        entry = state.known.variables[variable]
        try:
            if entry.unit and units.compatible(unit, entry.unit, molar_mass=entry.molar_mass, analyte=entry.id):
                return variable
        except CriteriaError:
            continue
    return None


def _between(state: BuildState, condition: Piece, node: Node) -> tuple[list[Piece], ConstraintChunk] | None:
    """The words from the condition to its threshold: "(" with ")" right after the threshold, or commas and one
    definition cue; None for anything else. The threshold's chunk holds one threshold and no variable of its own."""
    chunks = state.chunks
    at = next((i for i, c in enumerate(chunks) if isinstance(c, ProseChunk) and c.piece is condition), None)
    if at is None:
        return None
    found = next((i for i in range(at + 1, len(chunks)) if not isinstance(chunks[i], ProseChunk)), None)
    chunk = chunks[found] if found is not None else None
    if found is None or not isinstance(chunk, ConstraintChunk):
        return None
    between = [c.piece for c in chunks[at + 1 : found] if isinstance(c, ProseChunk)]
    texts = [p.lower for p in between]
    if texts == ["("]:
        after = chunks[found + 1] if found + 1 < len(chunks) else None
        if isinstance(after, ProseChunk) and after.piece.text == ")":
            return [*between, after.piece], chunk
        return None
    cues = [t for t in texts if t in _CUES]
    return (between, chunk) if len(cues) == 1 and all(t in _CUES or t in (",", ":") for t in texts) else None


def _one_threshold(chunk: ConstraintChunk, node: Node) -> bool:
    if chunk.variables or len(chunk.thresholds) != 1:
        return False
    threshold = chunk.thresholds[0]
    return threshold.explicit and threshold.pair is None and chunk.span.end == node.span.end
