"""How several annotations starting at one token make one piece (``grammar.resolve._resolved``)."""

from __future__ import annotations

from criteria_nlp.grammar.resolve import _resolved
from criteria_nlp.text.nlp import Annotation


def test_longest_annotation_wins_and_gives_its_kind_alone() -> None:
    candidates = [Annotation(0, 1, "CONCEPT", "a"), Annotation(0, 3, "VARIABLE", "alt"), Annotation(0, 2, "NUM", "1")]
    assert _resolved(candidates) == (3, {"VARIABLE": "alt"})


def test_a_unit_wins_over_a_longer_phrase() -> None:
    candidates = [Annotation(0, 2, "CONCEPT", "weeks gestation"), Annotation(0, 1, "UNIT", "week")]
    assert _resolved(candidates) == (1, {"UNIT": "week"})


def test_annotations_of_the_same_extent_all_give_kinds_the_higher_priority_value_first() -> None:
    candidates = [
        Annotation(0, 2, "CONCEPT", "c"),
        Annotation(0, 2, "VARIABLE", "v"),
        Annotation(0, 1, "NUM", "1"),
        Annotation(0, 2, "CONCEPT", "later"),
        Annotation(0, 2, "REF", "ULN"),
    ]
    end, kinds = _resolved(candidates)
    assert end == 2
    assert kinds == {"REF": "ULN", "VARIABLE": "v", "CONCEPT": "c"}  # the first CONCEPT of equal priority kept
    assert list(kinds) == ["REF", "VARIABLE", "CONCEPT"]  # in priority order
