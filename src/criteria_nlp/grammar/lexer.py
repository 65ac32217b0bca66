"""The contextual lexer: which pieces of a criterion are structure, and which grammar terminal each one is.

The lexer walks the pieces left to right and, at each, tries the rules of :data:`RULES` in order; the first whose
test holds emits its terminals (and may consume pieces after the current one). Order matters: a piece often fits
several rules ("and" is a range separator after "between", a second bound before a comparator, prose elsewhere), and
the earlier, more specific context wins. Prose pieces come through as they are; :func:`classify` makes ``PROSE``
terminals of them for lark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from typing import Any, NamedTuple

from lark import Token
from lark.lexer import Lexer

from criteria_nlp.grammar.bare_units import mark_bare_units, trim_glued_hyphens
from criteria_nlp.grammar.lookahead import (
    after_number_reference,
    comparator_or_number,
    is_multiplier_word,
    names_age,
    number_follows,
    open_ended,
    range_start,
    skip_window_words,
    skippable_after_comparator,
    time_follows,
    value_start,
)
from criteria_nlp.grammar.names import read_glued_label, unmark_names
from criteria_nlp.grammar.pieces import Piece, PieceToken, is_number, is_variable, token
from criteria_nlp.grammar.value_lists import (
    after_equality,
    comma_list,
    count_follows,
    emit_after_equality,
    emit_comma_list,
    emit_serial_comma,
    joined_count,
    other_constraint_follows,
    other_quantity_follows,
    serial_comma,
)
from criteria_nlp.grammar.variables import end_of_variable_list, heads_threshold, variable_list
from criteria_nlp.grammar.words import grammar_words
from criteria_nlp.knowledge.durations import duration_of
from criteria_nlp.knowledge.words import words

_VALUES = ("NUM", "UNIT", "REF")
_WORDS = grammar_words()
_ARTICLES = words("article")  # "within a year"
_CONJUNCTIVE_STARTS = tuple(sorted(_WORDS.conjunctive_start))
_STRICT = {">=": ">", ">": ">", "<=": "<", "<": "<", "==": "=="}
_ROMAN = {"I": 1.0, "II": 2.0, "III": 3.0, "IV": 4.0, "V": 5.0}
_TEXT = attrgetter("text")
_KINDS = attrgetter("kinds")


class Cursor:
    """Where the lexer is: the current piece, the last terminal emitted, and what has been emitted."""

    __slots__ = ("at", "i", "kinds", "n", "out", "piece", "pieces", "previous", "range_open")
    piece: Piece  # the current piece and its kinds, set by :func:`lex` before the rules are tried
    kinds: dict[str, str]

    def __init__(self, pieces: Sequence[Piece]) -> None:
        self.pieces = pieces
        self.n = len(pieces)
        self.i = 0  # the current piece; a rule that consumes more moves it to the last piece it consumed
        self.previous = ""  # type of the last structural terminal emitted ("" after prose)
        self.range_open = False  # inside BETWEEN ... (an "and" is the range separator)
        self.at = 0  # a position a rule's test found, for its emitter (the reference, the range's first number)
        self.out: list[PieceToken | Piece] = []

    def emit(self, kind: str, value: str, piece: Piece) -> None:
        self.out.append(token(kind, value, piece))
        self.previous = kind


class Rule(NamedTuple):
    """When ``applies`` holds at the cursor, ``emit`` emits the terminals (and moves the cursor past what it read).

    A rule is tried only on a piece that carries one of its ``kinds`` or is one of its ``words`` (lower case); a
    rule with neither is tried on every piece. A rule whose test reads a terminal before the piece (``c.previous``
    is a value, a comparator …) says so with ``after_terminal``: it is not tried after prose, where ``c.previous``
    is empty and its test cannot hold.
    """

    kinds: frozenset[str]
    words: frozenset[str]
    applies: Callable[[Cursor], bool]
    emit: Callable[[Cursor], None]
    after_terminal: bool = False


def _prose(c: Cursor) -> None:
    c.out.append(c.piece)
    c.previous = ""
    c.range_open = False


def _unit_after_number(c: Cursor) -> bool:
    return "UNIT" in c.kinds and c.previous == "NUM"


def _emit_unit(c: Cursor) -> None:
    c.emit("UNIT", c.kinds["UNIT"], c.piece)


def _number_pair(c: Cursor) -> bool:
    """ "140/90 mmHg": a systolic/diastolic pair."""
    i, pieces = c.i, c.pieces
    return (
        is_number(c.piece)
        and i + 2 < c.n
        and pieces[i + 1].text == "/"
        and "NUM" in pieces[i + 2].kinds
        and "NUM" in c.kinds
    )


def _emit_pair(c: Cursor) -> None:
    second = c.pieces[c.i + 2]
    c.emit("NUM", c.kinds["NUM"], c.piece)
    c.emit("PAIR_SEP", "/", c.pieces[c.i + 1])
    c.emit("NUM", second.kinds["NUM"], second)
    c.i += 2


def _number_before_reference(c: Cursor) -> bool:
    """ "3 x ULN", "twice the upper limit of normal": a factor of a reference limit."""
    if not is_number(c.piece):
        return False
    found = after_number_reference(c.pieces, c.i + 1, multiplier=is_multiplier_word(c.piece))
    if found is None:
        return False
    c.at = found
    return True


def _emit_multiple(c: Cursor) -> None:
    reference = c.pieces[c.at]
    c.emit("NUM", c.kinds.get("NUM") or c.kinds["NUMWORD"], c.piece)
    c.emit("REF", reference.kinds.get("REF", "ULN"), reference)
    c.i = c.at


def _number(c: Cursor) -> bool:
    return is_number(c.piece)


def _emit_number(c: Cursor) -> None:
    c.emit("NUM", c.kinds.get("NUM") or c.kinds["NUMWORD"], c.piece)
    if c.i + 1 < c.n and "TIMES" in c.pieces[c.i + 1].kinds and "NUMWORD" in c.kinds:
        c.i += 1  # "twice times": the multiplier word already says times


def _dashed_number(c: Cursor) -> bool:
    """ "BMI 27 -55 kg/m2", "19 years -65": a range whose dash is glued to its second number (``text.signs``)."""
    return "DASHNUM" in c.kinds and c.previous in ("NUM", "UNIT") and not c.range_open


def _emit_dash_then_number(c: Cursor) -> None:
    c.emit("RANGE_SEP", "-", c.piece)
    c.emit("NUM", c.kinds["DASHNUM"], c.piece)


def _reference_after_comparator(c: Cursor) -> bool:
    return "REF" in c.kinds and c.previous == "CMP_PRE"


def _emit_reference(c: Cursor) -> None:
    c.emit("REF", c.kinds["REF"], c.piece)


def _comparator_before_variable(c: Cursor) -> bool:
    """ "greater than NYHA 2": the variable stands between comparator and number."""
    i, pieces = c.i, c.pieces
    return "CMP_PRE" in c.kinds and i + 2 < c.n and is_variable(pieces[i + 1]) and is_number(pieces[i + 2])


def _emit_variable_then_comparator(c: Cursor) -> None:
    variable = c.pieces[c.i + 1]
    c.emit("VAR", variable.kinds.get("VARIABLE") or variable.kinds["GROUP"], variable)
    c.emit("CMP_PRE", c.kinds["CMP_PRE"], c.piece)
    c.i += 1


def _comparator_before_value(c: Cursor) -> bool:
    return "CMP_PRE" in c.kinds and value_start(c.pieces, c.i)


def _emit_comparator(c: Cursor) -> None:
    pieces = c.pieces
    j = c.i + 1
    while j < c.n and skippable_after_comparator(pieces[j]) and not is_number(pieces[j]):
        if names_age(pieces[j]):
            c.out.append(pieces[j])  # "under the age of 18": age is the variable
        j += 1
    c.emit("CMP_PRE", c.kinds["CMP_PRE"], c.piece)
    c.i = j - 1


def _age_word_before_comparator(c: Cursor) -> bool:
    """ "18 years old and older": the unit already says what "old" says."""
    return "AGEWORD" in c.kinds and c.previous == "UNIT" and c.i + 1 < c.n and "CMP_POST" in c.pieces[c.i + 1].kinds


def _emit_nothing(c: Cursor) -> None:
    pass


def _second_threshold(c: Cursor) -> bool:
    """ "< 40 or over 80": not a comparator after the number but a second threshold."""
    return (
        "CMP_POST" in c.kinds
        and c.previous in _VALUES
        and number_follows(c.pieces, c.i + 1)
        and not count_follows(c.pieces, c.i + 1)
    )


def _emit_joined_comparator(c: Cursor) -> None:
    piece = c.piece
    c.emit("VALUE_AND" if piece.lower.startswith(_CONJUNCTIVE_STARTS) else "VALUE_OR", piece.text, piece)
    c.emit("CMP_PRE", _STRICT[c.kinds["CMP_POST"]], piece)
    if c.pieces[c.i + 1].lower in _WORDS.comparator_tail:
        c.i += 1


def _emit_count_comparator(c: Cursor) -> None:
    """The joiner stays prose (the builder reads the "or" of it); the comparator starts the count's own threshold."""
    _prose(c)
    c.emit("CMP_PRE", _STRICT[c.kinds["CMP_POST"]], c.piece)
    if c.pieces[c.i + 1].lower in _WORDS.comparator_tail:
        c.i += 1


