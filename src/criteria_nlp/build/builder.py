"""Stage 4: build the IR expression of one criterion from the grammar's chunks.

The grammar has parsed the numeric islands (thresholds, ranges, reference multiples, windows); what is left is
prose, which the readers of :data:`~criteria_nlp.build.readers.READERS` read, clause by clause, for the things
around the islands: implied variables ("18 years or older" is an age), concepts with their qualifiers and
negation, lists and their connectives, conditions ("if liver metastases are present"), sex, consent and judgement.
Words that none of them explains are kept as explicit ``unparsed`` nodes, so that nothing is silently dropped.

Section semantics: in the inclusion section a list joined by "and" means all of them; in the exclusion section
a list of conditions means any of them ("Pregnancy and breastfeeding women": either excludes). A negated list
("No serious infection or acute hemorrhage") means none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat

from criteria_nlp.build.clauses import split_clauses
from criteria_nlp.build.common import all_of, any_of, not_understood
from criteria_nlp.build.exceptions import take_exception_cue, with_exception
from criteria_nlp.build.lists import list_items_unread
from criteria_nlp.build.mentions import carry_mentions
from criteria_nlp.build.readers import READERS, plan
from criteria_nlp.build.state import BuildState, Ledger
from criteria_nlp.build.subgroups import split_subgroups
from criteria_nlp.grammar import Chunk, Piece, ProseChunk
from criteria_nlp.ir import (
    All,
    Any_,
    AtLeast,
    Claim,
    Comparison,
    Conditional,
    Diagnostic,
    Node,
    Not,
    Presence,
    Range,
    ReferenceMultiple,
    Section,
    Span,
    Unparsed,
    walk,
)
from criteria_nlp.knowledge.lexicon import Lexicon, load_lexicon


@dataclass
class BuildResult:
    expression: Node
    diagnostics: list[Diagnostic]
    ledger: Ledger
    pieces: Sequence[Piece]

    def claims(self) -> tuple[Claim, ...]:
        """The ledger as claims (made on request: most callers only need the expression)."""
        return self.ledger.claims(self.pieces)


class Builder:
    """Builds one criterion's expression at a time with the lexicon's look-ups."""

    def __init__(self, lexicon: Lexicon | None = None, *, skip_readers: bool = True) -> None:
        self.lexicon = lexicon or load_lexicon()
        # skip the readers whose trigger the clause lacks (readers.TRIGGERS); False asks every reader (the tests
        # compare both)
        self.skip_readers = skip_readers

    def build(
        self, chunks: Sequence[Chunk], section: Section, span: Span, document: str, pieces: Sequence[Piece] = ()
    ) -> BuildResult:
        """The expression of the criterion at ``span`` of ``document`` (the whole document text), and its ledger.

        ``pieces`` are the criterion's pieces the chunks were parsed from: the claims name the pieces inside the
        thresholds and windows the grammar parsed.
        """
        ledger = Ledger()
        diagnostics: list[Diagnostic] = []
        prose = [c.piece for c in chunks if isinstance(c, ProseChunk)]
        sexes = frozenset(p.kinds["SEX"] for p in prose if "SEX" in p.kinds)
        clauses = split_clauses(chunks, section, prose)
        whole = len(clauses) == 1 and len(clauses[0].chunks) == len(chunks)  # one clause: the criterion's prose
        states = [
            BuildState(
                clause.chunks,
                "inclusion" if clause.exception else section,  # an exception is read as a statement of the patient
                document,
                self.lexicon,
                ledger,
                diagnostics,
                permission=clause.permission,
                inherited=clause.inherited,
                subject=clause.subject,
                exception=clause.exception,
                sexes=sexes,
                _prose=prose if whole else None,
            )
            for clause in clauses
        ]
        expression = _criterion(states, section, span, document, self.skip_readers)
        expression = carry_mentions(expression, pieces, ledger, self.lexicon)
        return BuildResult(expression, diagnostics, ledger, pieces)


def read_clause(state: BuildState, skip: bool = True) -> Node | None:
    """The clause's reading: each reader in turn (``skip``: but those whose trigger the clause lacks), then what
    they found as one node (None: nothing to read)."""
    subgroups = split_subgroups(state)  # "Women of … and men with partners of …": read subgroup by subgroup
    if subgroups is not None:
        return subgroups.combine([read_clause(part, skip) for part in subgroups.parts])
    for reader, fields in plan(state, READERS) if skip else zip(READERS, repeat(None)):
        if fields is not None and not any(getattr(state, name) for name in fields):
            continue  # its trigger is a field a reader before it writes: not written
        reader(state)
        if state.done:
            if isinstance(state.result, Unparsed) and state.count_span is not None:
                # "At least two of the following additional criteria": nothing to count; the count is unread too
                span = state.count_span.cover(state.result.span)
                return state.result.model_copy(update={"span": span, "text": span.slice(state.document)})
            return state.result
    parts = _parts(state)
    if state.list_count is not None:
        counted = _at_least(state, state.list_count, parts)
        parts = [counted] if counted is not None else _parts(state)
    if state.sex_condition and state.sex is not None:
        # "Not pregnant for female subjects": the rest applies to that sex; others meet it
        return applies_to(state.sex, all_of(parts), state.section)
    return all_of(parts)


def _parts(state: BuildState) -> list[Node]:
    parts = state.parts()
    alternatives = state.alternatives
    if alternatives is not None:
        parts = [alternatives, *(p for p in parts if p is not state.numeric and p is not state.concepts)]
    items = list_items_unread(state, state.not_understood) if any(p is state.concepts for p in parts) else []
    if items:
        # "warfarin, heparin or novel agents": an item not read is one more alternative, not a further requirement
        parts = [any_of([p, *items]) if p is state.concepts else p for p in parts]
    parts.extend(n for n in state.not_understood if not any(n is item for item in items))
    return parts


def _at_least(state: BuildState, count: int, parts: list[Node]) -> Node | None:
    """ "At least 2 of A, B and C": the items however joined, of which ``count`` must hold (an item not understood
    counts as unknown). Fewer than two understood items, or fewer items than the count, leave the count itself not
    understood: it joins the numbers no one placed, and None is returned."""
    items = [item for part in parts for item in _items(part)]
    assert state.count_span is not None
    if len(items) < count or sum(not isinstance(item, Unparsed) for item in items) < 2:
        reason = f"a count of {count} over items that were not all read"
        state.unplaced.append(not_understood(state, state.count_span, reason))
        return None
    span = state.count_span
    for item in items:
        span = span.cover(item.span)
    if count == 1:
        return Any_(span=span, children=tuple(items))
    return AtLeast(span=span, count=count, children=tuple(items))


def _items(node: Node) -> list[Node]:
    if isinstance(node, All | Any_):
        return [item for child in node.children for item in _items(child)]
    return [node]


def _criterion(states: list[BuildState], section: Section, span: Span, document: str, skip: bool = True) -> Node:
    """The clauses' readings as the criterion's expression: subjects, permissions, and the section's joining."""
    nodes: list[Node] = []
    subject: Node | None = None
    for state in states:
        if state.exception and nodes:
            # "Known HIV infection, unless CD4 ≥ 350 cells/µL": narrows the last reading (by the section)
            cue = take_exception_cue(state)
            nodes[-1] = with_exception(state, nodes[-1], read_clause(state, skip), section, cue)
            continue
        node = read_clause(state, skip)
        if state.subject:
            subject = node
            continue
        if subject is not None:
            node = applies_to(subject, node, section) if node is not None else subject
            subject = None
        if node is None:
            continue
        if state.permission and nodes:
            # "Creatinine ≤ 1.5 mg/dL; patients with creatinine > 1.5 mg/dL are eligible if ...": relaxes the last
            nodes[-1] = _with_permission(state, nodes[-1], [node])
        elif state.permission:
            reason = 'a permission ("… are eligible if …") with no requirement before it to relax'
            nodes.append(not_understood(state, node.span, reason))
        else:
            nodes.append(node)
    if not nodes:
        return Unparsed(span=span, text=span.slice(document), reason="no variable, threshold or condition recognised")
    if len(nodes) == 1:
        return nodes[0]
    if section == "exclusion":
        return Any_(span=span, children=tuple(nodes))
    return All(span=span, children=tuple(nodes))


