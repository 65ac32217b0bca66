"""Pieces: stretches of a criterion's tokens with the annotations that cover them, and the lark tokens made of them.

A :class:`Piece` is what every later step of the grammar stage reads; :class:`PieceToken` is a lark terminal that
remembers its piece. The small tests here (is it a number, a variable) are shared by the lexer's rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lark import Token

from criteria_nlp.ir import Span, span_at


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


class PieceToken(Token):
    """A lark token that remembers which piece it came from."""

    piece: Piece


def token(kind: str, value: str, piece: Piece) -> PieceToken:
    """The terminal ``kind`` with ``value``, at the piece's characters."""
    # what ``PieceToken(kind, value, start_pos=..., end_pos=...)`` makes, without lark's two calls for its
    # deprecated-argument check (a token is made for every structural piece)
    made = _new_string(PieceToken, value)
    made.type = kind
    made.start_pos = piece.char_start
    made.value = value
    made.line = made.column = made.end_line = made.end_column = None
    made.end_pos = piece.char_end
    made.piece = piece
    return made


_new_string = str.__new__


def is_number(piece: Piece) -> bool:
    return "NUM" in piece.kinds or "NUMWORD" in piece.kinds


def is_variable(piece: Piece) -> bool:
    return "VARIABLE" in piece.kinds or "GROUP" in piece.kinds


def variable_id(piece: Piece) -> str:
    return piece.kinds.get("VARIABLE") or piece.kinds.get("GROUP", "")
