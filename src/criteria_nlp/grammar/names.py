"""Numbers that are not thresholds: the numeral of a name, a date, an identifier, a count of the sentence, a list label.

:func:`unmark_names` runs before the lexer's rules and takes the number kind off such pieces, so that no rule reads
them as a value ("type 2 diabetes", "class I antiarrhythmics", "since 2019", "March 1, 2020", "protocol 2019-0123",
"call 555-123-4567", "at least one method of contraception", "18 years or older 2) BMI < 30"). The words are data
(``corpora/lexicon/number_names.tsv``); the pieces stay as prose, so the builder reads them with the words around them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from criteria_nlp.grammar.pieces import Piece, is_number
from criteria_nlp.grammar.words import read_word_sets
from criteria_nlp.knowledge.durations import duration_of
from criteria_nlp.resources import corpus_path

_NUMBER_KINDS = ("NUM", "NUMWORD")
_LIST_JOINERS = frozenset({",", "or", "and", "and/or", "/", "-", "–", "&"})
_CHAIN_JOINERS = frozenset({"-", "/", "–"})
_YEARS = (1900.0, 2099.0)
_LABEL_MAX = 30.0  # "2)" labels a list item; "45)" more likely closes a bracket
_GLUED_LABEL = re.compile(r"^([1-9][0-9]?)\.([1-9][0-9]+)$")  # "1.18": a label, then a whole number of 2+ digits
_AGE_YEARS = (1.0, 120.0)  # an age in whole years that the number after the label must be
_LABEL_TO_UNIT = 3  # "1.18 years", "1.18-65 years": pieces from the number to the unit of years


@dataclass(frozen=True)
class NumberNames:
    """The word sets of ``number_names.tsv`` (see its header)."""

    name_lead: frozenset[str]
    scale_before_lead: frozenset[str]
    class_lead: frozenset[str]
    name_head: frozenset[str]
    name_before_class: frozenset[str]
    month: frozenset[str]
    date_lead: frozenset[str]
    date_tail: frozenset[str]
    identifier_lead: frozenset[str]
    count_comparator: frozenset[str]
    count_keeps: frozenset[str]
    whole_scale: frozenset[str]


@cache
def number_names() -> NumberNames:
    """The bundled word sets."""
    return load_number_names(corpus_path("lexicon", "number_names.tsv"))


def load_number_names(path: Path) -> NumberNames:
    """Read ``set<TAB>word`` lines after a ``#`` header; every set of :class:`NumberNames` must be there."""
    names = [field.name for field in dataclasses.fields(NumberNames)]
    return NumberNames(**read_word_sets(path, names))


_WORDS = number_names()
_DATE_NAME_TAILS = _WORDS.date_tail - _LIST_JOINERS - frozenset({")", ";", ".", "to", "through"})


def unmark_names(pieces: Sequence[Piece]) -> None:
    """Take the number kind off every piece that is not a value (see the module docstring)."""
    n = len(pieces)
    for i in range(n):
        piece = pieces[i]
        if not is_number(piece):
            continue
        if _glued_chain(pieces, i):
            continue
        before = pieces[i - 1].lower if i > 0 else ""
        if (before in _WORDS.name_lead and _names_a_type(pieces, i)) or (
            before in _WORDS.class_lead and _names_a_class(pieces, i)
        ):
            _unmark_list(pieces, i)
        elif (
            (before in _WORDS.identifier_lead and not _has_unit(pieces, i + 1))
            or _is_date(pieces, i)
            or _sentence_count(pieces, i)
            or _list_label(pieces, i)
        ):
            _unmark(piece)


def _unmark(piece: Piece) -> None:
    piece.kinds = {kind: value for kind, value in piece.kinds.items() if kind not in _NUMBER_KINDS}


