"""Reader "requirements" ("pneumonitis that required steroids") and the one-reading-per-word rule of the concepts
reader (a concept taken as a threshold's variable mention is no presence besides it)."""

from __future__ import annotations

from typing import Any

import pytest

from criteria_nlp import parse_criteria, parse_criterion
from criteria_nlp.build import READERS, BuildState, Ledger
from criteria_nlp.build.clauses import split_clauses
from criteria_nlp.build.requirements import read_requirements
from criteria_nlp.grammar import parse_chunks, pieces_of
from criteria_nlp.ir import Presence, Section, walk
from criteria_nlp.ir.logic import Truth
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.pipeline import default_parser
from criteria_nlp.screen import screen
from criteria_nlp.sources.own_json import OWN_JSON
from criteria_nlp.text.nlp import annotate

PNEUMONITIS = {"id": "c1", "system": "http://hl7.org/fhir/sid/icd-10", "code": "J70.4", "clinical_status": "active"}
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PREDNISONE = {"id": "m1", "system": RXNORM, "code": "8640", "display": "prednisone"}


def state_of(text: str, section: Section = "inclusion") -> BuildState:
    """The BuildState of the first clause of ``text``; no reader has run."""
    parser = default_parser()
    (doc,) = annotate(parser.nlp, [text])
    chunks, _ = parse_chunks(pieces_of(doc))
    return BuildState(split_clauses(chunks)[0].chunks, section, text, parser.lexicon, Ledger(), [])


def _taken_as(state: BuildState, text: str) -> tuple[str, str] | None:
    return next(((reader, role) for piece, reader, role in state.ledger.entries.values() if piece.text == text), None)


def _outcome(text: str, section: str, **records: list[dict[str, Any]]) -> tuple[Truth, str]:
    data = {"id": "p", "birth_date": "1970-01-01", "sex": "female", "conditions_complete": True}
    data |= {"medications_complete": True, "procedures_complete": True, **records}
    patient = OWN_JSON.read(data, source="p", strict=False, validate=False, lexicon=load_lexicon())
    header = "Inclusion Criteria:" if section == "inclusion" else "Exclusion Criteria:"
    result = screen(parse_criteria(f"{header}\n{text}\n"), patient, index_date="2026-06-01")
    return result.criteria[0].outcome, result.explain()


def test_the_reader_alone_takes_the_requirement_and_holds_its_concepts() -> None:
    state = state_of("Pneumonitis that required steroids", "exclusion")
    read_requirements(state)
    (head,) = state.requirements
    assert state.requirements[head] == "that required steroids"
    assert _taken_as(state, "required") == ("requirements", "detail")
    steroids = next(p for p in state.prose if p.text == "steroids")
    assert steroids.index in state.ledger.held_concepts


def test_no_condition_before_the_verb_leaves_the_words_to_the_others() -> None:
    state = state_of("Patients requiring supplemental oxygen", "exclusion")
    read_requirements(state)
    assert not state.requirements and not state.ledger.entries


@pytest.mark.parametrize(
    ("medications", "conditions", "expected"),
    [
        ([PREDNISONE], [], Truth.FALSE),  # steroids alone: no pneumonitis, not excluded
        ([PREDNISONE], [PNEUMONITIS], Truth.UNKNOWN),  # nothing links the steroid to the pneumonitis
        ([], [PNEUMONITIS], Truth.UNKNOWN),  # a pneumonitis record cannot say what it required
        ([], [], Truth.FALSE),
    ],
)
def test_a_requirement_never_makes_the_leaf_true(
    medications: list[dict[str, Any]], conditions: list[dict[str, Any]], expected: Truth
) -> None:
    outcome, explanation = _outcome(
        "Pneumonitis that required steroids", "exclusion", medications=medications, conditions=conditions
    )
    assert outcome is expected, explanation
    if expected is Truth.UNKNOWN and conditions:
        assert "that required steroids" in explanation


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Pneumonitis that required steroids", "corticosteroids"),
        ("Hypersensitivity to aspirin", "aspirin"),
        ("Allergy or hypersensitivity to aspirin", "aspirin"),  # the restatement's object goes to the one presence
    ],
)
def test_the_concepts_named_in_a_requirement_keep_their_ids_on_the_presence(text: str, named: str) -> None:
    criterion = parse_criterion(text, section="exclusion")
    (presence,) = [n for n in walk(criterion.expression) if isinstance(n, Presence)]
    assert [c.id for c in presence.concepts] == [named]
    assert presence.concept.id != named
    assert f'"concepts":[{{"id":"{named}"' in criterion.model_dump_json()


def test_the_concepts_of_a_requirement_never_decide() -> None:
    # the patient takes aspirin and has no allergy: the aspirin kept on the presence must not make it true
    aspirin = {"id": "m1", "system": RXNORM, "code": "1191", "display": "aspirin"}
    outcome, explanation = _outcome("Hypersensitivity to aspirin", "exclusion", medications=[aspirin])
    assert outcome is Truth.FALSE, explanation


def test_the_qualified_condition_is_narrower_than_its_id() -> None:
    criterion = parse_criterion("Infection requiring IV antibiotics", section="exclusion")
    (presence,) = [n for n in walk(criterion.expression) if isinstance(n, Presence)]
    assert presence.concept.broader and presence.concept.detail == "requiring IV antibiotics"


@pytest.mark.parametrize(
    ("text", "mention"),
    [("Fever of 38.5 °C or higher", "Fever"), ("Hearing loss > 40 dB", "Hearing loss")],
)
def test_a_concept_taken_as_a_variable_mention_is_no_presence(text: str, mention: str) -> None:
    criterion = parse_criterion(text, section="inclusion")
    assert not [n for n in walk(criterion.expression) if isinstance(n, Presence)]
    state = state_of(text)
    for reader in READERS:
        if not state.done:
            reader(state)
    assert _taken_as(state, mention) == ("thresholds", "variable")
