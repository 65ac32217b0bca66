"""Stage 3: parse the numeric islands of a criterion with the LALR grammar in ``grammars/constraints.lark``.

Input is an annotated spaCy ``Doc`` (see :mod:`criteria_nlp.text.nlp`). :func:`pieces_of` resolves overlapping
annotations into a left-to-right sequence of :class:`Piece` s (longest annotation wins); :class:`CueLexer`
decides from context which pieces are structure and feeds lark the terminals; :class:`ChunkTransformer` turns the
tree into :class:`Chunk` values with numbers and units already converted. The IR builder reads the chunks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedInput
from lark.lexer import Lexer
from spacy.tokens import Doc

from criteria_nlp.ir import Quantity, Span, span_at
from criteria_nlp.resources import grammar_path
from criteria_nlp.text.nlp import Annotation, annotations_of, token_bounds

# The order in which an annotation kind wins over another of the same length.
_PRIORITY = {
    "UNIT": 0,
    "REF": 1,
    "NUMWORD": 2,
    "NUM": 3,
    "CMP_PRE": 4,
    "CMP_POST": 5,
    "VARIABLE": 6,
    "GROUP": 6,
    "CONCEPT": 7,
}
_DEFAULT_PRIORITY = 9

# what the rules of _classify test a piece for; a piece with none of these is prose
_STRUCTURE_KINDS = frozenset(
    {"UNIT", "NUM", "NUMWORD", "REF", "CMP_PRE", "AGEWORD", "CMP_POST", "WITHIN", "BEFORE", "FROM", "BETWEEN", "TO"}
    | {"VARIABLE", "GROUP"}
)
_STRUCTURE_WORDS = frozenset({"or", "and/or", ",", "and", "but"})
_LIST_PUNCT = frozenset({",", "/", "&"})
_OPENERS = frozenset({"(", "["})
_CLOSERS = frozenset({")", "]"})
_FILLER_PUNCT = frozenset({"(", ")", "[", "]", ":", "-", "=", '"', "'", "*"})
_ROMAN = {"I": 1.0, "II": 2.0, "III": 3.0, "IV": 4.0, "V": 5.0}
_ROMAN_JOINERS = frozenset({",", "/", "-", "–", "—", "~", "to"})
_ROMAN_LEADS = frozenset(
    {"class", "grade", "stage", "nyha", "type", "classes", "grades", "stages", "classification", "category", "phase"}
)


@dataclass(slots=True)
class Piece:
    """One stretch of tokens with every annotation that covers exactly it (``kinds``: kind -> value)."""

    index: int
    start: int
    end: int
    char_start: int
    char_end: int
    text: str
    kinds: dict[str, str] = field(default_factory=dict)
    origin: str = ""  # the text the pieces were cut from (character offsets minus ``base`` index it)
    base: int = 0
    _lower: str | None = field(default=None, repr=False, compare=False)
    _span: Span | None = field(default=None, repr=False, compare=False)

    @property
    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    def has(self, kind: str) -> bool:
        return kind in self.kinds

    @property
    def span(self) -> Span:
        if self._span is None:
            self._span = span_at(self.char_start, self.char_end)
        return self._span


def pieces_of(doc: Doc, offset: int = 0) -> list[Piece]:
    """Resolve the annotations of ``doc`` into non-overlapping pieces; unannotated tokens become pieces too.

    At each token the longest annotation wins; every annotation of that same extent contributes its kind.
    ``offset`` is added to character positions (the criterion's start in the whole document).
    """
    by_start: dict[int, list[Annotation]] = {}
    for annotation in annotations_of(doc):
        found = by_start.get(annotation.start)
        if found is None:
            by_start[annotation.start] = [annotation]
        else:
            found.append(annotation)
    text, bounds = token_bounds(doc)
    pieces: list[Piece] = []
    append = pieces.append
    i = 0
    n = len(bounds)
    while i < n:
        candidates = by_start.get(i)
        if candidates:
            if len(candidates) == 1:
                only = candidates[0]
                best_end = only.end
                kinds = {only.kind: only.value}
            else:
                # a unit right after a number wins over a longer phrase ("37 weeks gestation": weeks, then gestation)
                unit_end = next((a.end for a in candidates if a.kind == "UNIT"), None)
                best_end = unit_end if unit_end is not None else max(a.end for a in candidates)
                kinds = {}
                for annotation in sorted(candidates, key=_priority):
                    if annotation.end == best_end:
                        kinds.setdefault(annotation.kind, annotation.value)
            start_char, end_char = bounds[i][0], bounds[best_end - 1][1]
            append(
                Piece(
                    len(pieces),
                    i,
                    best_end,
                    start_char + offset,
                    end_char + offset,
                    text[start_char:end_char],
                    kinds,
                    text,
                    offset,
                )
            )
            i = best_end
        else:
            start_char, end_char = bounds[i]
            word = text[start_char:end_char]
            if not word.isspace():  # spaCy keeps runs of extra whitespace as tokens of their own
                append(Piece(len(pieces), i, i + 1, start_char + offset, end_char + offset, word, {}))
            i += 1
    return _absorb_bracketed(pieces)


def _absorb_bracketed(pieces: list[Piece]) -> list[Piece]:
    """Brackets that restate or qualify the piece before them join it (see the three rules below); one pass, and
    none for the many criteria without a bracket."""
    if not any(piece.text == "(" for piece in pieces):
        return pieces
    i = 0
    while i + 3 < len(pieces):
        # after a merge the same position is tried again: "90 kg (200 lb) (exclusive)"
        if not (_restated_comparator(pieces, i) or _restated_quantity(pieces, i) or _bound_note(pieces, i)):
            i += 1
    return pieces


def _restated_comparator(pieces: list[Piece], i: int) -> bool:
    """ "less than or equal to (=<) 40": the symbol in brackets restates the words, so the four pieces are one
    comparator. A bracketed symbol that says something else is left alone (and reported where it stays unread)."""
    first, symbol = pieces[i], _bracketed_piece(pieces, i)
    if symbol is None or "CMP_PRE" not in first.kinds or symbol.kinds.get("CMP_PRE") != first.kinds["CMP_PRE"]:
        return False
    closing = pieces[i + 3]
    _merge_run(pieces, i, i + 4, first.origin[first.char_start - first.base : closing.char_end - first.base])
    return True


def _restated_quantity(pieces: list[Piece], i: int) -> bool:
    """ "Hb < 115 g/L (7.1 mM)", "creatinine > 1.5 mg/dL (133 µmol/L)": a quantity in brackets right after a
    number and its unit restates it in other units; it becomes part of the unit's piece (its span, not its text)."""
    if i < 1 or i + 4 >= len(pieces):
        return False
    unit, opening = pieces[i], pieces[i + 1]
    if opening.text != "(" or "UNIT" not in unit.kinds or not _is_number(pieces[i - 1]):
        return False
    inner = i + 3 if "CMP_PRE" in pieces[i + 2].kinds else i + 2
    if (
        inner + 2 < len(pieces)
        and "NUM" in pieces[inner].kinds
        and "UNIT" in pieces[inner + 1].kinds
        and pieces[inner + 2].text == ")"
    ):
        _merge_run(pieces, i, inner + 3, unit.text)
        return True
    return False


def _bracketed_piece(pieces: Sequence[Piece], i: int) -> Piece | None:
    """The one piece in brackets right after piece ``i`` ("(=<)", "(inclusive)"), or None."""
    if i + 3 < len(pieces) and pieces[i + 1].text == "(" and pieces[i + 3].text == ")":
        return pieces[i + 2]
    return None


_BOUND_NOTES = {"inclusive": "inclusive", "included": "inclusive", "exclusive": "exclusive", "excluded": "exclusive"}


def _bound_note(pieces: list[Piece], i: int) -> bool:
    """ "between 50 kg (inclusive) and 90 kg (exclusive)": a note in brackets after a number or its unit says
    whether that end belongs to the range; it joins the piece before it as its ``BOUND`` kind."""
    end, note = pieces[i], _bracketed_piece(pieces, i)
    if note is None or note.lower not in _BOUND_NOTES or not ("UNIT" in end.kinds or _is_number(end)):
        return False
    _merge_run(pieces, i, i + 4, end.text)
    pieces[i].kinds = dict(end.kinds, BOUND=_BOUND_NOTES[note.lower])
    return True


def _merge_run(pieces: list[Piece], start: int, stop: int, text: str) -> None:
    """Replace ``pieces[start:stop]`` by one piece with the first one's kinds, covering them all, and renumber."""
    first, last = pieces[start], pieces[stop - 1]
    merged = Piece(
        start, first.start, last.end, first.char_start, last.char_end, text, first.kinds, first.origin, first.base
    )
    pieces[start:stop] = [merged]
    for number in range(start + 1, len(pieces)):
        pieces[number].index = number


def _priority(annotation: Annotation) -> int:
    return _PRIORITY.get(annotation.kind, _DEFAULT_PRIORITY)


class PieceToken(Token):
    """A lark token that remembers which piece it came from."""

    piece: Piece


def _token(kind: str, value: str, piece: Piece) -> PieceToken:
    token = PieceToken(kind, value, start_pos=piece.char_start, end_pos=piece.char_end)
    token.piece = piece
    return token


def _number(piece: Piece) -> float | None:
    if "NUM" in piece.kinds:
        return float(piece.kinds["NUM"])
    if "NUMWORD" in piece.kinds:
        return float(piece.kinds["NUMWORD"])
    return None


class CueLexer(Lexer):
    """Hands lark the terminals that :func:`classify` made from a criterion's pieces."""

    def __init__(self, lexer_conf: Any) -> None:  # lark passes its configuration; nothing in it is needed
        pass

    def lex(self, data: Iterator[PieceToken]) -> Iterator[Token]:  # type: ignore[override]  # lark's interface 0
        # lark calls lex() again to resume after an error: hand back the same iterator so that it goes on from the
        # token after the one that failed instead of starting over
        return data


def _is_filler(piece: Piece) -> bool:
    return "VERB_IS" in piece.kinds or piece.text in _FILLER_PUNCT or piece.lower in _FILLER_WORDS


# words that may stand between a variable and its threshold but are content elsewhere ("ST elevation")
_FILLER_WORDS = frozenset({"elevation", "elevations"})


def _is_number(piece: Piece) -> bool:
    return "NUM" in piece.kinds or "NUMWORD" in piece.kinds


def _is_multiplier_word(piece: Piece) -> bool:
    """ "twice", "three times", "3-fold": a number word that already says "times"."""
    return "NUMWORD" in piece.kinds and (piece.lower in ("twice", "thrice") or piece.lower.endswith(("times", "fold")))


def _after_number_reference(pieces: Sequence[Piece], i: int, multiplier: bool = False) -> int | None:
    """Index of a REF reached from position i over "x", "times", "the" (None when there is none). After a
    multiplier word ("three times", "twice") a bare "normal" is the upper limit of normal too."""
    j = i
    hops = 0
    while j < len(pieces) and hops < 3:
        piece = pieces[j]
        if "REF" in piece.kinds or (multiplier and piece.lower == "normal"):
            return j
        if "TIMES" in piece.kinds or piece.lower in (
            "the",
            "of",
            "institutional",
            "the institutional",
            "times the",
            "x the",
        ):
            j += 1
            hops += 1
            continue
        return None
    return None


def _value_start(pieces: Sequence[Piece], i: int) -> bool:
    if i >= len(pieces):
        return False
    piece = pieces[i]
    if _is_number(piece):
        return True
    if "CMP_PRE" in piece.kinds:
        j = i + 1
        while j < len(pieces) and _skippable_after_comparator(pieces[j]):
            j += 1
        return j < len(pieces) and (_is_number(pieces[j]) or "REF" in pieces[j].kinds)
    if "FROM" in piece.kinds or "BETWEEN" in piece.kinds:
        return i + 1 < len(pieces) and _is_number(pieces[i + 1])
    return False


def _mark_roman_numerals(pieces: Sequence[Piece]) -> None:
    """ "NYHA class III or IV", "grade II": Roman numerals after a class/grade word (or a list of them) are numbers."""
    in_list = False
    for i, piece in enumerate(pieces):
        if piece.text in _ROMAN and "NUM" not in piece.kinds and i > 0:
            before = pieces[i - 1]
            joined = "CONJ" in before.kinds or before.text in _ROMAN_JOINERS
            if (
                before.lower in _ROMAN_LEADS
                or "VARIABLE" in before.kinds
                or "CMP_PRE" in before.kinds
                or (in_list and joined)
            ):
                piece.kinds = dict(piece.kinds, NUM=repr(_ROMAN[piece.text]))
                in_list = True
                continue
        if not ("CONJ" in piece.kinds or piece.text in _ROMAN_JOINERS):
            in_list = False


def classify(pieces: Sequence[Piece]) -> Iterator[PieceToken]:
    """The contextual lexer: yield grammar terminals for a criterion's pieces (prose as ``PROSE``)."""
    for item in _classify(pieces):
        yield item if isinstance(item, PieceToken) else _token("PROSE", item.text, item)


def _classify(pieces: Sequence[Piece]) -> Iterator[PieceToken | Piece]:
    """:func:`classify`, but prose pieces come through as they are (no token is made for them)."""
    _mark_roman_numerals(pieces)
    n = len(pieces)
    i = 0
    previous = ""  # type of the last structural terminal emitted
    range_open = False  # inside BETWEEN ... (an "and" is the range separator)
    while i < n:
        piece = pieces[i]
        kinds = piece.kinds
        if (not kinds and piece.text != ",") or (
            _STRUCTURE_KINDS.isdisjoint(kinds) and piece.lower not in _STRUCTURE_WORDS
        ):
            yield piece  # a plain word, or a cue no rule below reads (a concept, a qualifier …): never structure
            previous = ""
            range_open = False
            i += 1
            continue
        if "UNIT" in kinds and previous == "NUM":
            yield _token("UNIT", kinds["UNIT"], piece)
            previous = "UNIT"
        elif (
            _is_number(piece)
            and i + 2 < n
            and pieces[i + 1].text == "/"
            and "NUM" in pieces[i + 2].kinds
            and "NUM" in kinds
        ):
            # "140/90 mmHg": a systolic/diastolic pair
            yield _token("NUM", kinds["NUM"], piece)
            yield _token("PAIR_SEP", "/", pieces[i + 1])
            yield _token("NUM", pieces[i + 2].kinds["NUM"], pieces[i + 2])
            previous = "NUM"
            i += 2
        elif _is_number(piece):
            value = kinds.get("NUM") or kinds["NUMWORD"]
            yield _token("NUM", value, piece)
            previous = "NUM"
            ref = _after_number_reference(pieces, i + 1, multiplier=_is_multiplier_word(piece))
            if ref is not None:
                yield _token("REF", pieces[ref].kinds.get("REF", "ULN"), pieces[ref])
                previous = "REF"
                i = ref
            elif i + 1 < n and "TIMES" in pieces[i + 1].kinds and "NUMWORD" in kinds:
                i += 1  # "twice times": the multiplier word already says times
        elif "REF" in kinds and previous == "CMP_PRE":
            yield _token("REF", kinds["REF"], piece)
            previous = "REF"
        elif "CMP_PRE" in kinds and i + 2 < n and _is_variable(pieces[i + 1]) and _is_number(pieces[i + 2]):
            # "greater than NYHA 2": the variable stands between comparator and number
            variable = pieces[i + 1]
            yield _token("VAR", variable.kinds.get("VARIABLE") or variable.kinds["GROUP"], variable)
            yield _token("CMP_PRE", kinds["CMP_PRE"], piece)
            previous = "CMP_PRE"
            i += 1
        elif "CMP_PRE" in kinds and _value_start(pieces, i):
            j = i + 1
            while j < n and _skippable_after_comparator(pieces[j]) and not _is_number(pieces[j]):
                if "AGEWORD" in pieces[j].kinds or pieces[j].lower in ("age", "ages"):
                    yield pieces[j]  # "under the age of 18": age is the variable
                j += 1
            yield _token("CMP_PRE", kinds["CMP_PRE"], piece)
            previous = "CMP_PRE"
            i = j - 1
        elif "AGEWORD" in kinds and previous == "UNIT" and i + 1 < n and "CMP_POST" in pieces[i + 1].kinds:
            pass  # "18 years old and older": the unit already says what "old" says
        elif "CMP_POST" in kinds and previous in ("NUM", "UNIT", "REF") and _number_follows(pieces, i + 1):
            # "< 40 or over 80": not a comparator after the number but a second threshold
            joiner = "VALUE_AND" if piece.lower.startswith("and") else "VALUE_OR"
            yield _token(joiner, piece.text, piece)
            yield _token("CMP_PRE", _STRICT[kinds["CMP_POST"]], piece)
            previous = "CMP_PRE"
            if pieces[i + 1].lower == "than":
                i += 1
        elif "CMP_POST" in kinds and previous in ("NUM", "UNIT", "REF"):
            yield _token("CMP_POST", kinds["CMP_POST"], piece)
            previous = "CMP_POST"
        elif (
            "WITHIN" in kinds
            and _is_number(pieces[_skip_the(pieces, i + 1)])
            and _time_follows(pieces, _skip_the(pieces, i + 1))
        ):
            yield _token("WITHIN", "within", piece)
            previous = "WITHIN"
            i = _skip_the(pieces, i + 1) - 1
        elif "WITHIN" in kinds and i + 1 < n and _is_number(pieces[i + 1]) and _after_number_reference(pieces, i + 2):
            yield _token("CMP_PRE", "<=", piece)  # "within 2 times the upper limit of normal"
            previous = "CMP_PRE"
        elif "BEFORE" in kinds and previous in ("UNIT",):
            yield _token("BEFORE", kinds["BEFORE"] or piece.lower, piece)
            previous = "BEFORE"
        elif "FROM" in kinds and (first := _range_start(pieces, i)) is not None and _open_ended(pieces, first):
            yield _token("CMP_PRE", ">=", piece)  # "of both sexes from 18 years": a range with no upper end
            previous = "CMP_PRE"
            i = first - 1
        elif ("FROM" in kinds or "BETWEEN" in kinds) and (first := _range_start(pieces, i)) is not None:
            # "between 18 and 65", "between the ages of 18 and 65", "between ages >= 18 and 65"
            for word in pieces[i + 1 : first]:
                if "CMP_PRE" not in word.kinds:
                    yield word  # "the ages of": prose that tells the builder the range is an age
            kind = "FROM" if "FROM" in kinds else "BETWEEN"
            yield _token(kind, piece.lower, piece)
            previous = kind
            range_open = kind == "BETWEEN"
            i = first - 1
        elif (
            "TO" in kinds
            and previous in ("NUM", "UNIT")
            and i + 1 < n
            and (
                _is_number(pieces[i + 1])
                or ("CMP_PRE" in pieces[i + 1].kinds and i + 2 < n and _is_number(pieces[i + 2]))
            )
            and (piece.lower != "and" or range_open)
        ):
            yield _token("RANGE_SEP", piece.text, piece)
            previous = "RANGE_SEP"
            range_open = False
        elif (
            piece.lower in ("or", "and/or", ",")
            and previous in ("NUM", "UNIT", "REF", "CMP_POST")
            and _value_start(pieces, i + 1)
            and _has_comparator_or_list(pieces, i + 1)
        ):
            yield _token("VALUE_OR", piece.text, piece)
            previous = "VALUE_OR"
        elif (
            piece.lower == "and"
            and previous in ("NUM", "UNIT")
            and not range_open
            and i + 1 < n
            and _is_number(pieces[i + 1])
            and _after_number_reference(pieces, i + 2) is None
        ):
            yield _token("VALUE_OR", piece.text, piece)  # "ASA 1 and 2": a set of allowed values
            previous = "VALUE_OR"
        elif (
            piece.lower in ("and", "but")
            and previous in ("NUM", "UNIT", "REF")
            and i + 1 < n
            and "CMP_PRE" in pieces[i + 1].kinds
            and _value_start(pieces, i + 1)
        ):
            yield _token("VALUE_AND", piece.text, piece)
            previous = "VALUE_AND"
        elif ("VARIABLE" in kinds or "GROUP" in kinds) and _heads_threshold(pieces, i):
            yield from _variable_list(pieces, i)
            i = _end_of_variable_list(pieces, i)
            previous = "VAR"
            continue
        else:
            yield piece
            previous = ""
            range_open = False
        i += 1


def _range_start(pieces: Sequence[Piece], i: int) -> int | None:
    """Index of the first number of a range opened at i ("between [the ages of] [>=] 18 and 65"), or None."""
    j = i + 1
    n = len(pieces)
    while (
        j < n
        and j - i <= 4
        and not _is_number(pieces[j])
        and (pieces[j].lower in ("the", "ages", "age", "of") or "AGEWORD" in pieces[j].kinds)
    ):
        j += 1
    if j < n and "CMP_PRE" in pieces[j].kinds and j + 1 < n and _is_number(pieces[j + 1]) and j > i + 1:
        j += 1  # "between ages >= 18 and 65": the comparator restates the lower end
    if j < n and _is_number(pieces[j]) and _value_start(pieces, j):
        return j
    return None


def _open_ended(pieces: Sequence[Piece], first: int) -> bool:
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
        or _is_number(pieces[j])
    )


