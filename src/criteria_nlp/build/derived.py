"""Names of measured things that hold a lexicon variable or a numeral (part of the thresholds reader), issue 11
mechanism 8.

* A score derived from a variable is not the variable: "Weight-for-age z-score between -3 and +2" bounds the z-score,
  never the weight or the age (the ``derived_score_word`` set of ``words.tsv``: "z-score", "SDS", "percentile").
  The name is the words before the score word, a hyphenated compound whole; it is an unknown variable, named as
  written, that the engine does not decide on its own.
* A numeral glued to a name by a hyphen is part of the name: "10-point pain scale score ≥ 4" bounds the score of
  the 10-point scale; the 10 is no threshold and no stray mark.
"""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.build.common import HYPHENS, STOPWORDS
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import ConstraintChunk, Piece, ProseChunk, VariableMention
from criteria_nlp.ir import span_at
from criteria_nlp.knowledge.words import words

READER = "thresholds"
_DERIVED = words("derived_score_word")
_BOUNDARY_TEXT = frozenset({",", ";", ":", "(", ")", "/"})
_BOUNDARY_KINDS = frozenset({"CONJ", "NEG", "CMP_PRE", "CMP_POST", "SEX"})
_LONGEST_MARK = 3  # pieces of a score word as the tokenizer cuts it ("z", "-", "score")
_LONGEST_NAME = 7  # pieces of the name before it ("Weight", "-", "for", "-", "age")


def derived_score(state: BuildState, index: int) -> VariableMention | None:
    """ "BMI z-score > 2": the score word right before the threshold at ``index`` and the name before it, as an
    unknown variable (None: no score word there)."""
    before: list[Piece] = []
    for chunk in reversed(state.chunks[:index]):
        if not isinstance(chunk, ProseChunk) or len(before) > _LONGEST_MARK + _LONGEST_NAME:
            break
        before.insert(0, chunk.piece)
    while before and before[-1].lower in STOPWORDS:
        before.pop()  # "z-score of > 2"
    mark = _mark_length(state, before)
    if not mark or any(state.taken(p) for p in before[-mark:]):
        return None
    name = _name(before[:-mark])
    pieces = [*name, *before[-mark:]]
    for piece in pieces:
        state.take(piece, READER, "variable")
    span = span_at(pieces[0].char_start, pieces[-1].char_end)
    return VariableMention("", False, span.slice(state.document), span)


def _mark_length(state: BuildState, before: Sequence[Piece]) -> int:
    """How many of the last pieces spell a score word ("z-score", "z score", "SDS"); 0: none."""
    for length in range(min(_LONGEST_MARK, len(before)), 0, -1):
        first, last = before[-length], before[-1]
        if state.document[first.char_start : last.char_end].lower() in _DERIVED:
            return length
    return 0


def _name(before: Sequence[Piece]) -> list[Piece]:
    """The name before a score word: words back to a boundary; a stopword only as part of a hyphenated compound
    ("Weight-for-age"); at most one word that no hyphen joins."""
    name: list[Piece] = []
    for position in range(len(before) - 1, -1, -1):
        piece = before[position]
        if piece.text in _BOUNDARY_TEXT or _BOUNDARY_KINDS & piece.kinds.keys() or len(name) >= _LONGEST_NAME:
            break
        hyphenated = piece.text in HYPHENS or (bool(name) and name[0].text in HYPHENS)
        glued = position > 0 and before[position - 1].text in HYPHENS
        if piece.lower in STOPWORDS and not (hyphenated or glued):
            break
        if name and not hyphenated:
            break  # "severe BMI z-score": one word unless a hyphen joins them
        name.insert(0, piece)
    while name and name[0].text in HYPHENS:
        name.pop(0)
    return name


def numeral_of_name(state: BuildState, found: list[Piece]) -> tuple[ConstraintChunk, int] | None:
    """ "10-point pain scale": the bare number glued by a hyphen to the first word of an unknown variable's name,
    and where the name starts (None: there is none)."""
    if len(found) < 2 or found[0].text not in HYPHENS:
        return None
    position = next((k for k, c in enumerate(state.chunks) if isinstance(c, ProseChunk) and c.piece is found[0]), 0)
    chunk = state.chunks[position - 1] if position > 0 else None
    if not isinstance(chunk, ConstraintChunk) or chunk.variables or len(chunk.thresholds) != 1:
        return None
    t = chunk.thresholds[0]
    bare = not t.explicit and t.low is not None and t.low == t.high and t.reference is None
    if not bare or t.low is None or t.low.unit or chunk.span.end != found[0].char_start:
        return None
    return chunk, chunk.span.start


def expanded_abbreviation(state: BuildState, prose_before: Sequence[Piece], found: list[Piece]) -> list[Piece] | None:
    """ "Ocular Surface Disease Index (OSDI) > 12": an unknown abbreviation in brackets right before the threshold,
    and the words before the bracket whose initials spell it (its written-out name), as the pieces of one name;
    None when the initials do not spell it (the abbreviation alone stays the name)."""
    abbreviation = found[-1] if found else None
    if abbreviation is None or not _is_abbreviation(abbreviation.text):
        return None
    position = next((k for k, p in enumerate(prose_before) if p is abbreviation), -1)
    if position < 2 or prose_before[position - 1].text != "(":
        return None
    if position + 1 >= len(prose_before) or prose_before[position + 1].text != ")":
        return None
    wanted = abbreviation.text.upper()
    name: list[Piece] = []
    for piece in reversed(prose_before[: position - 1]):
        # "and" may be part of the name ("Hospital Anxiety and Depression Scale"): the initials decide
        stop = piece.text in _BOUNDARY_TEXT or (_BOUNDARY_KINDS - {"CONJ"}) & piece.kinds.keys()
        if stop or len(name) >= len(wanted) + 3:
            return None
        name.insert(0, piece)
        if wanted in _initials(name) and piece.lower not in STOPWORDS:
            return [*name, prose_before[position - 1], abbreviation, prose_before[position + 1]]
    return None


def _is_abbreviation(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return 2 <= len(letters) <= 8 and all(c.isupper() for c in letters) and text.isalnum()


def _initials(pieces: Sequence[Piece]) -> tuple[str, str]:
    """The initials of the words of ``pieces``, with and without their stopwords ("and", "of", "disease"); each
    part of a hyphenated word counts ("Kellgren-Lawrence": KL)."""
    parts = [part for p in pieces for word in p.text.split() for part in word.replace("-", " ").split()]
    letters = [part for part in parts if part[0].isalpha()]
    every = "".join(part[0].upper() for part in letters)
    return every, "".join(part[0].upper() for part in letters if part.lower() not in STOPWORDS)
