"""Lexer rules for lists of allowed values (issue 11 mechanism 2), kept apart from the lexer's own table.

Also "= 3 or higher" (mechanism 1): a comparator after the value of an "=" is the terminal ``CMP_AFTER_EQ``, which
the grammar reads as the bound (``compare_restated``); after a directional comparator ("> 18 years and older") it
stays ``CMP_POST``, which does not fit, and the linter reports the repetition.

"NYHA class I, II, or III", "ECOG 0, 1, and 2": a comma followed by "or"/"and" before the last value is one
separator; without this rule the comma ends the list and the last value is lost or read as a second threshold.

"ECOG 0,1, or 2", "ECOG PS: 0,1", "grade 1,2 or 3": a comma with no space between two single digits is a decimal
comma to the number annotator (0.1). After the name of a scale of whole steps (the ``whole_scale`` lexicon ids of
``number_names.tsv``, or a grade, class or stage word) and no comparator, it separates the values of a list when the
two digits differ and every value fits the variable's plausible range; otherwise the decimal reading stays ("EDSS 4,5",
"creatinine 1,5 mg/dL").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from criteria_nlp.errors import CriteriaError
from criteria_nlp.grammar.lookahead import (
    comparator_or_number,
    number_of_value,
    same_quantity_kind,
    unit_of_value,
    unit_piece_of_value,
    value_start,
)
from criteria_nlp.grammar.names import number_names
from criteria_nlp.grammar.pieces import Piece
from criteria_nlp.grammar.words import grammar_words
from criteria_nlp.knowledge.lexicon import Variable, load_lexicon
from criteria_nlp.knowledge.units import parse_unit
from criteria_nlp.knowledge.words import words


class Cursor(Protocol):
    """What these rules read of the lexer's cursor (``grammar.lexer.Cursor``), without importing the lexer."""

    piece: Piece
    pieces: Sequence[Piece]
    previous: str
    range_open: bool
    i: int
    n: int
    kinds: dict[str, str]
    out: list[Any]

    def emit(self, kind: str, value: str, piece: Piece) -> None: ...


_WORDS = grammar_words()
_CONJUNCTIONS = _WORDS.value_or | _WORDS.value_and


def serial_comma(c: Cursor) -> bool:
    """ "I, II, or III": a comma then a conjunction between two values of one list."""
    i, pieces = c.i, c.pieces
    return (
        c.piece.text == ","
        and c.previous == "NUM"  # bare values: "130mmHg=SBP<180mmHg, or 80mmHg=DBP" starts another variable
        and not c.range_open
        and i + 2 < c.n
        and pieces[i + 1].lower in _CONJUNCTIONS
        and value_start(pieces, i + 2)
        and comparator_or_number(pieces[i + 2])
        and not count_follows(pieces, i + 2)
    )


def emit_serial_comma(c: Cursor) -> None:
    c.emit("VALUE_OR", c.piece.text, c.piece)
    c.i += 1  # the conjunction says no more than the comma did


def other_quantity_follows(c: Cursor) -> bool:
    """ "CrCl ≥ 50 mL/min for patients over 65 years, ≥ 60 mL/min for all others": after a quantity, a value in
    another dimension is no second threshold of the same variable but the start of another constraint, so the comma
    (or "or", "and") before it ends the list. Only before a comparator of its own: a bare number after "or" ("50 % or
    27 µmol/L") stays an alternative of the list (read or reported there), which ending the list would turn into a
    requirement. Units of one kind ("≥ 8, ≤ 20 g/dL", "≥ 9 g/dL or ≥ 5.6 mmol/L") and values without a known unit
    still continue it."""
    if c.previous not in ("UNIT", "CMP_POST") or c.i + 1 >= c.n or "CMP_PRE" not in c.pieces[c.i + 1].kinds:
        return False
    # the unit of the value before: the last token, or the one before a comparator after it ("65 years or older")
    before = next((item for item in reversed(c.out[-2:]) if getattr(item, "type", None) == "UNIT"), None)
    after = unit_of_value(c.pieces, c.i + 1)
    return before is not None and after is not None and same_quantity_kind(str(before), after) is False


