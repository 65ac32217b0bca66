"""Bare unit letters: "> 38C", "> 100.4 F". A lone capital after a number is a unit only where the number fits it.

The unit annotator does not read a single "C" or "F" as a unit (coulomb, farad, and "stage 3C" are far more common
in running text); :func:`mark_bare_units` gives the letter its unit when the number before it lies in the range
that ``corpora/units/bare_letters.tsv`` gives for it (a body temperature), so "stage 3C" stays a stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.grammar.pieces import Piece
from criteria_nlp.resources import corpus_path

_MAX_GAP = 1  # glued ("38C") or one space ("38 C")


@cache
def bare_letters() -> dict[str, tuple[str, float, float]]:
    """The bundled letters: letter -> (canonical unit, low, high)."""
    return load_bare_letters(corpus_path("units", "bare_letters.tsv"))


def load_bare_letters(path: Path) -> dict[str, tuple[str, float, float]]:
    """Read the rows after the ``#`` header and the column line."""
    rows: dict[str, tuple[str, float, float]] = {}
    header = True
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        if header:
            header = False
            continue
        fields = raw.split("\t")
        try:
            letter, canonical, low, high = fields
            rows[letter] = (canonical, float(low), float(high))
        except ValueError as error:
            raise CriteriaSemanticError(f"{path.name} line {number}: expected letter, canonical, low, high") from error
    return rows


def mark_bare_units(pieces: Sequence[Piece]) -> None:
    """Give a bare letter after a number its unit kind where the number fits it."""
    letters = bare_letters()
    for i in range(1, len(pieces)):
        piece = pieces[i]
        found = letters.get(piece.text)
        if found is None or piece.kinds:
            continue
        number = pieces[i - 1]
        value = number.kinds.get("NUM")
        if value is None or piece.char_start - number.char_end > _MAX_GAP:
            continue
        canonical, low, high = found
        following = pieces[i + 1] if i + 1 < len(pieces) else None
        glued_on = following is not None and following.char_start == piece.char_end and following.text[:1] in "-/"
        if low <= float(value) <= high and not glued_on:
            piece.kinds = {"UNIT": canonical}