def _unmark_list(pieces: Sequence[Piece], i: int) -> None:
    """The numeral at i and those listed after it ("type 1 or 2", "type I and type II", "class I and II")."""
    _unmark(pieces[i])
    j = i + 1
    while j + 1 < len(pieces) and pieces[j].lower in _LIST_JOINERS:
        k = j + 1
        if pieces[k].lower in _WORDS.name_lead or pieces[k].lower in _WORDS.class_lead:
            k += 1
        if k >= len(pieces) or not is_number(pieces[k]) or _has_unit(pieces, k + 1):
            return
        _unmark(pieces[k])
        j = k + 1


def _names_a_type(pieces: Sequence[Piece], i: int) -> bool:
    """ "type 2 diabetes", "MEN type 2", "Diabetes Type I and II"; not "Fitzpatrick skin type I-III"."""
    if i >= 2 and (pieces[i - 2].lower in _WORDS.scale_before_lead or "VARIABLE" in pieces[i - 2].kinds):
        return False
    return not _has_unit(pieces, i + 1) and not _comparator_near(pieces, i)


def _names_a_class(pieces: Sequence[Piece], i: int) -> bool:
    """ "class I antiarrhythmics", "HLA class II antibodies"; not "NYHA class III"."""
    if i >= 2 and pieces[i - 2].lower in _WORDS.name_before_class:
        return True
    j = i + 1
    while j + 1 < len(pieces) and pieces[j].lower in _LIST_JOINERS:
        k = j + 1
        if pieces[k].lower in _WORDS.class_lead:
            k += 1
        if k >= len(pieces) or not is_number(pieces[k]):
            break
        j = k + 1
    return j < len(pieces) and pieces[j].lower in _WORDS.name_head


def _comparator_near(pieces: Sequence[Piece], i: int) -> bool:
    before = pieces[i - 2] if i >= 2 else None
    after = pieces[i + 1] if i + 1 < len(pieces) else None
    return (before is not None and "CMP_PRE" in before.kinds) or (after is not None and "CMP_POST" in after.kinds)


def _has_unit(pieces: Sequence[Piece], j: int) -> bool:
    return j < len(pieces) and ("UNIT" in pieces[j].kinds or "REF" in pieces[j].kinds)


def _year(piece: Piece) -> bool:
    if "NUM" not in piece.kinds or len(piece.text) != 4 or not piece.text.isdigit():
        return False
    return _YEARS[0] <= float(piece.kinds["NUM"]) <= _YEARS[1]


def _is_date(pieces: Sequence[Piece], i: int) -> bool:
    """A day or a year of a date ("March 1, 2020", "1 March 2020", "since 2019", "between 2000 and 2017"), or the
    year of a name ("the ACR 1990 criteria", "(2016)")."""
    n = len(pieces)
    before = pieces[i - 1] if i > 0 else None
    after = pieces[i + 1] if i + 1 < n else None
    if _has_unit(pieces, i + 1):
        return False
    if (before is not None and before.lower in _WORDS.month) or (after is not None and after.lower in _WORDS.month):
        return True
    if not _year(pieces[i]) or (before is not None and "CMP_PRE" in before.kinds):
        return False
    if before is not None and before.lower == "," and i >= 3 and pieces[i - 3].lower in _WORDS.month:
        return True  # "March 1, 2020": the day was read already, but the year follows the comma
    if after is not None and after.lower in _DATE_NAME_TAILS:
        return True
    if before is None:
        return False
    if before.lower == "(":
        return after is not None and after.lower == ")"
    if before.lower in _LIST_JOINERS or "TO" in before.kinds:
        return i >= 2 and _year_text(pieces[i - 2])  # the second year of "between 2000 and 2017"
    if before.lower in ("between", "from"):
        return i + 2 < n and "TO" in pieces[i + 1].kinds and _year(pieces[i + 2])
    return before.lower in _WORDS.date_lead and before.lower not in (",", "(")


def _year_text(piece: Piece) -> bool:
    """A piece that was a year: its number kind may already be gone."""
    return len(piece.text) == 4 and piece.text.isdigit() and _YEARS[0] <= float(piece.text) <= _YEARS[1]