def applies_to(subject: Node, body: Node, section: Section) -> Node:
    """ "Women of childbearing potential must have a negative pregnancy test", "not pregnant for female
    subjects": the body applies to the subject; everyone else meets it (an exclusion stated this way concerns
    only the subject)."""
    span = subject.span.cover(body.span)
    if section == "exclusion":
        return All(span=span, children=(subject, body))
    return Conditional(span=span, when=subject, then=body, otherwise=None)


def _with_permission(state: BuildState, required: Node, permitted: list[Node]) -> Node:
    """A requirement relaxed by a permission.

    When the permission restates a threshold of a variable the requirement tests ("AST ≤ 2.5 × ULN (≤ 5 × ULN is
    acceptable with liver metastases)"), the criterion is met by either (an exclusion holds unless the
    permitted case does). Otherwise the permission is kept as text the engine does not apply, so that a patient
    it might concern goes to review instead of being decided by the requirement alone.
    """
    # within a permission a condition is part of what is permitted: "≤ 5 × ULN is acceptable with liver
    # metastases" permits the pair; a rule that holds when its condition does not would permit everything
    permission = all_of([_condition_required(p) for p in permitted])
    if _threshold_variables(required) & _threshold_variables(permission) or _restates_condition(required, permission):
        span = required.span.cover(permission.span)
        if state.section == "exclusion":
            return All(span=span, children=(required, Not(span=permission.span, child=permission)))
        return Any_(span=span, children=(required, permission))
    reason = 'a permission ("… is allowed", "… are eligible if …") the engine does not apply'
    note = not_understood(state, permission.span, reason)
    return All(span=required.span.cover(note.span), children=(required, note))


def _condition_required(node: Node) -> Node:
    if isinstance(node, Conditional) and node.otherwise is None:
        return All(span=node.span, children=(node.when, node.then))
    if isinstance(node, All):
        return node.model_copy(update={"children": tuple(_condition_required(c) for c in node.children)})
    return node


def _restates_condition(required: Node, permission: Node) -> bool:
    """ "Brain metastases; treated brain metastases are allowed if stable for 4 weeks": the permission names the
    condition the requirement tests (with what makes it permitted), so it narrows that condition."""
    permitted = {n.concept.id for n in walk(permission) if isinstance(n, Presence) and n.concept.id is not None}
    tested = {n.concept.id for n in walk(required) if isinstance(n, Presence) and n.concept.id is not None}
    return bool(permitted) and permitted <= tested


def _threshold_variables(node: Node) -> set[str]:
    return {
        n.variable.id
        for n in walk(node)
        if isinstance(n, Comparison | Range | ReferenceMultiple) and n.variable.id is not None
    }


__all__ = ["BuildResult", "Builder", "read_clause"]