def _skippable_after_comparator(piece: Piece) -> bool:
    """Words between a comparator and its number: "more than the", "under the age of"."""
    return piece.lower in ("the", "a", "an", "of", "than", "to", "age", "ages") or (
        "AGEWORD" in piece.kinds and piece.lower not in ("old", "years old")
    )


def _skip_the(pieces: Sequence[Piece], i: int) -> int:
    while i < len(pieces) - 1 and pieces[i].lower in ("the", "last", "past", "previous", "preceding", "prior"):
        i += 1
    return min(i, len(pieces) - 1)


def _has_comparator_or_list(pieces: Sequence[Piece], i: int) -> bool:
    """An "or" joins two thresholds when the next one has its own comparator or is a plain number."""
    return "CMP_PRE" in pieces[i].kinds or _is_number(pieces[i])


def _is_variable(piece: Piece) -> bool:
    return "VARIABLE" in piece.kinds or "GROUP" in piece.kinds


def _is_separator(piece: Piece) -> bool:
    return piece.text in _LIST_PUNCT or piece.lower in ("and", "or", "and/or", "nor", "as well as", "both")


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
                and not any(_value_start(pieces, m) for m in range(k + 1, close))
            ):
                j = close + 1
                continue
        while k < n and (_is_filler(pieces[k]) or _is_separator(pieces[k])) and not _value_start(pieces, k):
            k += 1
        if k < n and _is_variable(pieces[k]):
            same = _variable_id(pieces[members[-1]]) == _variable_id(pieces[k])
            if any(_is_separator(pieces[m]) for m in range(j, k)) and not same:
                members.append(k)
            else:
                # "ECOG (Eastern ...) performance status": one variable named twice; the last name heads the threshold
                members[-1] = k
            j = k + 1
            continue
        return members, k
    return members, j


