"""Reader "people_scope": a requirement written before the people it is for ("Negative pregnancy test for women of
childbearing potential", "Adequate contraception for sexually active men"), issue 10.

The people after "for" / "in" / "among" (``sex_preposition``), at the end of the clause or alone in a bracket, say
whom the requirement concerns, not a further requirement: read as one, every man (or every woman with no
childbearing potential on record) would fail a pregnancy test he is not asked for. The people are given to the
builder as the reader "sex" gives a sex alone ("not pregnant, for female subjects"): in the inclusion section the
clause is ``if people then requirement`` (the words read after this reader stay in the requirement); in the
exclusion section the people *and* the requirement (only they are excluded).

The people are named by one sex: a sex word with a concept or words describing them ("for female patients of
childbearing potential", "for sexually active men"), or a concept named with a sex ("women of childbearing
potential"); a sex alone is left to the reader "sex". Words the records cannot decide ("sexually active") are kept
as text the engine does not decide: where whether the patient is one of the people is unknown, so is the criterion,
never failed; a patient of the other sex is outside them and meets it. A threshold in the clause is left to the
thresholds reader (its own subgroups), words about a partner to :mod:`~criteria_nlp.build.subgroups`, and people
with a list, a negation or a number in their words to the readers as before. Runs after "lists" (which read the
people as one more concept of the requirement: they are taken out of it) and before "sex".
"""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.build.common import SEX_PREPOSITIONS, all_of, chunk_span, concept_ref, cover_pieces, is_content
from criteria_nlp.build.state import BuildState
from criteria_nlp.build.subgroups import sex_words
from criteria_nlp.grammar import Chunk, Piece, ProseChunk
from criteria_nlp.ir import All, Any_, Demographic, Node, Not, Presence, Unparsed, span_at
from criteria_nlp.knowledge.words import words

READER = "people_scope"
_PERSON_WORDS = words("person_word")
_PARTNER_WORDS = words("partner_word")
_GAP = words("sex_gap")  # "for all women …"
_ENDS = frozenset({".", ";"})
_MOST_WORDS = 8  # the most words naming the people ("female patients of childbearing potential who are …")
_HEAD_REACH = 4  # the people's sex stands among their first words ("sexually active men")
_BANNED = frozenset({"NEG", "IF", "UNLESS", "VARIABLE", "GROUP", "CONJ", "AGEWORD", "NUM", "OBLIGE"})
REASON = "who the people a requirement is for are (words the records cannot decide)"


def read_people_scope(state: BuildState) -> None:
    if state.numeric is not None or state.concepts is None or state.exception or state.permission or state.subject:
        return
    found = _people_named(state)
    if found is None:
        return
    preposition, people, (low, high) = found
    requirement = _without_people(state.concepts, low, high)
    if requirement is None or requirement.span.start >= low:
        return  # nothing is required before the people: "… for women" is then not what this reads
    if not any("CONCEPT" in p.kinds or _unread(p) for p in people):
        return  # a sex alone ("for female subjects"): the reader "sex" reads whom the clause applies to
    when = _people_node(state, people)
    state.take(preposition, READER, "cue:subgroup")
    # as the reader "sex" does for a sex alone: the builder applies the whole clause (its requirement, and words
    # read after this reader) to the people
    state.concepts, state.sex, state.sex_condition = requirement, when, True


def _people_named(state: BuildState) -> tuple[Piece, list[Piece], tuple[int, int]] | None:
    """A preposition with the people after it, of one sex, that end the clause ("… for women of childbearing
    potential") or fill a bracket ("… (for women of childbearing potential) documented within …"): the
    preposition, the people's words and the characters they take (with the brackets)."""
    chunks = state.chunks
    end = len(chunks)
    while end and any(_is(chunks[end - 1], mark) for mark in _ENDS):
        end -= 1
    for k in range(1, end - 1):
        chunk = chunks[k]
        if not isinstance(chunk, ProseChunk) or chunk.piece.lower not in SEX_PREPOSITIONS:
            continue
        before = chunks[k - 1]
        bracketed = isinstance(before, ProseChunk) and before.piece.text == "("
        close = end
        if bracketed:
            close = next((j for j in range(k + 1, end) if _is(chunks[j], ")")), end)
            if close == end:
                continue
        after = chunks[k + 1 : close]
        pieces = [c.piece for c in after if isinstance(c, ProseChunk)]
        if len(pieces) != len(after) or not _names_people(pieces):
            continue
        low = chunk_span(before).start if bracketed else chunk.piece.char_start
        high = chunk_span(chunks[close]).end if bracketed else pieces[-1].char_end
        return chunk.piece, pieces, (low, high)
    return None


