"""The bounded edit distance used by the fuzzy header check gives the same answers as the full one."""

from __future__ import annotations

import itertools

from criteria_nlp.text.headers import classify_header, edits

WORDS = ("exclusion", "exlcusion", "inclusion", "criteria", "criterion", "pregnancy", "", "x", "occlusion", "ab", "ba")


def test_bounded_edits_is_the_distance_capped_at_the_bound() -> None:
    for first, second in itertools.product(WORDS, repeat=2):
        for bound in range(7):
            assert edits(first, second, bound=bound) == min(edits(first, second), bound)


def test_near_and_far_headers() -> None:
    assert classify_header("Exlusion Criteria:") == "exclusion"
    assert classify_header("Inclsion") == "inclusion"
    assert classify_header("Clusion criteria") == "unrecognised"  # 3 edits from both section words
    assert classify_header("Pregnancy") is None