def _variable_id(piece: Piece) -> str:
    return piece.kinds.get("VARIABLE") or piece.kinds.get("GROUP", "")


def _heads_threshold(pieces: Sequence[Piece], i: int) -> bool:
    if pieces[i].kinds.get("VARIABLE") in _CATEGORICAL_VARIABLES:
        return False  # "Of either gender, aged ≥ 19": a number never measures sex
    _, after = _scan_variable_list(pieces, i)
    return _value_start(pieces, after) and not _window_ahead(pieces, after)


def _window_ahead(pieces: Sequence[Piece], i: int) -> bool:
    """Is the value starting at i a time window ("3 months prior to") rather than a threshold?"""
    n = len(pieces)
    while i < n and (
        "CMP_PRE" in pieces[i].kinds or _is_number(pieces[i]) or "UNIT" in pieces[i].kinds or "TO" in pieces[i].kinds
    ):
        i += 1
    return i < n and "BEFORE" in pieces[i].kinds


_CATEGORICAL_VARIABLES = frozenset({"sex"})
_STRICT = {">=": ">", ">": ">", "<=": "<", "<": "<", "==": "=="}
_TIME_UNITS = frozenset({"year", "month", "week", "day", "hour", "minute", "min"})


def _number_follows(pieces: Sequence[Piece], i: int) -> bool:
    if i < len(pieces) and pieces[i].lower == "than":
        i += 1
    return i < len(pieces) and _is_number(pieces[i])