def _is(chunk: Chunk, text: str) -> bool:
    return isinstance(chunk, ProseChunk) and chunk.piece.text == text


def _names_people(pieces: Sequence[Piece]) -> bool:
    if not pieces or len(pieces) > _MOST_WORDS:
        return False
    if any(kind in p.kinds for p in pieces for kind in _BANNED) or any(p.lower in _PARTNER_WORDS for p in pieces):
        return False
    if any(not p.text[:1].isalnum() for p in pieces):
        return False  # brackets, commas: the words go on past the people
    sexes = {sex_of(p) for p in pieces} - {None}
    if len(sexes) != 1:
        return False
    leading = [p for p in pieces if p.lower not in _GAP][:_HEAD_REACH]
    return any(sex_of(p) is not None for p in leading)


def _unread(piece: Piece) -> bool:
    """A word describing the people that is neither their sex, a concept nor a word for people ("sexually")."""
    if "CONCEPT" in piece.kinds or sex_of(piece) is not None or piece.lower in _PERSON_WORDS:
        return False
    return is_content(piece) or "QUAL" in piece.kinds


def _people_node(state: BuildState, people: list[Piece]) -> Node:
    """The people as a node: their sex, their concepts, and their other words as text not decided."""
    parts: list[Node] = []
    unread: list[Piece] = []
    for piece in people:
        sex = sex_of(piece)
        if sex is not None and "CONCEPT" not in piece.kinds:
            parts.append(Demographic(span=piece.span, attribute="sex", sex=sex))
            state.take(piece, READER, "sex")
        elif "CONCEPT" in piece.kinds:
            if sex is not None:
                parts.append(Demographic(span=piece.span, attribute="sex", sex=sex))
            parts.append(Presence(span=piece.span, concept=concept_ref(state, piece, ())))
            state.take(piece, READER, "condition")
            state.hold_concept(piece)
        elif _unread(piece):
            unread.append(piece)
            state.take(piece, READER, "condition")
        else:
            state.take(piece, READER, "filler")
    span = cover_pieces(unread)
    if span is not None:
        parts.append(Unparsed(span=span, text=span.slice(state.document), reason=REASON))
    return all_of(parts)


def _without_people(node: Node, low: int, high: int) -> Node | None:
    """``node`` without the concepts the lists reader read between ``low`` and ``high`` (the people's): None when
    nothing is left, or when something other than a concept's presence stands there."""
    if node.span.end <= low or node.span.start >= high:
        return node
    if isinstance(node, Presence):
        return None if low <= node.concept.span.start < high else node  # its span may cover a window elsewhere
    if isinstance(node, Not):
        child = _without_people(node.child, low, high)
        if child is None:
            return None
        span = (
            span_at(node.span.start, max(child.span.end, node.span.start + 1)) if node.span.start < low else node.span
        )
        return node.model_copy(update={"child": child, "span": span})
    if isinstance(node, All | Any_):
        kept: list[Node] = []
        for child in node.children:
            found = _without_people(child, low, high)
            if found is not None:
                kept.append(found)
            elif not isinstance(child, Presence | All | Any_ | Not):
                return None
        if not kept:
            return None
        if len(kept) == 1:
            return kept[0]
        span = kept[0].span
        for child in kept[1:]:
            span = span.cover(child.span)
        return node.model_copy(update={"children": tuple(kept), "span": span})
    return None


def sex_of(piece: Piece) -> str | None:
    """The one sex a piece names: a sex word, or a concept named with one ("women of childbearing potential")."""
    value = piece.kinds.get("SEX")
    if value in ("female", "male"):
        return value
    if "CONCEPT" not in piece.kinds:
        return None
    found = {sex_words().get(word) for word in piece.lower.split()} - {None}
    return found.pop() if len(found) == 1 else None
