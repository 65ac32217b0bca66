"""A sign glued to a number: a negative (or explicitly positive) value, or the dash of a range that lost its space.

spaCy keeps "-4" in "base excess < -4 mmol/L" as one token. Whether its "-" is a minus sign or a range dash is
decided by the token before it, never by the number alone:

* after a comparator ("< -4", "less than -5"), a range or list word ("from -1 to -10", "between -2 and +1", "-2
  or +2") or a filler word of the lexicon's ``VERB_IS`` cues ("a T-score of -2.5"), it is a sign: the token is the
  number ``-4.0`` (``NUM``); "+1" is ``1.0``;
* after a number ("BMI 27 -55 kg/m2", "Status 1 -3") or a word that may be the unit of one ("19 years -65"), the
  dash joins a range: the token is ``DASHNUM`` with the number's absolute value, and the lexer makes a range
  separator and a number of it only when a number or unit was just read (``grammar.lexer``);
* after a plain word, where the number is the first end of a range whose other end is signed too ("Refraction -1 to
  -10 diopters", "-0.5 to +0.5"): both ends signed around the range word say the dashes are minus signs, not a
  bullet or a dash of a range (:func:`_signed_range_start`);
* anywhere else ("Day -1", "(ULN) -10 mIU/L", "-18 years" at the start of a line, where the dash is likely a bullet
  glued to the number) it is left unread: the criterion keeps the words as unparsed text rather than guessing.

Text copied from documents set in the Symbol font shows "≥" as "³" and "≤" as "£" ("leucocytes ³ 2000/mm3",
"creatinine £ 1.5 mg/dL"): such a character standing alone right before a number, after a word, is that comparator
(:func:`symbol_font_comparator`); "mm³" and "£100" glued to a word or read as currency elsewhere are left alone.
"""

from __future__ import annotations

import re

# the hyphen-minus, the minus sign and the en dash written for a minus; "+" marks a positive value
SIGNS = {"-": -1.0, "−": -1.0, "–": -1.0, "+": 1.0}
_DASHES = frozenset("-−–")
_SIGN_LEADS = frozenset({"CMP_PRE", "FROM", "BETWEEN", "TO", "CONJ", "VERB_IS"})
# the characters a Symbol-font comparator becomes when its font is lost, and the comparator each stands for
SYMBOL_FONT = {"³": ">=", "£": "<="}
_NOT_FILLERS = frozenset({"of", "at"})  # filler words after which a pound sign is money ("a fee of £ 100")
_UNSIGNED = re.compile(r"^[0-9]+(?:\.[0-9]+)?$|^\.[0-9]+$")  # no comma: "-1,5" is too rare to guess a separator


def signed_number(
    text: str, bounds: list[tuple[int, int]], i: int, kinds_ending: dict[int, set[str]]
) -> tuple[str, float] | None:
    """("NUM", signed value), ("DASHNUM", absolute value) or None for the token ``i`` that starts with a sign.

    ``kinds_ending`` maps a token index to the kinds of the annotations that end right before it (the phrase
    annotations and the numbers read so far)."""
    start, end = bounds[i]
    sign, digits = text[start], text[start + 1 : end]
    if not _UNSIGNED.match(digits):
        return None
    value = float(digits)
    if i == 0:
        return None
    before_start, before_end = bounds[i - 1]
    before = text[before_start:before_end]
    kinds = kinds_ending.get(i, set())
    if before_end == start and "CMP_PRE" not in kinds:
        return None  # glued to the word before ("x-4"), unlike a comparator ("<-3"): not this module's case
    if "NUM" in kinds or (sign in _DASHES and before[:1].isalpha() and _may_be_unit(text, bounds, i, kinds_ending)):
        return ("DASHNUM", value) if sign in _DASHES else None
    if kinds & _SIGN_LEADS and (before[:1].isalpha() or "CMP_PRE" in kinds):
        return "NUM", SIGNS[sign] * value
    if before[:1].isalpha() and _signed_range_start(text, bounds, i, kinds_ending):
        return "NUM", SIGNS[sign] * value
    return None


def _signed_range_start(text: str, bounds: list[tuple[int, int]], i: int, kinds_ending: dict[int, set[str]]) -> bool:
    """ "Refraction -1 to -10": the signed number at ``i`` is followed by "to" (or "through") and another signed
    number, each a token of its own. ("Day -1 to Day 3" and "-1 to 10" stay unread: one sign alone may be a bullet.)"""
    if i + 2 >= len(bounds) or "TO" not in kinds_ending.get(i + 2, set()) or "CONJ" in kinds_ending.get(i + 2, set()):
        return False
    other_start, other_end = bounds[i + 2]
    if other_start == bounds[i + 1][1]:
        return False  # glued to the range word
    return text[other_start] in SIGNS and _UNSIGNED.match(text[other_start + 1 : other_end]) is not None


def _may_be_unit(text: str, bounds: list[tuple[int, int]], i: int, kinds_ending: dict[int, set[str]]) -> bool:
    """ "19 years -65": a word right after a number (its unit, decided later by the unit annotator)."""
    return i >= 2 and "NUM" in kinds_ending.get(i - 1, set()) and not kinds_ending.get(i, set()) & _SIGN_LEADS


def symbol_font_comparator(
    text: str, bounds: list[tuple[int, int]], i: int, kinds_ending: dict[int, set[str]]
) -> str | None:
    """The comparator a lone Symbol-font character right before the number at token ``i`` stands for, or None.

    Only after the name of a variable or group, or a filler word other than "of" ("hemoglobin level ³ 10"): "a fee
    of £ 100" is money."""
    if i < 2:
        return None
    symbol_start, symbol_end = bounds[i - 1]
    comparator = SYMBOL_FONT.get(text[symbol_start:symbol_end])
    word_start, word_end = bounds[i - 2]
    if comparator is None or word_end == symbol_start:
        return None  # glued to the word before: "mm³"
    kinds = kinds_ending.get(i - 1, set())
    named = "VARIABLE" in kinds or "GROUP" in kinds
    filler = "VERB_IS" in kinds and text[word_start:word_end].lower() not in _NOT_FILLERS
    return comparator if named or filler else None


_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_RAISED_POWER = re.compile(r"^10[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2}$")


def raised_power(word: str) -> float | None:
    """ "≥ 10⁵ CFU/mL": a power of ten whose exponent is set in superscript digits, as one token; its value, or None
    for any other word. (After a multiplier, "x 10⁹/L", the power is part of the unit: the caller checks that.)"""
    if _RAISED_POWER.match(word) is None:
        return None
    return 10.0 ** int(word[2:].translate(_SUPERSCRIPT_DIGITS))