def other_constraint_follows(c: Cursor) -> bool:
    """Does the value after the joiner at the cursor (",", "or", "and") start a constraint of its own rather than
    continue the list of the variable before it? See :func:`other_variable_follows` and :func:`count_follows`."""
    return other_variable_follows(c) or count_follows(c.pieces, c.i + 1, concepts=_measured(c))


def _measured(c: Cursor) -> bool:
    """Is the variable before a quantity with a unit? After a class, grade or score a condition's name describes
    what is graded ("NYHA class III or IV heart failure"); after a measured quantity it is what a number counts."""
    variable = _variable_before(c)
    entry = load_lexicon().variables.get(variable) if variable is not None else None
    return entry is not None and entry.unit is not None


def _variable_before(c: Cursor) -> str | None:
    return next((str(item) for item in reversed(c.out) if getattr(item, "type", None) == "VAR"), None)


def other_variable_follows(c: Cursor) -> bool:
    """ "Pain score > 3, 18-45 years of age": a value whose unit names another variable ("years of age" is age) or
    measures another dimension than the variable before it (years after a score, kg/m2 after a concentration) is
    that other variable's threshold, never a further value of this one. A percentage fits any variable ("FEV1 ≥ 50
    and ≤ 70 % of predicted"), and a unit that only shares a dimension with another variable's (mL/min of a
    creatinine clearance after an eGFR) names none."""
    variable = _variable_before(c)
    unit = unit_piece_of_value(c.pieces, c.i + 1)
    if variable is None or unit is None:
        return False
    named = unit.kinds.get("VARIABLE")
    if named is not None:
        return named != variable
    before = next((str(item) for item in reversed(c.out[-2:]) if getattr(item, "type", None) == "UNIT"), None)
    if before is not None and _dimension(before) == _dimension(unit.kinds["UNIT"]):
        return False  # "eGFR = 20 mL/min and < 60 mL/min": the value before is written in the same kind of unit
    entry = load_lexicon().variables.get(variable)
    return entry is not None and _other_dimension(entry, unit.kinds["UNIT"])


def _other_dimension(variable: Variable, unit: str) -> bool:
    """Is ``unit`` of another kind of quantity than the variable's own? A score without a unit takes none with a
    dimension (a percentage or a plain count fits it)."""
    after = _dimension(unit)
    if after is None or after == "dimensionless":
        return False
    if variable.unit is not None:
        own = _dimension(variable.unit)
        return own is not None and own != after
    return variable.kind == "score"


def _dimension(unit: str) -> str | None:
    """The unit's dimension, amounts of substance and equivalents as masses (mmol/L, mEq/L and mg/dL measure one
    concentration); None when the unit is unknown."""
    try:
        found = str(parse_unit(unit).dimensionality)
    except (CriteriaError, ValueError, TypeError, AttributeError):
        return None
    return found.replace("[substance]", "[mass]").replace("[equivalent]", "[mass]")


_STOPWORDS = words("stopword")
_PLURAL_ENDINGS = tuple(sorted(words("counted_plural_ending")))


def joined_count(c: Cursor) -> bool:
    """ "> 4000 pg/ml or more than 20 oocytes": the comparator after the joiner bounds a count of something else,
    not this value (the lexer keeps the joiner as prose and starts the count's own threshold)."""
    return "CMP_POST" in c.kinds and c.previous in ("NUM", "UNIT", "REF") and count_follows(c.pieces, c.i + 1)


