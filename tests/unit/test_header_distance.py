"""The bounded edit distance used by the fuzzy header check gives the same answers as the full one."""

from __future__ import annotations

import itertools

from criteria_nlp.text.headers import _distance, classify_header, edits, inline_header_starts

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


def test_distance_skipping_far_targets_is_the_full_minimum() -> None:
    """``_distance`` skips a target whose length or letters already put it at the bound: the answer is still the
    nearest target's distance, capped at the bound."""
    targets = ("criteria", "criterion", "requirements", "ab", "")
    for word in (*WORDS, "citeria", "critera", "requirments", "aireti", "disease", "years", "eiratirc"):
        for bound in range(6):
            expected = min([bound, *(edits(word, target) for target in targets)])
            assert _distance.__wrapped__(word, targets, bound) == expected


def test_inline_header_at_the_end_of_a_line_is_found_by_its_last_word() -> None:
    line = "Age 18 or older. Exclusion Criteria"
    assert inline_header_starts(line) == [line.index("Exclusion")]
    assert inline_header_starts(line + " ") == [line.index("Exclusion")]  # the last word, space after it
    assert inline_header_starts("Age 18 or older. Exclusion Criteria2") == []  # "Criteria2" is no word at the end
    assert inline_header_starts("Age 18 or older. Exclusion Critera") == [line.index("Exclusion")]  # misspelt
    assert inline_header_starts("Age 18 or older. Exclusion diseases") == []
