"""The builder's readers: each run alone on a BuildState made from a parsed criterion, and all of READERS against
the golden files of ``tests/golden/readers/<reader>.jsonl`` (one file per reader, same format as
``expression_cases.jsonl``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.build import READERS, BuildState, Ledger
from criteria_nlp.build.classes import read_classes
from criteria_nlp.build.clauses import split_clauses
from criteria_nlp.build.concepts import read_concepts, read_prefixes
from criteria_nlp.build.counts import read_counts
from criteria_nlp.build.leftovers import read_leftovers
from criteria_nlp.build.lists import read_lists, read_windows
from criteria_nlp.build.negation import read_negation
from criteria_nlp.build.not_computable import read_not_computable
from criteria_nlp.build.sex import read_sex
from criteria_nlp.build.thresholds import read_thresholds
from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.grammar import Piece, parse_chunks, pieces_of
from criteria_nlp.ir import Demographic, NotComputable, Range, Section, Unparsed, render
from criteria_nlp.knowledge.lexicon import cue_scopes
from criteria_nlp.knowledge.scale_classes import check_classes, scale_classes
from criteria_nlp.knowledge.scale_direction import check_directions
from criteria_nlp.knowledge.words import words
from criteria_nlp.pipeline import CriteriaParser, default_parser, parse_criterion
from criteria_nlp.text.nlp import annotate

GOLDEN = Path(__file__).parent.parent / "golden" / "readers"
NAMES = [reader.__name__.removeprefix("read_") for reader in READERS]


def _cases(name: str) -> list[dict[str, Any]]:
    path = GOLDEN / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _all_cases() -> list[tuple[str, dict[str, Any]]]:
    return [(name, case) for name in NAMES for case in _cases(name)]


def state_of(text: str, section: Section = "inclusion") -> BuildState:
    """The BuildState of the first clause of ``text``, parsed up to the grammar; no reader has run."""
    parser = default_parser()
    (doc,) = annotate(parser.nlp, [text])
    chunks, _ = parse_chunks(pieces_of(doc))
    clause = split_clauses(chunks)[0]
    return BuildState(clause.chunks, section, text, parser.lexicon, Ledger(), [])


def _piece(state: BuildState, text: str) -> Piece:
    return next(p for p in state.prose if p.text == text)


def _taken_as(state: BuildState, text: str) -> tuple[str, str] | None:
    for piece, reader, role in state.ledger.entries.values():
        if piece.text == text:
            return reader, role
    return None


# ---------------------------------------------------------------------------------------------- golden files
def test_every_reader_has_a_golden_file_with_five_cases() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.jsonl")) == sorted(NAMES)
    ids = [case["id"] for _, case in _all_cases()]
    assert len(ids) == len(set(ids))
    for name in NAMES:
        cases = _cases(name)
        assert len(cases) >= 5, name
        for case in cases:
            assert set(case) >= {"id", "section", "text", "expression", "why"}, case["id"]
            assert case["section"] in ("inclusion", "exclusion"), case["id"]


@pytest.mark.parametrize(
    ("reader", "case"), _all_cases(), ids=lambda item: item if isinstance(item, str) else item["id"]
)
def test_golden_reading(reader: str, case: dict[str, Any]) -> None:
    criterion = parse_criterion(case["text"], section=case["section"])
    assert render(criterion.expression) == case["expression"], f"{reader}: {case['why']}"


# ---------------------------------------------------------------------------------------------- readers alone
def test_thresholds_alone() -> None:
    state = state_of("Serum potassium ≥ 3.5 and ≤ 5.5 mmol/L")
    read_thresholds(state)
    assert isinstance(state.numeric, Range)
    assert [reader for _, reader, _ in state.ledger.chunks] == ["thresholds"]
    state = state_of("Haemoglobin at least 9 g/dL and platelets over 100,000/µL")
    read_thresholds(state)
    assert render(state.numeric) == "all(hemoglobin >= 9 g/dL, platelets > 100000 /µL)"  # type: ignore[arg-type]
    assert _taken_as(state, "and") == ("thresholds", "connective")


def test_thresholds_alone_read_an_age_and_a_condition() -> None:
    state = state_of("Adults of 18 years or older")
    read_thresholds(state)
    assert isinstance(state.numeric, Demographic) and state.numeric.attribute == "age"
    state = state_of("ALT ≤ 2.5 × ULN if liver metastases are present")
    read_thresholds(state)
    assert render(state.numeric) == "if present(liver_metastases) then alt <= 2.5 x ULN"  # type: ignore[arg-type]
    assert _taken_as(state, "if") == ("thresholds", "cue:condition")
    assert _taken_as(state, "liver metastases") == ("thresholds", "condition")
    assert state.ledger.held_concepts == {_piece(state, "liver metastases").index}
    # an exception is a clause of its own: the first clause ends before "unless"
    state = state_of("ALT ≤ 2.5 × ULN unless liver metastases are present")
    read_thresholds(state)
    assert render(state.numeric) == "alt <= 2.5 x ULN"  # type: ignore[arg-type]
    assert _taken_as(state, "unless") is None


def test_prefixes_alone() -> None:
    state = state_of("Non-smoking adults")
    read_prefixes(state)
    concept = next(p for p in state.prose if "CONCEPT" in p.kinds)
    assert state.prefix_negations[concept.index].text == "Non"
    assert _taken_as(state, "Non") == ("prefixes", "cue:negation")
    state = state_of("Anti-epileptic medication", "exclusion")
    read_prefixes(state)
    assert state.modifiers and len(state.unplaced) == 1
    assert "treatment against" in state.unplaced[0].reason


def test_concepts_alone() -> None:
    state = state_of("Severe active hepatitis B or C", "exclusion")
    read_concepts(state)
    assert [piece.kinds["CONCEPT"] for piece, _ in state.items] == ["hepatitis_b", "hepatitis_c"]
    assert _taken_as(state, "Severe") == ("concepts", "qualifier")
    assert _taken_as(state, "C") == ("concepts", "concept")
    assert state.concepts is None  # the lists reader makes the node


def test_negation_alone() -> None:
    for text, cue in (("No history of myocardial infarction", "No history of"), ("HIV test negative", "negative")):
        state = state_of(text)
        state.items = [(p, ()) for p in state.prose if "CONCEPT" in p.kinds]
        read_negation(state)
        assert state.in_negation == {piece.index for piece, _ in state.items}, text
        assert _taken_as(state, cue) == ("negation", "cue:negation"), text


def test_negation_alone_stops_at_a_scope_breaker() -> None:
    state = state_of("Without diabetes but with hypertension")
    state.items = [(p, ()) for p in state.prose if "CONCEPT" in p.kinds]
    read_negation(state)
    assert state.in_negation == {_piece(state, "diabetes").index}


def test_lists_alone() -> None:
    state = state_of("Pregnancy and breastfeeding", "exclusion")
    state.items = [(p, ()) for p in state.prose if "CONCEPT" in p.kinds]
    read_lists(state)
    assert render(state.concepts) == "any(present(pregnancy), present(breastfeeding))"  # type: ignore[arg-type]
    assert _taken_as(state, "and") == ("lists", "connective")


def test_windows_alone_report_every_window() -> None:
    state = state_of("Myocardial infarction within 6 months prior to screening", "exclusion")
    read_windows(state)  # no concept has taken the window
    (note,) = state.window_notes
    assert note.text.startswith("within 6 months")
    assert [(reader, role) for _, reader, role in state.ledger.chunks] == [("windows", "unparsed")]


def test_sex_alone() -> None:
    state = state_of("Female patients")
    read_sex(state)
    assert isinstance(state.sex, Demographic) and state.sex.sex == "female"
    assert _taken_as(state, "Female") == ("sex", "sex")
    state = state_of("Men and women")
    read_sex(state)
    assert state.sex is None and _taken_as(state, "Men and women") == ("sex", "sex")


def test_not_computable_alone() -> None:
    state = state_of("Signed informed consent before any study procedure")
    read_not_computable(state)
    assert state.done and isinstance(state.result, NotComputable) and state.result.category == "consent"
    assert all(state.taken(p) for p in state.prose)


def test_leftovers_alone() -> None:
    state = state_of("Adequate bone marrow function")
    read_leftovers(state)
    assert state.done and isinstance(state.result, Unparsed)
    assert state.result.text == "Adequate bone marrow function"
    assert _taken_as(state, "Adequate") == ("leftovers", "unparsed")


def test_leftovers_alone_beside_a_reading() -> None:
    state = state_of("ALT < 3 x ULN and adequate organ function")
    read_thresholds(state)
    read_leftovers(state)
    assert not state.done
    assert [u.text for u in state.not_understood] == ["adequate organ function"]


def test_alternatives_after_their_inputs() -> None:
    state = state_of("Serum creatinine > 2 mg/dL or dialysis", "exclusion")
    for reader in READERS:
        reader(state)
    assert render(state.alternatives) == "any(creatinine > 2 mg/dL, present(dialysis))"  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- the ledger
def test_a_piece_keeps_the_first_reader_that_took_it() -> None:
    state = state_of("No diabetes")
    piece = state.prose[0]
    state.take(piece, "negation", "cue:negation")
    state.take(piece, "leftovers", "unparsed")
    assert state.taken(piece) and _taken_as(state, "No") == ("negation", "cue:negation")


def test_claims_go_out_with_the_criterion() -> None:
    criterion = CriteriaParser(keep_claims=True).parse_one("No ALT > 3 × ULN; signed informed consent")
    roles = {(criterion.text[c.span.start : c.span.end], c.reader, c.role) for c in criterion.claims}
    assert ("ALT", "thresholds", "variable") in roles
    assert (">", "thresholds", "comparator") in roles
    assert ("No", "thresholds", "cue:negation") in roles
    assert ("informed consent", "not_computable", "consent") in roles
    assert [c.span.start for c in criterion.claims] == sorted(c.span.start for c in criterion.claims)
    assert "claims" not in criterion.model_dump_json()


def test_cue_direction_and_scope_are_data() -> None:
    scopes = {(c.phrase, c.kind): c for c in cue_scopes()}
    assert scopes["no", "NEG"].direction == "FORWARD" and scopes["no", "NEG"].scope == "clause"
    assert scopes["negative", "NEG"].direction == "BIDIRECTIONAL"
    assert scopes["non", "NEG"].scope == "word"
    assert {c.kind for c in cue_scopes() if c.direction == "TERMINATE"} == {"WITH", "IF", "UNLESS", "ALLOWED"}


def test_word_sets_are_data() -> None:
    assert "but" in words("scope_breaker") and "the" in words("stopword")
    with pytest.raises(CriteriaSemanticError):
        words("no_such_set")


def test_counts_alone() -> None:
    state = state_of("Any two of hypertension, diabetes mellitus and obesity")
    read_counts(state)
    assert state.list_count == 2
    assert _taken_as(state, "Any") == _taken_as(state, "of") == ("counts", "connective")
    assert [(reader, role) for _, reader, role in state.ledger.chunks] == [("counts", "connective")]  # "two"
    state = state_of("At least 2 episodes of seizures")
    read_counts(state)
    assert state.list_count is None and not state.ledger.entries


def test_classes_alone() -> None:
    state = state_of("Child-Pugh class A or B")
    read_classes(state)
    assert render(state.numeric) == "child_pugh in [5, 9]"  # type: ignore[arg-type]
    assert _taken_as(state, "A") == ("classes", "value")
    assert _taken_as(state, "or") == ("classes", "connective")
    assert [d.code for d in state.diagnostics] == ["class-reading"]
    state = state_of("Child-Pugh A or much better")
    read_classes(state)
    assert state.numeric is None and not state.ledger.entries
    state = state_of("Child-Pugh B or worse")  # the healthy end of the scale is data (variables_direction.tsv)
    read_classes(state)
    assert render(state.numeric) == "child_pugh in [7, 15]"  # type: ignore[arg-type]
    assert _taken_as(state, "worse") == ("classes", "comparator")
    state = state_of("Child-Pugh B7")
    read_classes(state)
    assert render(state.numeric) == "child_pugh == 7"  # type: ignore[arg-type]
    state = state_of("Child-Pugh B5")  # a score outside its class: not read
    read_classes(state)
    assert state.numeric is None and not state.ledger.entries


def test_scale_classes_are_data_on_known_variables() -> None:
    check_classes(default_parser().lexicon)
    check_directions(default_parser().lexicon)
    classes = scale_classes()
    assert [(c.label, c.low, c.high) for c in classes["child_pugh"]][:2] == [("A", 5.0, 6.0), ("B", 7.0, 9.0)]
    assert all(c.low <= c.high for rows in classes.values() for c in rows)
