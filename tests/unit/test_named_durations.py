"""Readers of issue 11's lists, durations and definitions run alone on a clause (golden expressions are in
``tests/golden/readers/{named_durations,lists,definitions}.jsonl``): what each takes, and what it leaves to the
readers after it."""

from __future__ import annotations

import pytest

from criteria_nlp.build import BuildState, Ledger
from criteria_nlp.build.clauses import split_clauses
from criteria_nlp.build.concepts import read_concepts
from criteria_nlp.build.lists import read_lists
from criteria_nlp.build.named_durations import read_named_durations
from criteria_nlp.build.thresholds import read_thresholds
from criteria_nlp.grammar import parse_chunks, pieces_of
from criteria_nlp.ir import All, Any_, Comparison, Presence, Range, Section
from criteria_nlp.pipeline import default_parser
from criteria_nlp.text.nlp import annotate


def state_of(text: str, section: Section = "inclusion") -> BuildState:
    parser = default_parser()
    (doc,) = annotate(parser.nlp, [text])
    chunks, _ = parse_chunks(pieces_of(doc))
    return BuildState(split_clauses(chunks)[0].chunks, section, text, parser.lexicon, Ledger(), [])


def _roles(state: BuildState) -> dict[str, tuple[str, str]]:
    return {piece.text: (reader, role) for piece, reader, role in state.ledger.entries.values()}


def test_a_duration_threshold_leaves_the_windows_and_names_its_variable() -> None:
    state = state_of("Chronic insomnia with usual sleep duration < 6 hours", "exclusion")
    read_thresholds(state)
    assert len(state.durations) == 1  # the thresholds reader leaves the hours as a window of nothing
    read_named_durations(state)
    assert state.durations == []  # no condition may take them as its window any more
    assert isinstance(state.numeric, Comparison)
    assert state.numeric.variable.id is None and state.numeric.variable.mention == "usual sleep duration"
    assert _roles(state)["duration"] == ("named_durations", "variable")
    assert "insomnia" not in " ".join(_roles(state))  # the condition is left to the concepts reader


@pytest.mark.parametrize(
    ("text", "mention"),
    [
        ("Duration of symptoms ≤ 7 days", "Duration of symptoms"),
        ("Disease duration of at least 6 months", "Disease duration"),
        ("Time since diagnosis less than 12 months", "Time since diagnosis"),
        ("Pregnancy duration 16-20 weeks", "Pregnancy duration"),
    ],
)
def test_the_name_runs_from_its_modifiers_to_what_it_is_the_duration_of(text: str, mention: str) -> None:
    state = state_of(text)
    read_thresholds(state)
    read_named_durations(state)
    assert isinstance(state.numeric, Comparison | Range)
    assert state.numeric.variable.mention == mention


@pytest.mark.parametrize(
    "text",
    [
        "Stroke at any time within the last 6 months",  # "time" alone names no duration
        "Type 2 diabetes for at least 6 months",  # no duration noun: the condition's window
        "Stroke onset within 6 hours",  # the start of a named condition: its own window
        "Constant dose interval during the last 3 months",  # a parsed window is not a duration's threshold
    ],
)
def test_windows_that_are_no_named_duration_are_left_alone(text: str) -> None:
    state = state_of(text)
    read_thresholds(state)
    before = list(state.durations)
    read_named_durations(state)
    assert state.numeric is None and state.durations == before


def test_a_condition_bound_by_with_needs_one_of_the_alternatives() -> None:
    state = state_of("Diabetes with hypertension or heart failure", "exclusion")
    read_concepts(state)
    read_lists(state)
    node = state.concepts
    assert isinstance(node, All) and isinstance(node.children[0], Presence)
    assert isinstance(node.children[1], Any_) and len(node.children[1].children) == 2
    assert state.alternative_joints == []  # an unread word could not become an alternative to the whole


def test_alternatives_before_the_binding_word_are_not_bound() -> None:
    state = state_of("Hypertension or diabetes with nephropathy")
    read_concepts(state)
    read_lists(state)
    assert isinstance(state.concepts, Any_) and len(state.concepts.children) == 3