def _time_follows(pieces: Sequence[Piece], i: int) -> bool:
    """Is the number at i followed by a unit of time (possibly after a range "3-6 months")?"""
    n = len(pieces)
    j = i + 1
    if j + 1 < n and "TO" in pieces[j].kinds and _is_number(pieces[j + 1]):
        j += 2
    return j < n and pieces[j].kinds.get("UNIT", "") in _TIME_UNITS


def _end_of_variable_list(pieces: Sequence[Piece], i: int) -> int:
    return _scan_variable_list(pieces, i)[1]


def _variable_list(pieces: Sequence[Piece], i: int) -> Iterator[PieceToken]:
    members, _ = _scan_variable_list(pieces, i)
    for position, index in enumerate(members):
        if position:
            separator = pieces[members[position - 1] + 1]
            yield _token("VAR_SEP", separator.text, separator)
        piece = _named_span(pieces, members[position - 1] + 1 if position else i, index)
        piece = _with_abbreviation(pieces, index, piece)
        yield _token("VAR", piece.kinds.get("VARIABLE") or piece.kinds["GROUP"], piece)


def _with_abbreviation(pieces: Sequence[Piece], index: int, piece: Piece) -> Piece:
    """ "New York Heart Association (NYHA) class > 2": the abbreviation after the name is part of the mention."""
    if index + 3 >= len(pieces) or not piece.origin:
        return piece
    opener, inner, closer = pieces[index + 1], pieces[index + 2], pieces[index + 3]
    if opener.text not in _OPENERS or closer.text not in _CLOSERS or _variable_id(inner) != _variable_id(piece):
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
    while first < last and not _is_variable(pieces[first]):
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