def _glued_chain(pieces: Sequence[Piece], i: int) -> bool:
    """ "555-123-4567", "01/03/2020", "2019-0123-45": three or more numbers glued by one separator are a date or an
    identifier; every number of the chain loses its number kind. Returns whether i began such a chain."""
    j = i
    count = 1
    joiner = None
    while j + 2 < len(pieces):
        sep, following = pieces[j + 1], pieces[j + 2]
        glued = pieces[j].char_end == sep.char_start and sep.char_end == following.char_start
        if not glued or sep.text not in _CHAIN_JOINERS or (joiner is not None and sep.text != joiner):
            break
        if not (is_number(following) or following.text.isdigit()):
            break
        joiner = sep.text
        count += 1
        j += 2
    if count < 3 or _has_unit(pieces, j + 1):
        return False
    for k in range(i, j + 1, 2):
        _unmark(pieces[k])
    return True


def _sentence_count(pieces: Sequence[Piece], i: int) -> bool:
    """ "at least one method of contraception", "on 1 or more antihypertensive medications": a count of one is the
    thing's existence, not a threshold on the words before it. "one or more of the following" stays (a lead-in)."""
    piece = pieces[i]
    value = piece.kinds.get("NUM") or piece.kinds.get("NUMWORD")
    if value is None or piece.lower not in ("1", "one"):
        return False
    before = pieces[i - 1] if i > 0 else None
    j = i + 1
    if before is not None and before.kinds.get("CMP_PRE") == ">=" and before.text[:1].isalpha():
        pass  # "at least one": a comparator written in words
    elif j < len(pieces) and pieces[j].lower in _WORDS.count_comparator:
        j += 1  # "one or more" (not "grade 1 or greater", a bound on a scale)
    else:
        return False
    if j >= len(pieces):
        return False
    noun = pieces[j]
    return (
        noun.text[:1].isalpha()
        and noun.lower not in _WORDS.count_keeps
        and not is_number(noun)
        and not ({"UNIT", "REF", "TIMES", "CMP_PRE", "CMP_POST", "CONJ", "TO"} & noun.kinds.keys())
        and duration_of(noun.kinds.get("UNIT")) is None
    )


def _list_label(pieces: Sequence[Piece], i: int) -> bool:
    """ "18 years or older 2) BMI < 30": a small whole number right before a ")" that closes no bracket labels the
    next item of a list written on one line."""
    n = len(pieces)
    piece = pieces[i]
    if i == 0 or i + 1 >= n or pieces[i + 1].text != ")" or "NUM" not in piece.kinds or not piece.text.isdigit():
        return False
    if float(piece.kinds["NUM"]) > _LABEL_MAX or pieces[i - 1].text == "(":
        return False
    depth = 0
    for earlier in pieces[:i]:
        if earlier.text == "(":
            depth += 1
        elif earlier.text == ")":
            depth = max(0, depth - 1)
    return depth == 0


def read_glued_label(pieces: Sequence[Piece]) -> None:
    """ "1.18 years or older", "1.18-65 years": a criterion that starts with a list label glued to an age in years.

    No one writes an age limit as "1.18 years", and a label "1." that lost its space is common in pasted lists; so
    at the start of a criterion, a number of a small label, a dot and a whole number of two or more digits (no
    leading zero) that an age in years can be, followed by a unit of years, is that age; the label's characters leave
    the piece. Any other such number keeps its decimal reading ("1.25 mg/dL", "1.5 years")."""
    if not pieces or "NUM" not in pieces[0].kinds:
        return
    first = pieces[0]
    found = _GLUED_LABEL.match(first.text)
    if found is None or float(found.group(1)) > _LABEL_MAX:
        return
    value = float(found.group(2))
    unit = next((p.kinds["UNIT"] for p in pieces[1 : 1 + _LABEL_TO_UNIT] if "UNIT" in p.kinds), None)
    duration = duration_of(unit)
    if duration is None or duration.name != "year" or not _AGE_YEARS[0] <= value <= _AGE_YEARS[1]:
        return
    label = len(found.group(1)) + 1
    first.kinds = dict(first.kinds, NUM=repr(value))
    first.text = found.group(2)
    first.char_start += label
