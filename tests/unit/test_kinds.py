"""The registry of node kinds (criteria_nlp.ir.kinds) and the at_least kind it was shown with.

A node kind is added in one place; these tests check that the registry is complete, that an unknown kind fails
loudly everywhere it is dispatched on, and that at_least (k of n) is rendered, evaluated in three-valued logic,
explained, linted, counted in the status and written in the JSON Schema.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, get_args

import pytest

from criteria_nlp.ir import (
    KINDS,
    AtLeast,
    Comparison,
    CriteriaDocument,
    Criterion,
    Node,
    Presence,
    Quantity,
    Span,
    Truth,
    UnknownKindError,
    Unparsed,
    VariableRef,
    at_least_of,
    children_of,
    kind_of,
    leaves,
    rebuild,
    render,
    render_tree,
    status_of,
    walk,
)
from criteria_nlp.ir.nodes import ConceptRef, Frozen, NodeBase

SPAN = Span(start=0, end=1)


def _presence(concept: str) -> Presence:
    return Presence(span=SPAN, concept=ConceptRef(id=concept, mention=concept, span=SPAN))


def _at_least(count: int, *concepts: str) -> AtLeast:
    return AtLeast(span=SPAN, count=count, children=tuple(_presence(c) for c in concepts))


def test_every_node_model_has_exactly_one_kind() -> None:
    union = get_args(get_args(Node)[0])
    assert {model for model in union} == {kind.model for kind in KINDS.values()}
    for name, kind in KINDS.items():
        assert kind.model.model_fields["kind"].default == name


class _Stranger(NodeBase):
    """A node model nobody registered."""

    kind: str = "stranger"


@pytest.mark.parametrize(
    "use",
    [kind_of, children_of, render, render_tree, lambda n: list(walk(n)), status_of],
    ids=["kind_of", "children_of", "render", "render_tree", "walk", "status_of"],
)
def test_an_unregistered_kind_fails_loudly(use: Any) -> None:
    with pytest.raises(UnknownKindError, match="stranger"):
        use(_Stranger(span=SPAN))


def test_at_least_rejects_a_count_above_its_children_or_below_one() -> None:
    with pytest.raises(ValueError, match="count"):
        _at_least(3, "a", "b")
    with pytest.raises(ValueError):
        _at_least(0, "a", "b")


@pytest.mark.parametrize("count", [1, 2, 3])
def test_at_least_of_is_kleene_k_of_n(count: int) -> None:
    """True when at least k are true, false when more than n-k are false, unknown otherwise — for every input."""
    for values in itertools.product(list(Truth), repeat=3):
        true = sum(v is Truth.TRUE for v in values)
        false = sum(v is Truth.FALSE for v in values)
        expected = Truth.TRUE if true >= count else Truth.FALSE if false > 3 - count else Truth.UNKNOWN
        assert at_least_of(count, values) is expected, values


def test_at_least_of_one_and_of_all_agree_with_any_and_all() -> None:
    for values in itertools.product(list(Truth), repeat=3):
        assert at_least_of(1, values) is KINDS["any"].combine(None, values)[0]  # type: ignore[misc]
        assert at_least_of(3, values) is KINDS["all"].combine(None, values)[0]  # type: ignore[misc]


def test_at_least_renders_and_walks() -> None:
    node = _at_least(2, "stroke", "angina", "diabetes")
    assert render(node) == "at_least(2: present(stroke), present(angina), present(diabetes))"
    assert render_tree(node) == ["at least 2 of", "  present(stroke)", "  present(angina)", "  present(diabetes)"]
    assert [n.kind for n in walk(node)] == ["at_least", "presence", "presence", "presence"]
    assert len(list(leaves(node))) == 3
    assert status_of(node) == "computable"
    unparsed = Unparsed(span=SPAN, text="x", reason="r")
    assert status_of(AtLeast(span=SPAN, count=1, children=(_presence("a"), unparsed))) == "partial"


def test_rebuild_returns_the_same_object_when_nothing_changed() -> None:
    node = _at_least(2, "a", "b", "c")
    assert rebuild(node, children_of(node)) is node
    other = rebuild(node, (_presence("x"), *node.children[1:]))
    assert isinstance(other, AtLeast) and other.count == 2 and render(other).startswith("at_least(2: present(x)")


def test_at_least_is_in_the_json_schema_and_round_trips() -> None:
    schema = json.dumps(CriteriaDocument.model_json_schema())
    assert '"at_least"' in schema and "AtLeast" in schema
    node = _at_least(2, "a", "b", "c")
    criterion = Criterion(
        id="inc-1", section="inclusion", label="1", text="x", span=SPAN, expression=node, status="computable"
    )
    again = Criterion.model_validate_json(criterion.model_dump_json())
    assert again == criterion and isinstance(again.expression, AtLeast)


def test_at_least_children_are_neither_required_nor_sufficient_for_the_linter() -> None:
    from criteria_nlp.lint.context import leaves as _leaves

    found = list(_leaves(_at_least(2, "a", "b", "c")))
    assert len(found) == 3
    assert not any(leaf.conjunct or leaf.disjunct for leaf in found)
    one = list(_leaves(_at_least(1, "a", "b")))
    assert all(leaf.disjunct and not leaf.conjunct for leaf in one)


def test_flatten_reaches_inside_at_least() -> None:
    from criteria_nlp.check.passes import CheckContext, flatten
    from criteria_nlp.ir import All
    from criteria_nlp.knowledge.lexicon import load_lexicon

    inner = All(span=SPAN, children=(All(span=SPAN, children=(_presence("a"), _presence("b"))), _presence("c")))
    node = AtLeast(span=SPAN, count=1, children=(inner, _presence("d")))
    flat = flatten(node, CheckContext(load_lexicon()))
    assert render(flat) == "at_least(1: all(present(a), present(b), present(c)), present(d))"


def test_at_least_is_screened_with_its_deciding_leaves() -> None:
    from criteria_nlp.screen import screen
    from criteria_nlp.sources.patient import Condition, Patient

    def comparison(value: float) -> Comparison:
        variable = VariableRef(id="hemoglobin", mention="haemoglobin", span=SPAN)
        return Comparison(span=SPAN, variable=variable, operator=">=", quantity=Quantity(value=value, unit="g/dL"))

    expression = AtLeast(
        span=SPAN, count=2, children=(_presence("hypertension"), _presence("diabetes_mellitus"), comparison(9))
    )
    doc = CriteriaDocument(
        text="x",
        criteria=(
            Criterion(
                id="inc-1",
                section="inclusion",
                label="1",
                text="x",
                span=SPAN,
                expression=expression,
                status="computable",
            ),
        ),
    )
    one = Condition(id="c1", code="38341003", system="http://snomed.info/sct", text="Hypertension")
    two = Condition(id="c2", code="44054006", system="http://snomed.info/sct", text="Diabetes mellitus type 2")
    both = Patient(id="p", conditions=[one, two], conditions_complete=True)
    result = screen(doc, both, index_date="2026-11-01")
    trace = result.criteria[0].trace
    assert trace.kind == "at_least" and trace.outcome is Truth.TRUE and trace.label == "at least 2 of"
    assert result.decision == "eligible"
    assert "at least 2 of 3" in trace.sentence
    # one known condition, the other absent from a complete record, haemoglobin missing: 1 true, 1 false, 1 unknown
    only_one = Patient(id="q", conditions=[one], conditions_complete=True)
    result = screen(doc, only_one, index_date="2026-11-01")
    assert result.criteria[0].trace.outcome is Truth.UNKNOWN and result.decision == "needs_review"
    # no condition in a complete record: 2 false of 3, so 2 cannot be reached
    neither = Patient(id="r", conditions=[], conditions_complete=True)
    result = screen(doc, neither, index_date="2026-11-01")
    assert result.criteria[0].trace.outcome is Truth.FALSE and result.decision == "ineligible"
    assert "at least 2 of" in result.explain()


def test_frozen_models_are_frozen() -> None:
    node = _at_least(1, "a")
    assert isinstance(node, Frozen)
    with pytest.raises(ValueError):
        node.count = 2  # type: ignore[misc]


def test_parsed_criteria_carry_claims_that_are_neither_json_nor_equality() -> None:
    from criteria_nlp.pipeline import default_parser

    criterion = default_parser().parse_one("No ALT > 3 × ULN", claims=True)
    assert default_parser().parse_one("No ALT > 3 × ULN").claims == ()  # only on request: they cost parse time
    roles = {(claim.reader, claim.role) for claim in criterion.claims}
    assert ("thresholds", "comparator") in roles and any(role == "cue:negation" for _, role in roles)
    again = Criterion.model_validate_json(criterion.model_dump_json())
    assert again.claims == () and again == criterion and hash(again) == hash(criterion)
    assert "claims" not in criterion.model_dump_json()