# ---------------------------------------------------------------------------------------------------------------
# Chunks: what the transformer hands to the IR builder


@dataclass(frozen=True)
class VariableMention:
    id: str
    is_group: bool
    mention: str
    span: Span


@dataclass(frozen=True)
class Threshold:
    """One threshold of a constraint: an interval on a quantity, or a multiple of a reference limit."""

    low: Quantity | None
    low_inclusive: bool
    high: Quantity | None
    high_inclusive: bool
    reference: str | None  # "ULN" / "LLN" when the bounds are multiples of a reference limit
    operator: str | None  # the comparator as written; None for ranges and bare values ("==" implied)
    span: Span
    explicit: bool  # False for a bare number with no comparator
    pair: Quantity | None = None  # "≤ 140/90 mmHg": the same bound for the second variable of a pair


@dataclass(frozen=True)
class ConstraintChunk:
    variables: tuple[VariableMention, ...]
    thresholds: tuple[Threshold, ...]
    span: Span
    either: bool = False  # "ALT or AST > 3 x ULN": the variables are joined by "or"


@dataclass(frozen=True)
class _VariableList:
    members: tuple[VariableMention, ...]
    either: bool


@dataclass(frozen=True)
class WindowChunk:
    min_ago: Quantity | None
    max_ago: Quantity | None
    span: Span