def _comparator_before_unit(c: Cursor) -> bool:
    """ "20 or more breaths/min": the unit written after the comparator belongs to the number before it."""
    return "CMP_POST" in c.kinds and c.previous == "NUM" and c.i + 1 < c.n and "UNIT" in c.pieces[c.i + 1].kinds


def _emit_unit_then_comparator(c: Cursor) -> None:
    unit = c.pieces[c.i + 1]
    c.emit("UNIT", unit.kinds["UNIT"], unit)
    c.emit("CMP_POST", c.kinds["CMP_POST"], c.piece)
    c.i += 1


def _comparator_after_value(c: Cursor) -> bool:
    return "CMP_POST" in c.kinds and c.previous in _VALUES


def _emit_comparator_after(c: Cursor) -> None:
    c.emit("CMP_POST", c.kinds["CMP_POST"], c.piece)


def _within_duration(c: Cursor) -> bool:
    """ "within the past 6 months": a window, the words after "within" skipped."""
    if "WITHIN" not in c.kinds:
        return False
    first = skip_window_words(c.pieces, c.i + 1)
    if not (is_number(c.pieces[first]) and time_follows(c.pieces, first)):
        return False
    c.at = first
    return True


def _emit_within(c: Cursor) -> None:
    c.emit("WITHIN", "within", c.piece)
    c.i = c.at - 1


