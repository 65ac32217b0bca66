"""Runs of tokens that can spell a unit after a number, for the unit annotator of :mod:`criteria_nlp.text.nlp`.

:func:`unit_part` says which tokens are worth asking the unit registry about; :func:`hyphenated_unit` reads a unit
glued to its number by a hyphen ("18-years or older", "18-year-old"), which is a unit only before a comparator, an
age word, a range word, punctuation or the end, not before a noun ("a 3-day diary"); :func:`unknown_unit` keeps a
unit the registry does not know ("4000 cels/mm3", "3 log IU/mL") with the threshold, as written: dropped, the
threshold would be compared in the record's unit; :func:`snellen_fraction` reads "20/200" in a criterion about vision
as one visual acuity (``knowledge.units.acuity``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.units.acuity import snellen_unit
from criteria_nlp.knowledge.words import words

# an annotation as the components keep it: (start token, end token, kind, value)
Annotated = tuple[int, int, str, str]
UNIT_WINDOW = 8
_NUMBER = re.compile(r"^[0-9]+(?:[.,][0-9]+)*$|^\.[0-9]+$")

UNIT_CONNECTORS = frozenset(
    {
        "/",
        "-",
        "^",
        "*",
        "x",
        "×",
        "·",
        ".",
        "(",
        ")",
        "[",
        "]",
        "per",
        "cells",
        "cell",
        "copies",
        "beats",
        "breaths",
        "minute",
        "hour",
        "beat",
        "breath",
        "pack",
        "drink",
        "drinks",
        "cigarette",
        "cigarettes",
        "mercury",
        "squared",
        "square",
        "cubed",
        "log",
    }
)


@lru_cache(maxsize=16384)
def unit_part(token: str) -> bool:
    """Can this token be part of a unit spelling ("mg", "/", "10", "^", "1.73", "m²", "Hg")?"""
    if token.lower() in UNIT_CONNECTORS or _NUMBER.match(token):
        return True
    if token[0] in "%µμ°/^²³⁹" or units.is_unit(token) or units.is_unit_word(token):
        return True
    return len(token) <= 3 and token.isalnum()


# "Height < 60 in": a word that stops a unit run ("in the last year") is a unit all the same right after its number
# where no preposition can stand: at the end of the text or before closing punctuation
_UNIT_WHERE_NOTHING_FOLLOWS = frozenset({"in"})
_CLOSING_MARKS = frozenset({".", ";", ")", "]"})


def stops_unit(text: str, bounds: list[tuple[int, int]], start: int, end: int, stop_words: frozenset[str]) -> bool:
    """Does the token before ``end`` (a unit run after the number ending at ``start``) end the run as a stop word?"""
    word = text[bounds[end - 1][0] : bounds[end - 1][1]].lower()
    if word not in stop_words:
        return False
    if word not in _UNIT_WHERE_NOTHING_FOLLOWS or end != start + 1:
        return True
    return end < len(bounds) and text[bounds[end][0] : bounds[end][1]] not in _CLOSING_MARKS


# "4000 cels/mm3", "2 seizures/month": one word over a unit the registry knows is a unit, even when the word is not
# one; "3 log IU/mL": a logarithm of a unit is a unit of its own, which converts to nothing
_WORD_OVER_UNIT = re.compile(r"^(?P<head>[A-Za-z]{1,12})\s*/\s*(?P<per>\S.*)$")
_LOG_OF_UNIT = re.compile(r"^log(?:10)?\s+(?P<per>\S.*)$", re.IGNORECASE)
_NOT_UNIT_HEADS = frozenset({"and", "or", "nor", "either", "with", "without"})


def unknown_unit(text: str, bounds: list[tuple[int, int]], start: int, limit: int) -> tuple[int, str] | None:
    """The end token and canonical spelling of a unit written after the number ending at ``start`` that the unit
    registry cannot read as written. A Snellen fraction's denominator ("20/200") is the unit of its chart line
    (:func:`snellen_fraction`). Otherwise a unit all the same with an empty canonical spelling: a word over a known
    unit ("cels/mm3", "episodes/year") or a logarithm of one ("log IU/mL"), whose threshold is kept with the unit as
    written and never compared as if it were in another unit (the evaluation says the unit is not known)."""
    snellen = snellen_fraction(text, bounds, start)
    if snellen is not None:
        return snellen
    end = _unit_as_written(text, bounds, start, limit)
    return None if end is None else (end, "")


def _unit_as_written(text: str, bounds: list[tuple[int, int]], start: int, limit: int) -> int | None:
    if limit > start and units.is_unit_without_scale(text[bounds[start][0] : bounds[start][1]]):
        return start + 1  # "38 degrees": Celsius or Fahrenheit, no one can tell
    for end in range(limit, start + 1, -1):
        candidate = text[bounds[start][0] : bounds[end - 1][1]]
        over = _WORD_OVER_UNIT.match(candidate)
        if over is not None and over.group("head").lower() not in _NOT_UNIT_HEADS:
            head, per = over.group("head"), over.group("per")
            # a known unit with one letter too many ("mgs/dL", "mgm/dL") is left to the builder and the linter, which
            # report it with a "did you mean"
            misspelt = len(head) >= 3 and units.is_unit(head[:-1])
            if not units.is_unit(head) and not misspelt and units.is_unit(per):
                return end
        log = _LOG_OF_UNIT.match(candidate)
        if log is not None and units.is_unit(log.group("per")):
            return end
    return None


_VISION_WORD = re.compile(r"[a-z]+")


def snellen_fraction(text: str, bounds: list[tuple[int, int]], start: int) -> tuple[int, str] | None:
    """ "BCVA 20/200", "6/60 in the better eye": a slash glued between the number ending at ``start`` and a chart
    line's denominator is a Snellen fraction where the criterion speaks of vision (an ``acuity_word``): (end token,
    the chart line's unit). Elsewhere "6/10" is a score out of ten and "20/10" anything: left as it was."""
    if start < 1 or start + 1 >= len(bounds):
        return None
    (_, number_end), (slash_start, slash_end), (denominator_start, denominator_end) = bounds[start - 1 : start + 2]
    if text[slash_start:slash_end] != "/" or number_end != slash_start or slash_end != denominator_start:
        return None
    numerator = text[bounds[start - 1][0] : number_end]
    unit = snellen_unit(numerator, text[denominator_start:denominator_end])
    if unit is None or words("acuity_word").isdisjoint(_VISION_WORD.findall(text.lower())):
        return None
    return start + 2, unit