def count_follows(pieces: Sequence[Piece], i: int, concepts: bool = False) -> bool:
    """ "Estradiol > 4000 pg/ml or more than 20 oocytes retrieved": a number followed by a word that is no unit,
    reference, variable nor function word counts that thing ("20 oocytes", "3 lesions"), and with ``concepts`` a
    number followed by a known thing too ("platelets < 50 x 10^9/L or > 3 transfusions"); it is no further bound of
    the variable before the joiner."""
    j = number_of_value(pieces, i)
    if j < 0 or j + 1 >= len(pieces):
        return False
    word = pieces[j + 1]
    if _thing(word):
        return concepts
    if not _plain_word(word):
        return False
    if word.lower.endswith(_PLURAL_ENDINGS):
        return True
    # "creatinine < 1.5 or 3 zorbic lesions": after a measured quantity, a word the lexicon does not know before a
    # counted thing describes that thing; after a class or grade it names what is graded ("Miller class 1, 2 and 3
    # recession defects"), and the number stays a value of the list
    if not concepts or j + 2 >= len(pieces):
        return False
    thing = pieces[j + 2]
    return _plain_word(thing) and thing.lower.endswith(_PLURAL_ENDINGS)


_NOT_THINGS = frozenset({"UNIT", "VARIABLE", "REF", "CMP_PRE", "CMP_POST", "NUM", "NUMWORD"})


def _thing(word: Piece) -> bool:
    """A known thing ("new brain metastases": a concept with its qualifier), not a unit or a variable's name."""
    return "CONCEPT" in word.kinds and _NOT_THINGS.isdisjoint(word.kinds)


def _plain_word(word: Piece) -> bool:
    """A word of prose the annotators gave no meaning to, and no function word."""
    return not word.kinds and word.text.isalpha() and word.lower not in _STOPWORDS


def after_equality(c: Cursor) -> bool:
    """ "= 3 or higher": a comparator after the value of an "=" says which way the bound goes."""
    if "CMP_POST" not in c.kinds or c.previous not in ("NUM", "UNIT"):
        return False
    for item in reversed(c.out[-3:]):
        if getattr(item, "type", None) == "CMP_PRE":
            return str(item) == "=="
    return False


def emit_after_equality(c: Cursor) -> None:
    c.emit("CMP_AFTER_EQ", c.kinds["CMP_POST"], c.piece)


_NAMES = number_names()
_DIGIT_COMMA_DIGIT = re.compile(r"^([0-9]),([0-9])$")
_SCALE_LOOKBACK = 3  # "ECOG performance status of 0,1": the filler words between the scale's name and its values
_FILLERS = frozenset({":", "=", "of", "is", "score", "status"})


def comma_list(c: Cursor) -> bool:
    """ "ECOG 0,1, or 2": the decimal-looking "0,1" is the first two values of a list of grades."""
    found = _DIGIT_COMMA_DIGIT.match(c.piece.text)
    if found is None or c.previous == "CMP_PRE" or c.range_open:
        return False
    first, second = int(found.group(1)), int(found.group(2))
    return second != first and _whole_scale_before(c.pieces, c.i, (first, second))


def emit_comma_list(c: Cursor) -> None:
    first, second = c.piece.text.split(",")
    c.emit("NUM", repr(float(first)), c.piece)
    c.emit("VALUE_OR", ",", c.piece)
    c.emit("NUM", repr(float(second)), c.piece)


def _whole_scale_before(pieces: Sequence[Piece], i: int, values: tuple[int, int]) -> bool:
    """Is the number at ``i`` written after the name of a scale of whole steps whose range holds both values?"""
    for j in range(i - 1, max(-1, i - 1 - _SCALE_LOOKBACK), -1):
        piece = pieces[j]
        identifier = piece.kinds.get("VARIABLE")
        if identifier is not None:
            variable = load_lexicon().variables.get(identifier)
            return (
                variable is not None
                and identifier in _NAMES.whole_scale
                and not any(variable.implausible(value) for value in values)
            )
        if piece.lower in _WORDS.roman_lead:
            return True
        if not (piece.lower in _FILLERS or "VERB_IS" in piece.kinds):
            return False
    return False