def _within_one_unit(c: Cursor) -> bool:
    """ "within the past year", "in the last month", "within a week": a window of one unit of time written with no
    number (a word of time in the singular; "in recent years", "within the last few months" say no length and stay
    prose). The word carries no unit annotation (units are annotated after numbers), so it is read by its spelling."""
    if "WITHIN" not in c.kinds:
        return False
    first = skip_window_words(c.pieces, c.i + 1)
    if c.pieces[first].lower in _ARTICLES and first + 1 < c.n:
        first += 1
    word = c.pieces[first].lower
    if len(word) < 3 or not word.isalpha() or word.endswith("s") or duration_of(word) is None:
        return False
    c.at = first
    return True


def _emit_within_one(c: Cursor) -> None:
    unit = c.pieces[c.at]
    duration = duration_of(unit.lower)
    assert duration is not None  # the test held
    c.emit("WITHIN", "within", c.piece)
    c.emit("NUM", "1", unit)  # the word alone is one of it
    c.emit("UNIT", duration.name, unit)
    c.i = c.at


def _within_reference(c: Cursor) -> bool:
    """ "within 2 times the upper limit of normal": an upper bound, not a window."""
    i, pieces = c.i, c.pieces
    return (
        "WITHIN" in c.kinds
        and i + 1 < c.n
        and is_number(pieces[i + 1])
        and after_number_reference(pieces, i + 2) is not None
    )


def _emit_at_most(c: Cursor) -> None:
    c.emit("CMP_PRE", "<=", c.piece)


def _before_after_unit(c: Cursor) -> bool:
    # only a duration is a time before the anchor: "Bilirubin > 2 mg/dL before surgery" is a threshold measured
    # before it, never a window of "at least 2 mg/dL ago"
    return "BEFORE" in c.kinds and c.previous == "UNIT" and duration_of(str(c.out[-1])) is not None


