"""What the lexer's rules look for around a piece: does a value start here, which reference limit follows a number,
where does a range begin, is a duration a window. Pure tests over the piece sequence; nothing here emits terminals.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from criteria_nlp.errors import CriteriaError
from criteria_nlp.grammar.pieces import Piece, is_number
from criteria_nlp.grammar.words import grammar_words
from criteria_nlp.knowledge.durations import duration_of
from criteria_nlp.knowledge.units import parse_unit

_WORDS = grammar_words()
_MULTIPLIER_ENDINGS = tuple(sorted(_WORDS.multiplier_ending))


def is_multiplier_word(piece: Piece) -> bool:
    """ "twice", "three times", "3-fold": a number word that already says "times"."""
    return "NUMWORD" in piece.kinds and (
        piece.lower in _WORDS.multiplier_word or piece.lower.endswith(_MULTIPLIER_ENDINGS)
    )


def after_number_reference(pieces: Sequence[Piece], i: int, multiplier: bool = False) -> int | None:
    """Index of a REF reached from position i over "x", "times", "the" (None when there is none). After a
    multiplier word ("three times", "twice") a bare "normal" is the upper limit of normal too."""
    j = i
    hops = 0
    while j < len(pieces) and hops < 3:
        piece = pieces[j]
        if "REF" in piece.kinds or (multiplier and piece.lower in _WORDS.bare_reference):
            return j
        if "TIMES" in piece.kinds or piece.lower in _WORDS.reference_filler:
            j += 1
            hops += 1
            continue
        return None
    return None


def value_start(pieces: Sequence[Piece], i: int) -> bool:
    """Does a value (a number, a comparator before a number or a reference limit, a range opener) start at i?"""
    if i >= len(pieces):
        return False
    piece = pieces[i]
    if is_number(piece):
        return True
    if "CMP_PRE" in piece.kinds:
        j = i + 1
        while j < len(pieces) and skippable_after_comparator(pieces[j]):
            j += 1
        return j < len(pieces) and (is_number(pieces[j]) or "REF" in pieces[j].kinds)
    if "FROM" in piece.kinds or "BETWEEN" in piece.kinds:
        return i + 1 < len(pieces) and is_number(pieces[i + 1])
    return False


def skippable_after_comparator(piece: Piece) -> bool:
    """Words between a comparator and its number: "more than the", "under the age of"."""
    return piece.lower in _WORDS.comparator_filler or (
        "AGEWORD" in piece.kinds and piece.lower not in _WORDS.age_after_number
    )


def names_age(piece: Piece) -> bool:
    """ "under the age of 18": a word between comparator and number that names age as the variable."""
    return "AGEWORD" in piece.kinds


def range_start(pieces: Sequence[Piece], i: int) -> int | None:
    """Index of the first number of a range opened at i ("between [the ages of] [>=] 18 and 65"), or None."""
    j = i + 1
    n = len(pieces)
    while (
        j < n
        and j - i <= 4
        and not is_number(pieces[j])
        and (pieces[j].lower in _WORDS.range_filler or "AGEWORD" in pieces[j].kinds)
    ):
        j += 1
    if j < n and "CMP_PRE" in pieces[j].kinds and j + 1 < n and is_number(pieces[j + 1]) and j > i + 1:
        j += 1  # "between ages >= 18 and 65": the comparator restates the lower end
    if j < n and is_number(pieces[j]) and value_start(pieces, j):
        return j
    return None


def open_ended(pieces: Sequence[Piece], first: int) -> bool:
    """After "from" and its number and unit: no "to"/"-" ending the range and no "prior to" making it a window.
    ("suffered from one or more seizures" is a count, not an open range: there must be a unit.)"""
    j = first + 1
    if j >= len(pieces) or "UNIT" not in pieces[j].kinds:
        return False
    j += 1
    if j < len(pieces) and ("AGEWORD" in pieces[j].kinds):
        j += 1
    return j >= len(pieces) or not (
        "TO" in pieces[j].kinds
        or "BEFORE" in pieces[j].kinds
        or "AFTER" in pieces[j].kinds
        or "ANCHOR" in pieces[j].kinds
        or is_number(pieces[j])
    )


def skip_window_words(pieces: Sequence[Piece], i: int) -> int:
    """The index after "the last", "the past" … at i ("within the past 6 months")."""
    while i < len(pieces) - 1 and pieces[i].lower in _WORDS.window_filler:
        i += 1
    return min(i, len(pieces) - 1)


def number_follows(pieces: Sequence[Piece], i: int) -> bool:
    """Is there a number at i, or after a "than" at i?"""
    if i < len(pieces) and pieces[i].lower in _WORDS.comparator_tail:
        i += 1
    return i < len(pieces) and is_number(pieces[i])


def time_follows(pieces: Sequence[Piece], i: int) -> bool:
    """Is the number at i followed by a unit of time (possibly after a range "3-6 months")?"""
    n = len(pieces)
    j = i + 1
    if j + 1 < n and "TO" in pieces[j].kinds and is_number(pieces[j + 1]):
        j += 2
    return j < n and duration_of(pieces[j].kinds.get("UNIT")) is not None


def window_ahead(pieces: Sequence[Piece], i: int) -> bool:
    """Is the value starting at i a time window ("3 months prior to") rather than a threshold?"""
    n = len(pieces)
    while i < n and (
        "CMP_PRE" in pieces[i].kinds or is_number(pieces[i]) or "UNIT" in pieces[i].kinds or "TO" in pieces[i].kinds
    ):
        i += 1
    return i < n and "BEFORE" in pieces[i].kinds


def unit_of_value(pieces: Sequence[Piece], i: int) -> str | None:
    """The unit (canonical spelling) of the value starting at i ("≥ 60 mL/min", "from 18 years"), or None."""
    i = _past_lead(pieces, i, comparator_tail=False)
    if i + 1 < len(pieces) and is_number(pieces[i]):
        return pieces[i + 1].kinds.get("UNIT")
    return None


def unit_piece_of_value(pieces: Sequence[Piece], i: int) -> Piece | None:
    """The unit piece of the value starting at i, after a range's second number too ("18-45 years of age"), or
    None when the value has no unit of its own."""
    n = len(pieces)
    i = number_of_value(pieces, i)
    if i < 0:
        return None
    j = i + 1
    if j + 1 < n and "TO" in pieces[j].kinds and is_number(pieces[j + 1]):
        j += 2
    elif j < n and "DASHNUM" in pieces[j].kinds:
        j += 1
    return pieces[j] if j < n and "UNIT" in pieces[j].kinds else None


def number_of_value(pieces: Sequence[Piece], i: int) -> int:
    """Index of the number of the value starting at i (after its comparator and its words, "more than the"), or -1."""
    i = _past_lead(pieces, i, comparator_tail=True)
    return i if i < len(pieces) and is_number(pieces[i]) else -1


def _past_lead(pieces: Sequence[Piece], i: int, *, comparator_tail: bool) -> int:
    """Index after what leads a value at i: a comparator and its words, "from"/"between", or (``comparator_tail``)
    the "than" of a comparator written after the value ("or more than 20")."""
    n = len(pieces)
    if i < n and "CMP_PRE" in pieces[i].kinds:
        i += 1
        while i < n and skippable_after_comparator(pieces[i]):
            i += 1
    elif i < n and (
        "FROM" in pieces[i].kinds
        or "BETWEEN" in pieces[i].kinds
        or (comparator_tail and pieces[i].lower in _WORDS.comparator_tail)
    ):
        i += 1
    return i


def comparator_or_number(piece: Piece) -> bool:
    """An "or" joins two thresholds when the next one has its own comparator or is a plain number."""
    return "CMP_PRE" in piece.kinds or is_number(piece)


@lru_cache(maxsize=1024)
def same_quantity_kind(unit: str, other: str) -> bool | None:
    """Do two units (canonical spellings) measure the same kind of quantity? None when either is unknown.

    Amounts of substance count as masses: "115 g/L (7.1 mM)" restates one concentration in two ways (the molar mass
    links them), while "cigarettes per day" and "pack-years", or "years" and "mL/min", are different things.
    """
    try:
        first, second = parse_unit(unit).dimensionality, parse_unit(other).dimensionality
    except (CriteriaError, ValueError, TypeError, AttributeError):
        return None
    return _as_mass(str(first)) == _as_mass(str(second))


def _as_mass(dimensionality: str) -> str:
    return dimensionality.replace("[substance]", "[mass]")