class ProseChunk(NamedTuple):
    """A word or cue the grammar left as prose (a named tuple: a criterion has many, and tuples are cheap)."""

    piece: Piece


Chunk = ConstraintChunk | WindowChunk | ProseChunk


def _span_of(*items: Any) -> Span:
    starts: list[int] = []
    ends: list[int] = []
    for item in items:
        if isinstance(item, Token):
            starts.append(item.start_pos or 0)
            ends.append(item.end_pos or 0)
        elif isinstance(item, Span):
            starts.append(item.start)
            ends.append(item.end)
        elif hasattr(item, "span"):
            starts.append(item.span.start)
            ends.append(item.span.end)
    return span_at(min(starts), max(ends))


@dataclass(frozen=True)
class _Q:
    quantity: Quantity
    span: Span
    pair: Quantity | None = None  # the second value of "140/90 mmHg"
    bound: str | None = None  # "inclusive" / "exclusive" when a note in brackets says so


@dataclass(frozen=True)
class _Ref:
    factor: float
    reference: str
    span: Span


def _bound(operator: str, value: Quantity, reference: str | None, span: Span, explicit: bool = True) -> Threshold:
    if operator in (">", ">="):
        return Threshold(value, operator == ">=", None, False, reference, operator, span, explicit)
    if operator in ("<", "<="):
        return Threshold(None, False, value, operator == "<=", reference, operator, span, explicit)
    return Threshold(value, True, value, True, reference, operator, span, explicit)


def _is_empty(threshold: Threshold) -> bool:
    low, high = threshold.low, threshold.high
    if low is None or high is None or threshold.reference is not None:
        return False
    if low.unit_normalized != high.unit_normalized and low.unit_normalized and high.unit_normalized:
        return False  # different units: not comparable here
    return low.value > high.value or (
        low.value == high.value and not (threshold.low_inclusive and threshold.high_inclusive)
    )


def _complementary(first: Threshold, second: Threshold) -> bool:
    """One threshold is a lower bound only and the other an upper bound only (of the same kind)."""
    if first.reference != second.reference:
        return False
    lower_then_upper = first.high is None and first.low is not None and second.low is None and second.high is not None
    upper_then_lower = first.low is None and first.high is not None and second.high is None and second.low is not None
    return lower_then_upper or upper_then_lower


def _intersect(first: Threshold, second: Threshold) -> Threshold:
    """ "> 1.4 and <= 2.0": a lower and an upper bound joined by "and" make one interval."""
    low, low_inclusive = (
        (first.low, first.low_inclusive) if first.low is not None else (second.low, second.low_inclusive)
    )
    high, high_inclusive = (
        (second.high, second.high_inclusive) if second.high is not None else (first.high, first.high_inclusive)
    )
    if low is not None and high is not None and low.unit is None and high.unit is not None:
        low = Quantity(value=low.value, unit=high.unit, unit_normalized=high.unit_normalized)
    return Threshold(
        low,
        low_inclusive,
        high,
        high_inclusive,
        first.reference or second.reference,
        None,
        first.span.cover(second.span),
        True,
    )


