"""The contextual lexer's shortcuts (prose without trying the rules, rules skipped after prose, passes skipped when
no piece can change) give the same terminals as trying every rule of the table in order on every piece."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from criteria_nlp.grammar import pieces_of
from criteria_nlp.grammar.bare_units import mark_bare_units, trim_glued_hyphens
from criteria_nlp.grammar.lexer import RULES, Cursor, Rule, _mark_roman_numerals, lex
from criteria_nlp.grammar.names import read_glued_label, unmark_names
from criteria_nlp.grammar.pieces import Piece, PieceToken
from criteria_nlp.text.nlp import default_pipeline

_GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "parse_cases.jsonl"


def _texts() -> list[str]:
    texts = [json.loads(line)["text"] for line in _GOLDEN.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [*texts, "18 - 65 years, or older", "BMI 27 -55 kg/m2 and age ≥ 18", "temperature > 38C", "class II or III"]


def _reference_lex(pieces: list[Piece]) -> list[PieceToken | Piece]:
    """The table as written: every pass, then at each piece every rule whose kinds or words it has, in order."""
    _mark_roman_numerals(pieces)
    read_glued_label(pieces)
    unmark_names(pieces)
    mark_bare_units(pieces)
    trim_glued_hyphens(pieces)
    c = Cursor(pieces)
    while c.i < c.n:
        c.piece = pieces[c.i]
        c.kinds = c.piece.kinds
        for rule in RULES:
            reads = not rule.kinds.isdisjoint(c.kinds) or c.piece.lower in rule.words
            if (reads or not (rule.kinds or rule.words)) and rule.applies(c):
                rule.emit(c)
                break
        c.i += 1
    return c.out


def _shape(items: list[PieceToken | Piece]) -> list[tuple[str, str, int]]:
    return [
        (item.type, str(item), item.piece.char_start) if isinstance(item, PieceToken) else ("prose", item.text, -1)
        for item in items
    ]


def test_lexer_gives_the_terminals_of_the_whole_table() -> None:
    nlp = default_pipeline()
    texts = _texts()
    assert len(texts) > 100
    for text in texts:
        fast = lex(pieces_of(nlp(text)))
        reference = _reference_lex(pieces_of(nlp(text)))
        assert _shape(fast) == _shape(reference), text


_AFTER_TERMINAL = [rule for rule in RULES if rule.after_terminal]


@pytest.mark.parametrize("rule", _AFTER_TERMINAL, ids=lambda rule: rule.applies.__name__)
def test_rules_marked_after_terminal_never_apply_after_prose(rule: Rule) -> None:
    nlp = default_pipeline()
    for text in _texts():
        pieces = pieces_of(nlp(text))
        c = Cursor(pieces)
        for i, piece in enumerate(pieces):
            c.i, c.piece, c.kinds, c.previous = i, piece, piece.kinds, ""
            assert not rule.applies(c), (text, piece.text)
