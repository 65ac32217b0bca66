"""Cues in a record's own text (corpora/lexicon/record_cues.tsv): a record naming a concept with "no", "ruled out",
"resolved" is never a present match of it (trust-rec)."""

from __future__ import annotations

from pathlib import Path

import pytest

from criteria_nlp.knowledge.drug_classes import drug_class
from criteria_nlp.knowledge.lexicon import LexiconFileError
from criteria_nlp.knowledge.terminology import match_display
from criteria_nlp.knowledge.terminology_cues import record_cues


def _find(text: str, name: str) -> str | None:
    start = text.lower().index(name)
    cue = record_cues().find(text, start, start + len(name))
    return None if cue is None else f"{cue.position} {cue.cue} {cue.kind}"


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("no active tuberculosis", "tuberculosis", "before no negated"),
        ("Negative for hepatitis C", "hepatitis c", "before negative for negated"),
        ("Pneumonia ruled out", "pneumonia", "after ruled out negated"),
        ("Asthma, resolved", "asthma", "after resolved past"),
        ("No evidence of active tuberculosis", "tuberculosis", "before no negated"),
        ("Active pulmonary tuberculosis", "tuberculosis", None),
        ("Tuberculosis of lung", "tuberculosis", None),
        ("Nonsmoker", "smoker", None),  # "no" inside a word is no cue
    ],
)
def test_cues_before_and_after_the_name(text: str, name: str, expected: str | None) -> None:
    assert _find(text, name) == expected


def test_a_cue_after_names_the_concept_before_only_when_it_follows() -> None:
    # "without" is a cue before a name only: "diabetes without complication" names diabetes, unnegated
    assert _find("Diabetes mellitus type 2 without complication", "diabetes") is None


def test_a_display_with_a_cue_is_never_an_exact_match() -> None:
    plain = match_display("Active tuberculosis")
    negated = match_display("No active tuberculosis")
    assert plain is not None and plain.exact and plain.cue is None
    assert negated is not None and not negated.exact and negated.cue is not None
    assert "negates it" in negated.describe()


def test_a_drug_named_after_a_cue_is_only_a_possible_member() -> None:
    anticoagulants = drug_class("anticoagulants")
    assert anticoagulants is not None
    taken = anticoagulants.match((), "warfarin 5 mg tablet")
    not_taken = anticoagulants.match((), "not taking warfarin")
    assert taken is not None and taken.membership == "member"
    assert not_taken is not None and not_taken.membership == "possible" and "'not'" in not_taken.why


def test_loading_is_strict(tmp_path: Path) -> None:
    path = tmp_path / "record_cues.tsv"
    path.write_text("# c\ncue\tposition\tkind\nno\tbefor\tnegated\n", encoding="utf-8")
    with pytest.raises(LexiconFileError, match=r"line 3.*unknown position 'befor'"):
        record_cues(path)
    path.write_text("# c\ncue\tposition\tkind\nno\tbefore\tnegated\nno\tbefore\tpast\n", encoding="utf-8")
    with pytest.raises(LexiconFileError, match="repeated cue"):
        record_cues(path)
    path.write_text("# c\nno\tbefore\tnegated\n", encoding="utf-8")
    with pytest.raises(LexiconFileError, match="column header"):
        record_cues(path)