@v_args(inline=True)
class ChunkTransformer(Transformer[Token, list[Chunk]]):
    """Converts the parse tree into chunks; numbers and units become :class:`Quantity` values here."""

    def start(self, *items: Any) -> list[Chunk]:
        return [ProseChunk(item.piece) if isinstance(item, PieceToken) else item for item in items]

    def pair(self, first: PieceToken, sep: PieceToken, second: PieceToken, unit: PieceToken | None = None) -> _Q:
        main = self.quantity(first, unit)
        other = self.quantity(second, unit)
        return _Q(main.quantity, _span_of(first, second, *([unit] if unit is not None else [])), other.quantity)

    def quantity(self, number: PieceToken, unit: PieceToken | None = None) -> _Q:
        value = float(number)
        bound = (unit or number).piece.kinds.get("BOUND")
        if unit is None:
            return _Q(Quantity(value=value), _span_of(number), bound=bound)
        written = unit.piece.text.removesuffix(".")  # "g/dL." at the end of a sentence
        return _Q(Quantity(value=value, unit=written, unit_normalized=str(unit)), _span_of(number, unit), bound=bound)

    def multiple(self, number: PieceToken, ref: PieceToken) -> _Ref:
        return _Ref(float(number), str(ref), _span_of(number, ref))

    def reference(self, item: _Ref | PieceToken) -> _Ref:
        if isinstance(item, _Ref):
            return item
        return _Ref(1.0, str(item), _span_of(item))

    def compare(self, cmp: PieceToken, q: _Q) -> Threshold:
        threshold = _bound(str(cmp), q.quantity, None, _span_of(cmp, q))
        if q.pair is not None:
            return dataclasses.replace(threshold, pair=q.pair)
        return threshold

    def compare_after(self, q: _Q, cmp: PieceToken) -> Threshold:
        return _bound(str(cmp), q.quantity, None, _span_of(q, cmp))

    def compare_reference(self, cmp: PieceToken, ref: _Ref) -> Threshold:
        return _bound(
            str(cmp), Quantity(value=ref.factor, unit=f"x {ref.reference}"), ref.reference, _span_of(cmp, ref)
        )

    def compare_reference_after(self, ref: _Ref, cmp: PieceToken) -> Threshold:
        return _bound(
            str(cmp), Quantity(value=ref.factor, unit=f"x {ref.reference}"), ref.reference, _span_of(ref, cmp)
        )

    def bare_reference(self, ref: _Ref) -> Threshold:
        return _bound("==", Quantity(value=ref.factor, unit=f"x {ref.reference}"), ref.reference, ref.span, False)

    def bare(self, q: _Q) -> Threshold:
        return _bound("==", q.quantity, None, q.span, False)

    def range_bounded(self, low: _Q, sep: PieceToken, cmp: PieceToken, high: _Q) -> Threshold:
        """ "2 to <12 years": the upper end carries its own comparator."""
        result = self.range(low, sep, high)
        return Threshold(result.low, True, result.high, str(cmp) != "<", None, None, result.span, True)

    def range_compared(
        self, low_cmp: PieceToken, low: _Q, sep: PieceToken, high_cmp: PieceToken, high: _Q
    ) -> Threshold:
        """ ">18 to < 90 years": each end carries its own comparator."""
        result = self.range(low, sep, high)
        return Threshold(
            result.low,
            str(low_cmp) != ">",
            result.high,
            str(high_cmp) != "<",
            None,
            None,
            _span_of(low_cmp, result),
            True,
        )

    def range_opened_bounded(
        self, opener: PieceToken, low: _Q, sep: PieceToken, cmp: PieceToken, high: _Q
    ) -> Threshold:
        """ "between 10 to < 1000": the upper end carries its own comparator."""
        result = self.range_bounded(low, sep, cmp, high)
        return dataclasses.replace(result, span=_span_of(opener, result))

    def range(self, *items: Any) -> Threshold:
        quantities = [item for item in items if isinstance(item, _Q)]
        low, high = quantities[0].quantity, quantities[1].quantity
        low_inclusive, high_inclusive = quantities[0].bound != "exclusive", quantities[1].bound != "exclusive"
        if low.unit is None and high.unit is not None:
            low = Quantity(value=low.value, unit=high.unit, unit_normalized=high.unit_normalized)
        comparable = low.unit_normalized == high.unit_normalized or not (low.unit_normalized and high.unit_normalized)
        if comparable and low.value > high.value:
            low, high = high, low  # "65 to 18 years"; "28 days to 18 years" is in order already
            low_inclusive, high_inclusive = high_inclusive, low_inclusive
        return Threshold(low, low_inclusive, high, high_inclusive, None, None, _span_of(*items), True)

    def value(self, threshold: Threshold) -> Threshold:
        return threshold

    def value_list(self, *items: Any) -> list[Threshold]:
        thresholds: list[Threshold] = []
        join_next = False
        comma = False
        for item in items:
            if isinstance(item, Threshold):
                # "≥ 8, ≤ 20": a lower and an upper bound after a bare comma are one interval too
                complementary = bool(thresholds) and _complementary(thresholds[-1], item)
                joined = _intersect(thresholds[-1], item) if (join_next or (comma and complementary)) else None
                if joined is not None and not _is_empty(joined):
                    thresholds[-1] = joined
                else:
                    # "BMI < 35 and > 60": bounds no value meets together are alternatives
                    thresholds.append(item)
                join_next = comma = False
            elif isinstance(item, Token):
                join_next = item.type == "VALUE_AND"
                comma = item.type == "VALUE_OR" and str(item) == ","
        return thresholds

    def var_list(self, *items: PieceToken) -> _VariableList:
        members = [
            VariableMention(
                str(t), "GROUP" in t.piece.kinds and "VARIABLE" not in t.piece.kinds, t.piece.text, _span_of(t)
            )
            for t in items
            if t.type == "VAR"
        ]
        either = any(t.type == "VAR_SEP" and t.piece.lower in ("or", "and/or", "nor") for t in items)
        return _VariableList(tuple(members), either)

    def constraint(self, *items: Any) -> ConstraintChunk:
        variables = _VariableList((), False)
        thresholds: list[Threshold] = []
        for item in items:
            if isinstance(item, _VariableList):
                variables = item
            else:
                thresholds = item
        spans = [v.span for v in variables.members] + [t.span for t in thresholds]
        return ConstraintChunk(variables.members, tuple(thresholds), _span_of(*spans), variables.either)

    def window_within(self, within: PieceToken, q: _Q, before: PieceToken | None = None) -> WindowChunk:
        return WindowChunk(None, q.quantity, _span_of(within, q, *([before] if before is not None else [])))

    def window_within_range(self, within: PieceToken, low: _Q, sep: PieceToken, high: _Q, *rest: Any) -> WindowChunk:
        unit = high.quantity
        first = Quantity(
            value=low.quantity.value,
            unit=low.quantity.unit or unit.unit,
            unit_normalized=low.quantity.unit_normalized or unit.unit_normalized,
        )
        return WindowChunk(first, high.quantity, _span_of(within, low, high, *rest))

    def window_compare(self, cmp: PieceToken, q: _Q, before: PieceToken) -> WindowChunk:
        if str(cmp) in (">", ">="):
            return WindowChunk(q.quantity, None, _span_of(cmp, q, before))
        return WindowChunk(None, q.quantity, _span_of(cmp, q, before))

    def window_ago(self, q: _Q, before: PieceToken) -> WindowChunk:
        return WindowChunk(q.quantity, q.quantity, _span_of(q, before))