_HYPHENS = frozenset("-–‑")


def glued_hyphen(text: str, bounds: list[tuple[int, int]], i: int) -> bool:
    """Is token i a hyphen glued to the token before it and to a word after it ("18-years")?"""
    return (
        0 < i < len(bounds) - 1
        and text[bounds[i][0] : bounds[i][1]] in _HYPHENS
        and bounds[i - 1][1] == bounds[i][0]
        and bounds[i][1] == bounds[i + 1][0]
        and text[bounds[i + 1][0]].isalpha()
    )


def hyphenated_unit(
    text: str, bounds: list[tuple[int, int]], hyphen: int, found: Sequence[Annotated]
) -> tuple[int, str, str] | None:
    """ "18-years or older", "18-year-old", "≥ 18-years": a unit glued to its number by a hyphen is the number's unit
    (its piece starts at the hyphen, and takes a glued "-old" along) when a comparator, an age word, a range word,
    punctuation or the end follows; before a noun it names a thing ("a 3-day diary", "the 6-minute walk test", "less
    than 1-year duration") and is left alone. Returns the annotation's end, ``"UNIT"`` and the unit, or None."""
    count = len(bounds)
    limit = hyphen + 1
    while limit < min(count, hyphen + 1 + UNIT_WINDOW) and unit_part(text[bounds[limit][0] : bounds[limit][1]]):
        limit += 1
    for end in range(limit, hyphen + 1, -1):
        candidate = text[bounds[hyphen + 1][0] : bounds[end - 1][1]]
        if not units.is_unit(candidate):
            continue
        starts = {a[0]: a for a in found if a[2] in _AFTER_HYPHENATED_UNIT}
        if glued_hyphen(text, bounds, end) and end + 1 in starts and starts[end + 1][2] == "AGEWORD":
            end = starts[end + 1][1]  # "18-year-old"
        following = text[bounds[end][0] : bounds[end][1]] if end < count else ""
        if end < count and following not in _PUNCTUATION and end not in starts:
            return None
        return end, "UNIT", units.normalize_unit(candidate)
    return None


_AFTER_HYPHENATED_UNIT = frozenset({"CMP_POST", "AGEWORD", "TO"})
# "3-mo to 5-yrs (in Darwin)", "(2-year)": punctuation after the unit; a word after it ("less than 1-year duration",
# "a 3-day diary") makes number and unit the modifier of that word
_PUNCTUATION = frozenset({",", ";", ".", "(", ")", "[", "]", ":"})
