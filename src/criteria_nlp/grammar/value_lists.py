"""Lexer rules for lists of allowed values (issue 11 mechanism 2), kept apart from the lexer's own table.

Also "= 3 or higher" (mechanism 1): a comparator after the value of an "=" is the terminal ``CMP_AFTER_EQ``, which
the grammar reads as the bound (``compare_restated``); after a directional comparator ("> 18 years and older") it
stays ``CMP_POST``, which does not fit, and the linter reports the repetition.

"NYHA class I, II, or III", "ECOG 0, 1, and 2": a comma followed by "or"/"and" before the last value is one
separator; without this rule the comma ends the list and the last value is lost or read as a second threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from criteria_nlp.grammar.lookahead import comparator_or_number, value_start
from criteria_nlp.grammar.pieces import Piece
from criteria_nlp.grammar.words import grammar_words


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
    )


def emit_serial_comma(c: Cursor) -> None:
    c.emit("VALUE_OR", c.piece.text, c.piece)
    c.i += 1  # the conjunction says no more than the comma did


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