@cache
def _parser() -> Lark:
    """The LALR parser; it builds trees, which :data:`_TRANSFORMER` turns into chunks."""
    return Lark(grammar_path("constraints.lark").read_text(encoding="utf-8"), parser="lalr", lexer=CueLexer)


# A template is the shape of a parse tree with the run's tokens replaced by their positions: (rule, children).
_Template = tuple[str, tuple["_Template | int", ...]]
_TEMPLATES: dict[tuple[str, ...], _Template | None] = {}
_TEMPLATE_LIMIT = 16384
_TRANSFORMER = ChunkTransformer()
_CALLBACKS: dict[str, Any] = {}


def _template_of(tree: Tree[Token], positions: dict[int, int]) -> _Template:
    children: list[_Template | int] = []
    for child in tree.children:
        if isinstance(child, Tree):
            children.append(_template_of(child, positions))
        else:
            children.append(positions[id(child)])
    return (str(tree.data), tuple(children))


def _replay(template: _Template, run: Sequence[PieceToken]) -> Any:
    name, children = template
    arguments = [run[child] if isinstance(child, int) else _replay(child, run) for child in children]
    callback = _CALLBACKS.get(name)
    if callback is None:
        callback = _CALLBACKS[name] = getattr(_TRANSFORMER, name)
    return callback(*arguments)


def _template(run: Sequence[PieceToken]) -> _Template | None:
    """The parse of a run depends only on its terminal types (the LALR tables read nothing else), so the tree's
    shape is computed once per type sequence and replayed through the transformer with each run's own tokens.
    None when the sequence does not parse without error recovery."""
    key = tuple(token.type for token in run)
    if key in _TEMPLATES:
        return _TEMPLATES[key]
    try:
        tree = _parser().parse(iter(run))
    except UnexpectedInput:
        template = None
    else:
        template = _template_of(tree, {id(token): position for position, token in enumerate(run)})
    if len(_TEMPLATES) < _TEMPLATE_LIMIT:
        _TEMPLATES[key] = template
    return template


def parse_chunks(pieces: Sequence[Piece]) -> tuple[list[Chunk], list[Piece]]:
    """Parse a criterion's pieces; returns the chunks and the pieces the grammar had to skip (never silently).

    Only the runs of structural terminals go through lark (prose cannot occur inside a constraint or window, so
    each run parses on its own); prose pieces become prose chunks directly. A token the grammar cannot place is
    kept as prose and also reported in the second list.
    """
    chunks: list[Chunk] = []
    skipped: list[Piece] = []
    run: list[PieceToken] = []
    for item in _classify(pieces):
        if isinstance(item, PieceToken):
            run.append(item)
        else:
            if run:
                _parse_run(run, chunks, skipped)
                run = []
            chunks.append(ProseChunk(item))
    if run:
        _parse_run(run, chunks, skipped)
    if skipped:
        chunks.sort(key=_chunk_start)
    return chunks, skipped


def _chunk_start(chunk: Chunk) -> int:
    return chunk.piece.char_start if isinstance(chunk, ProseChunk) else chunk.span.start


def _parse_run(run: list[PieceToken], chunks: list[Chunk], skipped: list[Piece]) -> None:
    template = _template(run)
    if template is not None:
        chunks.extend(_replay(template, run))
        return
    failed: list[Piece] = []

    def recover(error: UnexpectedInput) -> bool:
        token = getattr(error, "token", None)
        if isinstance(token, PieceToken) and len(failed) < len(run):
            failed.append(token.piece)
            return True
        return False  # the end of input, or no progress: nothing left to skip to

    try:
        result: list[Chunk] = _TRANSFORMER.transform(_parser().parse(iter(run), on_error=recover))
        chunks.extend(result)
    except UnexpectedInput:
        failed = [token.piece for token in run]  # keep all of it as prose
    seen: set[int] = set()
    for piece in failed:
        if piece.index not in seen:
            seen.add(piece.index)
            chunks.append(ProseChunk(piece))
            skipped.append(piece)
