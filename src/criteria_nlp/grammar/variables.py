"""Variables that head a threshold: "ALT or AST > 3 x ULN", "Left ventricular ejection fraction (LVEF) >= 50%".

:func:`heads_threshold` decides whether a variable (or a list of them) is followed by a value it constrains;
:func:`variable_list` yields its ``VAR`` / ``VAR_SEP`` terminals, each ``VAR`` covering every name of its variable.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache

from criteria_nlp.errors import CriteriaError
from criteria_nlp.grammar.lookahead import (
    after_number_reference,
    is_multiplier_word,
    skippable_after_comparator,
    value_start,
    window_ahead,
)
from criteria_nlp.grammar.pieces import Piece, PieceToken, is_number, is_variable, token, variable_id
from criteria_nlp.grammar.words import grammar_words
from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.knowledge.words import words

_OPENERS = frozenset({"(", "["})
_CLOSERS = frozenset({")", "]"})
_SEPARATORS = grammar_words().variable_separator
_FILLERS = grammar_words().variable_filler
_CATEGORICAL_VARIABLES = grammar_words().categorical_variable
_RATIO_WORDS = grammar_words().ratio_word
_RANGE_AND = grammar_words().range_and
_VALUE_OPENERS = frozenset({"CMP_PRE", "FROM", "BETWEEN"})
_SIDES_AFTER_NUMBER = words("side_after_number")
_SETTING_PREPOSITIONS = words("setting_preposition")
HYPHENS_AND_DASHES = frozenset({"-", "‐", "‑", "–"})


def heads_threshold(pieces: Sequence[Piece], i: int) -> bool:
    """Does the variable at i (or the list it starts) stand right before a threshold (not a time window)?"""
    if pieces[i].kinds.get("VARIABLE") in _CATEGORICAL_VARIABLES:
        return False  # "Of either gender, aged ≥ 19": a number never measures sex
    if trails_number(pieces, i):
        return False  # "> 160 mmHg systolic and 100 mmHg diastolic": the side names the number before it
    members, after = _scan_variable_list(pieces, i)
    if i >= 2 and pieces[i - 1].text == "/" and is_variable(pieces[i - 2]):
        members = [i - 2, *members]  # the denominator of "A/B ratio", the numerator having headed nothing
    if _names_a_ratio(pieces, members):
        return False  # "LDL/HDL ratio > 3.5": one quotient, read as a variable named as written, not two thresholds
    if _number_in_a_setting(pieces, members[-1], after):
        return False  # "QRS width in the 12 channel surface ECG > 120 ms": the 12 counts the channels
    return value_start(pieces, after) and not window_ahead(pieces, after)


def _number_in_a_setting(pieces: Sequence[Piece], last: int, after: int) -> bool:
    """A bare number after a preposition that names how the variable is measured ("in the 12 channel ECG", "on a
    6 point scale"): a word that is no unit follows it, and a comparator or a number comes later in the clause."""
    n = len(pieces)
    if after >= n - 1 or after == last + 1 or not is_number(pieces[after]):
        return False
    if not any(pieces[k].lower in _SETTING_PREPOSITIONS for k in range(last + 1, after)):
        return False
    following = pieces[after + 1]
    if following.text in HYPHENS_AND_DASHES and after + 2 < n:
        following = pieces[after + 2]  # "in the 12-lead ECG"
    if following.kinds or not following.text[:1].isalpha():
        return False
    for piece in pieces[after + 2 :]:
        if piece.text in (";", ".") or "CONJ" in piece.kinds:
            return False
        if "CMP_PRE" in piece.kinds or is_number(piece):
            return True  # "… ECG > 120 ms", "… ECG of 120 ms or less"
    return False


def trails_number(pieces: Sequence[Piece], i: int) -> bool:
    """Is the piece at i one side of a pair written right after its number ("160 mmHg systolic", "95 diastolic BP")?"""
    if pieces[i].lower.split(" ", 1)[0] not in _SIDES_AFTER_NUMBER or i == 0:
        return False
    before = i - 1
    if "UNIT" in pieces[before].kinds and before > 0:
        before -= 1
    return is_number(pieces[before])


def _names_a_ratio(pieces: Sequence[Piece], members: list[int]) -> bool:
    """Two variables joined by "/" and followed by "ratio", or by a value no one of them is measured in: the
    quotient of the two, which no lexicon entry names."""
    last = members[-1]
    if len(members) < 2 or pieces[members[-2] + 1].text != "/":
        return False
    if last + 1 < len(pieces) and pieces[last + 1].lower in _RATIO_WORDS:
        return True
    if len(members) != 2:
        return False  # "AST/ALT/bilirubin > 2": a list of three is no quotient
    numerator, denominator = (variable_id(pieces[m]) for m in members)
    value = _value_of(pieces, end_of_variable_list(pieces, last))
    return value is not None and slash_names_a_quotient(numerator, denominator, *value)


def _value_of(pieces: Sequence[Piece], i: int) -> tuple[str | None, bool] | None:
    """The unit of the value starting at i and whether it is each variable's own (a reference limit "x ULN" or a
    pair "140/90"); None when no value starts there."""
    n = len(pieces)
    j = i
    while j < n and not is_number(pieces[j]):
        if j - i > 3 or not (_VALUE_OPENERS & pieces[j].kinds.keys() or skippable_after_comparator(pieces[j])):
            return None
        j += 1
    multiplier = False  # "more than twice normal range": a multiple of each one's limit
    while j < n and (is_number(pieces[j]) or "DASHNUM" in pieces[j].kinds or _joins_range(pieces, j)):
        multiplier = multiplier or is_multiplier_word(pieces[j])
        j += 1
    if multiplier:
        return None, True
    if j >= n:
        return None, False
    piece = pieces[j]
    if piece.text == "/" and j + 1 < n and is_number(pieces[j + 1]):
        return None, True  # "SBP/DBP > 140/90": a bound for each
    if after_number_reference(pieces, j) is not None or is_multiplier_word(piece):
        return None, True  # "AST/ALT ≤ 2.5 x ULN": each one's own limit
    return piece.kinds.get("UNIT"), False


def _joins_range(pieces: Sequence[Piece], j: int) -> bool:
    """ "2 to 3", "between 2 and 3": a word between the numbers of a range."""
    piece = pieces[j]
    joins = "TO" in piece.kinds or piece.lower in _RANGE_AND
    return joins and j + 1 < len(pieces) and is_number(pieces[j + 1])


def slash_names_a_quotient(numerator: str, denominator: str, unit: str | None, each: bool) -> bool:
    """ "LDL/HDL > 3.5", "albumin/creatinine > 30 mg/g": two variables joined by "/" before a value with no unit,
    or with a unit of a ratio neither of them is measured in, name their quotient, not a bound on each of them; a
    reference limit or a pair of bounds (``each``), or the unit of both ("AST/ALT > 100 U/L"), is a bound on each."""
    if each or all(_measured_in(variable, unit) for variable in (numerator, denominator)):
        return False  # "Karnofsky/Lansky ≥ 60": two scores, a bare number is the value of each
    return unit is None or _ratio_unit(unit)


@lru_cache(maxsize=256)
def _ratio_unit(unit: str) -> bool:
    """A unit a quotient is given in: none at all (%, mg/g, mmol/mol) or a mass per amount (mg/mmol), never a
    concentration or an activity."""
    try:
        dimensions = dict(units.parse_unit(unit).dimensionality)
    except CriteriaError:
        return False  # a unit kept as written: nothing says it is a ratio's
    return not dimensions or (
        set(dimensions) <= {"[mass]", "[substance]"} and any(v.real < 0 for v in dimensions.values())
    )


@lru_cache(maxsize=1024)
def _measured_in(variable: str, unit: str | None) -> bool:
    """Is ``unit`` one the (packaged) lexicon's ``variable`` is measured in (None: a variable without a unit)?"""
    known = load_lexicon().variables.get(variable)
    if known is None or known.unit is None or unit is None:
        return known is not None and known.unit is None and unit is None
    return units.compatible(unit, known.unit, molar_mass=known.molar_mass, analyte=known.id)


def end_of_variable_list(pieces: Sequence[Piece], i: int) -> int:
    """The index just after the list of variables starting at i and its fillers."""
    return _scan_variable_list(pieces, i)[1]


def variable_list(pieces: Sequence[Piece], i: int) -> Iterator[PieceToken]:
    """The ``VAR`` terminals of the list starting at i, with a ``VAR_SEP`` between two of them."""
    members, _ = _scan_variable_list(pieces, i)
    for position, index in enumerate(members):
        if position:
            separator = pieces[members[position - 1] + 1]
            yield token("VAR_SEP", separator.text, separator)
        piece = _named_span(pieces, members[position - 1] + 1 if position else i, index)
        piece = _with_abbreviation(pieces, index, piece)
        yield token("VAR", piece.kinds.get("VARIABLE") or piece.kinds["GROUP"], piece)


def _is_filler(piece: Piece) -> bool:
    return "VERB_IS" in piece.kinds or piece.lower in _FILLERS


def _is_separator(piece: Piece) -> bool:
    return piece.lower in _SEPARATORS


def _scan_variable_list(pieces: Sequence[Piece], i: int) -> tuple[list[int], int]:
    """Indices of the variables of a list starting at i, and the index just after the list and its fillers."""
    members = [i]
    j = i + 1
    n = len(pieces)
    while j < n:
        k = j
        # a parenthesised abbreviation or qualifier: "Left ventricular ejection fraction (LVEF)"
        if pieces[k].text in _OPENERS:
            close = k + 1
            while close < n and close - k < 8 and pieces[close].text not in _CLOSERS:
                close += 1
            if (
                close < n
                and pieces[close].text in _CLOSERS
                and not any(value_start(pieces, m) for m in range(k + 1, close))
            ):
                j = close + 1
                continue
        while k < n and (_is_filler(pieces[k]) or _is_separator(pieces[k])) and not value_start(pieces, k):
            k += 1
        if k < n and is_variable(pieces[k]):
            same = variable_id(pieces[members[-1]]) == variable_id(pieces[k])
            if any(_is_separator(pieces[m]) for m in range(j, k)) and not same:
                members.append(k)
            else:
                # "ECOG (Eastern ...) performance status": one variable named twice; the last name heads the threshold
                members[-1] = k
            j = k + 1
            continue
        return members, k
    return members, j


def _with_abbreviation(pieces: Sequence[Piece], index: int, piece: Piece) -> Piece:
    """ "New York Heart Association (NYHA) class > 2": the abbreviation after the name is part of the mention."""
    if index + 3 >= len(pieces) or not piece.origin:
        return piece
    opener, inner, closer = pieces[index + 1], pieces[index + 2], pieces[index + 3]
    if opener.text not in _OPENERS or closer.text not in _CLOSERS or variable_id(inner) != variable_id(piece):
        return piece
    return Piece(
        piece.index,
        piece.start,
        closer.end,
        piece.char_start,
        closer.char_end,
        piece.origin[piece.char_start - piece.base : closer.char_end - piece.base],
        piece.kinds,
        piece.origin,
        piece.base,
    )


def _named_span(pieces: Sequence[Piece], first: int, last: int) -> Piece:
    """The variable at ``last`` with every name of it written since ``first``: "ECOG (Eastern ...) performance
    status" is one mention."""
    head = pieces[last]
    while first < last and not is_variable(pieces[first]):
        first += 1
    if first >= last or not head.origin:
        return head
    start = pieces[first]
    return Piece(
        head.index,
        start.start,
        head.end,
        start.char_start,
        head.char_end,
        head.origin[start.char_start - head.base : head.char_end - head.base],
        head.kinds,
        head.origin,
        head.base,
    )