def _emit_before(c: Cursor) -> None:
    c.emit("BEFORE", c.kinds["BEFORE"] or c.piece.lower, c.piece)


def _open_range(c: Cursor) -> bool:
    """ "of both sexes from 18 years": a range with no upper end."""
    if "FROM" not in c.kinds:
        return False
    first = range_start(c.pieces, c.i)
    if first is None or not open_ended(c.pieces, first):
        return False
    c.at = first
    return True


def _emit_at_least(c: Cursor) -> None:
    c.emit("CMP_PRE", ">=", c.piece)
    c.i = c.at - 1


def _range_opener(c: Cursor) -> bool:
    """ "between 18 and 65", "between the ages of 18 and 65", "between ages >= 18 and 65"."""
    if "FROM" not in c.kinds and "BETWEEN" not in c.kinds:
        return False
    first = range_start(c.pieces, c.i)
    if first is None:
        return False
    c.at = first
    return True


def _emit_range_opener(c: Cursor) -> None:
    for word in c.pieces[c.i + 1 : c.at]:
        if "CMP_PRE" not in word.kinds:
            c.out.append(word)  # "the ages of": prose that tells the builder the range is an age
    kind = "FROM" if "FROM" in c.kinds else "BETWEEN"
    c.emit(kind, c.piece.lower, c.piece)
    c.range_open = kind == "BETWEEN"
    c.i = c.at - 1


def _range_separator(c: Cursor) -> bool:
    """ "18 to 65", "18-65", the "and" of "between 18 and 65"."""
    i, n, pieces = c.i, c.n, c.pieces
    return (
        "TO" in c.kinds
        and c.previous in ("NUM", "UNIT")
        and i + 1 < n
        and (is_number(pieces[i + 1]) or ("CMP_PRE" in pieces[i + 1].kinds and i + 2 < n and is_number(pieces[i + 2])))
        and (c.piece.lower not in _WORDS.range_and or c.range_open)
    )


def _emit_range_separator(c: Cursor) -> None:
    c.emit("RANGE_SEP", c.piece.text, c.piece)
    c.range_open = False


def _or_between_thresholds(c: Cursor) -> bool:
    """ "< 40 or > 100 mmHg": two thresholds of one variable."""
    return (
        c.piece.lower in _WORDS.value_or
        and c.previous in ("NUM", "UNIT", "REF", "CMP_POST")
        and value_start(c.pieces, c.i + 1)
        and comparator_or_number(c.pieces[c.i + 1])
        and not other_quantity_follows(c)
        and not other_constraint_follows(c)
    )


def _emit_value_or(c: Cursor) -> None:
    c.emit("VALUE_OR", c.piece.text, c.piece)


def _and_between_values(c: Cursor) -> bool:
    """ "ASA 1 and 2": a set of allowed values."""
    i, pieces = c.i, c.pieces
    return (
        c.piece.lower in _WORDS.value_and
        and c.previous in ("NUM", "UNIT")
        and not c.range_open
        and i + 1 < c.n
        and is_number(pieces[i + 1])
        and after_number_reference(pieces, i + 2) is None
        and not other_constraint_follows(c)
    )


def _and_before_comparator(c: Cursor) -> bool:
    """ "> 1.4 and <= 2.0 mg/dL": a lower and an upper bound."""
    i, pieces = c.i, c.pieces
    return (
        c.piece.lower in _WORDS.bound_joiner
        and c.previous in _VALUES
        and i + 1 < c.n
        and "CMP_PRE" in pieces[i + 1].kinds
        and value_start(pieces, i + 1)
        and not other_quantity_follows(c)
        and not other_constraint_follows(c)
    )


def _emit_value_and(c: Cursor) -> None:
    c.emit("VALUE_AND", c.piece.text, c.piece)


def _variable_heads_threshold(c: Cursor) -> bool:
    return ("VARIABLE" in c.kinds or "GROUP" in c.kinds) and heads_threshold(c.pieces, c.i)


def _emit_variables(c: Cursor) -> None:
    c.out.extend(variable_list(c.pieces, c.i))
    c.previous = "VAR"
    c.i = end_of_variable_list(c.pieces, c.i) - 1


