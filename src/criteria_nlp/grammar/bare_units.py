"""Bare unit letters: "> 38C", "> 100.4 F". A lone capital after a number is a unit only where the number fits it.

The unit annotator does not read a single "C" or "F" as a unit (coulomb, farad, and "stage 3C" are far more common
in running text); :func:`mark_bare_units` gives the letter its unit when the number before it lies in the range
that ``corpora/units/bare_letters.tsv`` gives for it (a body temperature), so "stage 3C" stays a stage. A letter
that multiplies ("750K": thousands) leaves the unit out: it is the threshold's unit as written, never compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.grammar.pieces import Piece
from criteria_nlp.resources import corpus_path

_MAX_GAP = 1  # glued ("38C") or one space ("38 C")


_BOUND_KINDS = frozenset({"CMP_PRE", "TO", "FROM", "BETWEEN"})


class BareLetter(NamedTuple):
    """A row of ``bare_letters.tsv``: the unit a letter stands for, the numbers it follows, and whether only a bound."""

    canonical: str
    low: float
    high: float
    bound_only: bool
    context: tuple[str, ...] = ()  # the word stems one of which names what is measured, before the number


@cache
def bare_letters() -> dict[str, BareLetter]:
    """The bundled letters: letter -> its row."""
    return load_bare_letters(corpus_path("units", "bare_letters.tsv"))


def load_bare_letters(path: Path) -> dict[str, BareLetter]:
    """Read the rows after the ``#`` header and the column line."""
    rows: dict[str, BareLetter] = {}
    header = True
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        if header:
            header = False
            continue
        fields = raw.split("\t")
        try:
            letter, canonical, low, high, after, context = fields
            if after not in ("any", "bound"):
                raise ValueError(after)
            # '-': the unit is left out, kept as written (an empty canonical spelling, like the annotator's)
            stems = () if context == "-" else tuple(context.lower().split("|"))
            unit = "" if canonical == "-" else canonical
            rows[letter] = BareLetter(unit, float(low), float(high), after == "bound", stems)
        except ValueError as error:
            raise CriteriaSemanticError(
                f"{path.name} line {number}: expected letter, canonical, low, high, after (any | bound), context"
            ) from error
    return rows


def mark_bare_units(pieces: Sequence[Piece]) -> None:
    """Give a bare letter after a number its unit kind where the number fits it."""
    letters = bare_letters()
    if letters.keys().isdisjoint([piece.text for piece in pieces]):
        return  # most criteria hold no such letter
    for i in range(1, len(pieces)):
        piece = pieces[i]
        found = letters.get(piece.text)
        if found is None or piece.kinds:
            continue
        number = pieces[i - 1]
        value = number.kinds.get("NUM") or number.kinds.get("DASHNUM")
        if value is None or piece.char_start - number.char_end > _MAX_GAP:
            continue
        following = pieces[i + 1] if i + 1 < len(pieces) else None
        glued_on = following is not None and following.char_start == piece.char_end and following.text[:1] in "-/"
        if found.low <= float(value) <= found.high and not glued_on and (not found.bound_only or _bound(pieces, i - 1)):
            # "creatinine between 2 and 6 D": a letter whose measure the words before do not name is kept as written
            named = not found.context or any(stem in p.lower for p in pieces[: i - 1] for stem in found.context)
            piece.kinds = {"UNIT": found.canonical if named else ""}


def _bound(pieces: Sequence[Piece], i: int) -> bool:
    """Is the number at ``i`` signed, or written after a comparator or a range word?"""
    number = pieces[i]
    return (
        "DASHNUM" in number.kinds
        or number.text[:1] in "-−–+"
        or (i > 0 and not _BOUND_KINDS.isdisjoint(pieces[i - 1].kinds))
    )


_HYPHENS = ("-", "–", "‑")


def trim_glued_hyphens(pieces: Sequence[Piece]) -> None:
    """ "18-years or older": the unit annotator's piece starts at the hyphen that glues the unit to its number (so the
    two stay next to each other); the unit as written is the word after it."""
    for i in range(1, len(pieces)):
        piece = pieces[i]
        if "UNIT" in piece.kinds and piece.text.startswith(_HYPHENS) and pieces[i - 1].char_end == piece.char_start:
            piece.text = piece.text[1:]
            piece.char_start += 1
