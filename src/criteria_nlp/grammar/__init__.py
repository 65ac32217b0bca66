"""Parse stage: the numeric islands of a criterion, read with the LALR grammar in ``grammars/constraints.lark``.

Input is an annotated spaCy ``Doc`` (see :mod:`criteria_nlp.text.nlp`). :func:`pieces_of` resolves overlapping
annotations into a left-to-right sequence of :class:`Piece` s; the contextual lexer (:mod:`.lexer`, a table of
rules) decides from context which pieces are structure and feeds lark the terminals; the transformer turns the tree
into :class:`Chunk` values with numbers and units already converted (:func:`parse_chunks`). The IR builder reads
the chunks.
"""

from criteria_nlp.grammar.chunks import (
    Chunk,
    ConstraintChunk,
    ProseChunk,
    Threshold,
    VariableMention,
    WindowChunk,
)
from criteria_nlp.grammar.lexer import classify
from criteria_nlp.grammar.parser import parse_chunks
from criteria_nlp.grammar.pieces import Piece, PieceToken
from criteria_nlp.grammar.resolve import pieces_of

__all__ = [
    "Chunk",
    "ConstraintChunk",
    "Piece",
    "PieceToken",
    "ProseChunk",
    "Threshold",
    "VariableMention",
    "WindowChunk",
    "classify",
    "parse_chunks",
    "pieces_of",
]