def _anything(c: Cursor) -> bool:
    return True


# The rules in the order they are tried; the first that applies emits. See the module docstring for why order matters.
def _on(*kinds: str) -> frozenset[str]:
    return frozenset(kinds)


_NONE: frozenset[str] = frozenset()

# The rules in the order they are tried; the first that applies emits. See the module docstring for why order matters.
RULES: tuple[Rule, ...] = (
    Rule(_on("UNIT"), _NONE, _unit_after_number, _emit_unit, after_terminal=True),
    Rule(_on("NUM"), _NONE, _number_pair, _emit_pair),
    Rule(_on("NUM"), _NONE, comma_list, emit_comma_list),
    Rule(_on("NUM", "NUMWORD"), _NONE, _number_before_reference, _emit_multiple),
    Rule(_on("NUM", "NUMWORD"), _NONE, _number, _emit_number),
    Rule(_on("DASHNUM"), _NONE, _dashed_number, _emit_dash_then_number, after_terminal=True),
    Rule(_on("REF"), _NONE, _reference_after_comparator, _emit_reference, after_terminal=True),
    Rule(_on("CMP_PRE"), _NONE, _comparator_before_variable, _emit_variable_then_comparator),
    Rule(_on("CMP_PRE"), _NONE, _comparator_before_value, _emit_comparator),
    Rule(_on("AGEWORD"), _NONE, _age_word_before_comparator, _emit_nothing, after_terminal=True),
    Rule(_on("CMP_POST"), _NONE, _second_threshold, _emit_joined_comparator, after_terminal=True),
    Rule(_on("CMP_POST"), _NONE, joined_count, _emit_count_comparator, after_terminal=True),
    Rule(_on("CMP_POST"), _NONE, after_equality, emit_after_equality, after_terminal=True),
    Rule(_on("CMP_POST"), _NONE, _comparator_before_unit, _emit_unit_then_comparator, after_terminal=True),
    Rule(_on("CMP_POST"), _NONE, _comparator_after_value, _emit_comparator_after, after_terminal=True),
    Rule(_on("WITHIN"), _NONE, _within_duration, _emit_within),
    Rule(_on("WITHIN"), _NONE, _within_one_unit, _emit_within_one),
    Rule(_on("WITHIN"), _NONE, _within_reference, _emit_at_most),
    Rule(_on("BEFORE"), _NONE, _before_after_unit, _emit_before, after_terminal=True),
    Rule(_on("FROM"), _NONE, _open_range, _emit_at_least),
    Rule(_on("FROM", "BETWEEN"), _NONE, _range_opener, _emit_range_opener),
    Rule(_on("TO"), _NONE, _range_separator, _emit_range_separator, after_terminal=True),
    Rule(_NONE, frozenset({","}), serial_comma, emit_serial_comma, after_terminal=True),
    Rule(_NONE, _WORDS.value_or, _or_between_thresholds, _emit_value_or, after_terminal=True),
    Rule(_NONE, _WORDS.value_and, _and_between_values, _emit_value_or, after_terminal=True),
    Rule(_NONE, _WORDS.bound_joiner, _and_before_comparator, _emit_value_and, after_terminal=True),
    Rule(_on("VARIABLE", "GROUP"), _NONE, _variable_heads_threshold, _emit_variables),
    Rule(_NONE, _NONE, _anything, _prose),
)

# Everything some rule reads: a piece with none of these kinds and words is prose without trying the rules.
_STRUCTURE_KINDS = frozenset().union(*(rule.kinds for rule in RULES))
_STRUCTURE_WORDS = frozenset().union(*(rule.words for rule in RULES))

# The rules a piece can fire, by its kinds, its word (if some rule reads it) and whether it follows prose
# (``c.previous`` empty): few of the table for each piece, often only the prose rule.
_Key = tuple[tuple[str, ...], str, bool]
_Candidates = tuple[tuple[Callable[[Cursor], bool], Callable[[Cursor], None]], ...]
_CANDIDATES: dict[_Key, _Candidates] = {}
_PROSE_ONLY: _Candidates = ((_anything, _prose),)


