"""A scale named after its threshold (part of the thresholds reader): "a score of > 5 on the Roland-Morris
Disability Questionnaire", "< 120 points on the Mattis Dementia Rating Scale", "≥ 16 on the 17-item Hamilton
Depression Scale" (the number of items names the scale's version, not a threshold).
"""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.build.common import HYPHENS, cover_pieces, is_content
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Chunk, ConstraintChunk, Piece, ProseChunk, VariableMention
from criteria_nlp.knowledge.words import words

READER = "thresholds"
_GENERIC_SCORE_WORDS = words("generic_score_word")
_SCALE_NAME_WORDS = words("scale_name_word")
_AFTER_SCALE_NAME = words("after_scale_name")
_SCALE_OPENERS = words("scale_opener")
_SCORE_UNITS = words("score_unit")
_ARTICLES = words("article")
_SCALE_COUNT_WORDS = words("scale_count_word")


def scale_after(state: BuildState, index: int, prose_before: Sequence[Piece]) -> VariableMention | None:
    """ "a score of > 5 on the Roland-Morris Disability Questionnaire", "< 120 points on the Mattis Dementia
    Rating Scale": the scale named after the threshold, when the words before it only say "score"."""
    chunks = state.chunks
    position = index + 1
    following = chunks[position] if position < len(chunks) else None
    if isinstance(following, ProseChunk) and following.piece.lower in _SCORE_UNITS:
        position += 1  # "< 120 points on the …": "points" is no unit the registry knows
    if position + 1 >= len(chunks):
        return None
    opener = chunks[position]
    if not isinstance(opener, ProseChunk) or opener.piece.lower not in _SCALE_OPENERS:
        return None
    before = _score_words_before(prose_before)
    if any(p.lower not in _GENERIC_SCORE_WORDS and is_content(p) for p in before):
        return None  # "Hb > 9 g/dL in women": the words before name the variable
    version = _version_of_scale(chunks, position + 1)  # "on the 17-item Hamilton …": the 17 counts its items
    name = _scale_name(chunks[position + 1 + len(version) :])
    if not name or not any(p.lower.rsplit(" ", 1)[-1] in _SCALE_NAME_WORDS or "VARIABLE" in p.kinds for p in name):
        return None
    for p in (c.piece for c in chunks[index + 1 : position + 1] if isinstance(c, ProseChunk)):
        state.take(p, READER, "unit")
    for c in version:
        if isinstance(c, ProseChunk):
            state.take(c.piece, READER, "variable")
        else:
            state.place(c, READER, "variable")
    for p in (*name, *before):
        state.take(p, READER, "variable")
    for p in name:
        if "CONCEPT" in p.kinds:  # "Mattis Dementia Rating Scale"
            state.hold_concept(p)
    if len(name) == 1 and "VARIABLE" in name[0].kinds:
        return VariableMention(name[0].kinds["VARIABLE"], False, name[0].text, name[0].span)
    span = cover_pieces(name) or name[0].span
    numbered = next((c for c in version if isinstance(c, ConstraintChunk)), None)
    if numbered is not None:  # "9-item Patient Health Questionnaire": the version is part of an unknown name
        span = numbered.span.cover(span)
    return VariableMention("", False, span.slice(state.document), span)


def _version_of_scale(chunks: Sequence[Chunk], start: int) -> list[Chunk]:
    """ "the 17-item", "a 24 item": the article and a number of items written before a scale's name, which name its
    version, not a threshold (empty: none there)."""
    position = start
    if position < len(chunks) and isinstance(chunks[position], ProseChunk):
        if chunks[position].piece.lower not in _ARTICLES:  # type: ignore[union-attr]
            return []
        position += 1
    number = chunks[position] if position < len(chunks) else None
    if not isinstance(number, ConstraintChunk) or any(t.explicit for t in number.thresholds):
        return []
    words_after = []
    for chunk in chunks[position + 1 : position + 3]:
        if not isinstance(chunk, ProseChunk):
            break
        words_after.append(chunk)
        if chunk.piece.lower in _SCALE_COUNT_WORDS:
            return list(chunks[start : position + 1 + len(words_after)])
        if chunk.piece.text not in HYPHENS:
            break
    return []


def _score_words_before(prose_before: Sequence[Piece]) -> list[Piece]:
    before: list[Piece] = []
    for piece in reversed(prose_before):
        if (
            piece.text in (",", ";", ":", "(", ")")
            or "CONJ" in piece.kinds
            or "WITH" in piece.kinds
            or piece.lower.startswith("with ")
        ):
            break  # "back pain with a baseline score of > 7 on …": the condition before "with" is no variable
        before.append(piece)
    return before


def _scale_name(chunks: Sequence[Chunk]) -> list[Piece]:
    name: list[Piece] = []
    for chunk in chunks:
        if not isinstance(chunk, ProseChunk):
            break
        piece = chunk.piece
        if piece.text in (",", ";", ".", "(", ")") or "CONJ" in piece.kinds or "IF" in piece.kinds:
            break
        if not name and piece.lower in _ARTICLES:
            continue
        if name and (piece.lower in _AFTER_SCALE_NAME or "WITHIN" in piece.kinds or "BEFORE" in piece.kinds):
            break  # "… Scale at baseline"
        name.append(piece)
        if len(name) >= 10:
            break
    while name and not is_content(name[-1]):
        name.pop()
    return name