def _candidates(key: _Key) -> _Candidates:
    kinds, word, after_prose = key
    found = tuple(
        (rule.applies, rule.emit)
        for rule in RULES
        if (not rule.kinds.isdisjoint(kinds) or word in rule.words or not (rule.kinds or rule.words))
        and not (after_prose and rule.after_terminal)
    )
    _CANDIDATES[key] = found = _PROSE_ONLY if found == _PROSE_ONLY else found
    return found


def classify(pieces: Sequence[Piece]) -> Iterator[PieceToken]:
    """The contextual lexer: yield grammar terminals for a criterion's pieces (prose as ``PROSE``)."""
    for item in lex(pieces):
        yield item if isinstance(item, PieceToken) else token("PROSE", item.text, item)


def lex(pieces: Sequence[Piece]) -> list[PieceToken | Piece]:
    """:func:`classify`, but prose pieces come through as they are (no token is made for them)."""
    _mark_roman_numerals(pieces)
    read_glued_label(pieces)
    # the kinds of the criterion, gathered once: the passes below change only pieces of a number or a unit kind
    # (about half the criteria hold no number, most no unit), and mark_bare_units gives units to bare letters only
    present = set().union(*map(_KINDS, pieces))
    if "NUM" in present or "NUMWORD" in present:
        unmark_names(pieces)
    mark_bare_units(pieces)
    if "UNIT" in present:
        trim_glued_hyphens(pieces)
    c = Cursor(pieces)
    n = c.n
    append = c.out.append
    no_structure_kinds = _STRUCTURE_KINDS.isdisjoint
    stale = False  # prose was emitted since the cursor was last updated (set on it before the next rule)
    quiet = True  # the cursor's ``previous`` is empty: no structural terminal since the last prose
    i = 0
    while i < n:
        piece = pieces[i]
        kinds = piece.kinds
        if (not kinds and piece.text != ",") or (no_structure_kinds(kinds) and piece.lower not in _STRUCTURE_WORDS):
            # a piece no rule reads (a plain word, a concept, a qualifier …): prose without trying the rules, as
            # most pieces are
            append(piece)
            stale = quiet = True
            i += 1
            continue
        lower = piece.lower
        key = (tuple(kinds), lower if lower in _STRUCTURE_WORDS else "", quiet)
        candidates = _CANDIDATES.get(key) or _candidates(key)
        if candidates is _PROSE_ONLY:  # what the prose rule does, without calling it
            append(piece)
            stale = quiet = True
            i += 1
            continue
        if stale:
            c.previous = ""
            c.range_open = False
            stale = False
        c.i = i
        c.piece = piece
        c.kinds = kinds
        for applies, emit in candidates:
            if applies(c):
                emit(c)
                break
        quiet = not c.previous
        i = c.i + 1
    return c.out


def _mark_roman_numerals(pieces: Sequence[Piece]) -> None:
    """ "NYHA class III or IV", "grade II": Roman numerals after a class/grade word (or a list of them) are numbers."""
    if _ROMAN.keys().isdisjoint(map(_TEXT, pieces)):
        return  # only a piece written as a numeral changes (asked of every criterion: a C-level look at the texts)
    in_list = False
    for i, piece in enumerate(pieces):
        if piece.text in _ROMAN and "NUM" not in piece.kinds and i > 0:
            before = pieces[i - 1]
            joined = "CONJ" in before.kinds or before.text in _WORDS.roman_joiner
            if (
                before.lower in _WORDS.roman_lead
                or "VARIABLE" in before.kinds
                or "CMP_PRE" in before.kinds
                or (in_list and joined)
            ):
                piece.kinds = dict(piece.kinds, NUM=repr(_ROMAN[piece.text]))
                in_list = True
                continue
        if not ("CONJ" in piece.kinds or piece.text in _WORDS.roman_joiner):
            in_list = False


class CueLexer(Lexer):
    """Hands lark the terminals that :func:`classify` made from a criterion's pieces."""

    def __init__(self, lexer_conf: Any) -> None:  # lark passes its configuration; nothing in it is needed
        pass

    def lex(self, data: Iterator[PieceToken]) -> Iterator[Token]:  # type: ignore[override]  # lark's interface
        # lark calls lex() again to resume after an error: hand back the same iterator so that it goes on from the
        # token after the one that failed instead of starting over
        return data
