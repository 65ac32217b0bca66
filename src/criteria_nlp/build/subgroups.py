"""Subgroups of patients listed in one clause, and words about a patient's partner (issue 10 item 10).

* "Women of childbearing potential and men with partners of childbearing potential must use contraception",
  "Pregnant women and men with pregnant partners": items each led by a sex, of both sexes, joined by "and" or
  commas, are a list of subgroups, not a conjunction (no patient is both a woman and a man). Each item is read on
  its own (its sex a restriction of it) and the clause is met by a patient in any of them; read as the subject of
  a rule ("… must use contraception"), each subgroup is the condition of the rule and patients in none are not
  concerned. An item that cannot be read leaves the clause unparsed, never decided on the items read.
* "men whose partner is of childbearing potential", "men with pregnant partners": what the words after a partner
  word say is about the partner, not the patient (the concept "childbearing potential" there is not the patient's):
  it is kept as text the engine does not decide, so that such a patient goes to review.

:func:`split_subgroups` finds them; the builder reads each part with the readers and :meth:`Subgroups.combine`
joins the readings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from criteria_nlp.build.common import SEX_PREPOSITIONS, all_of, any_of, chunk_span, cover, not_understood
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Chunk, ConstraintChunk, Piece, ProseChunk
from criteria_nlp.ir import Node, Unparsed
from criteria_nlp.knowledge.words import words
from criteria_nlp.resources import corpus_path

READER = "subgroups"
_PARTNER_WORDS = words("partner_word")
_PARTNER_LEAD = words("partner_lead")  # "whose", "with": where the words about a partner start
_PERSON_WORDS = words("person_word")
_BREAKS = frozenset({",", ";", "(", ")"})
_HEAD_REACH = 4  # an item's sex stands among its first words ("sexually active men")
_PARTNER_REASON = "words about the patient's partner, not the patient"
_LIST_REASON = "a list of subgroups of patients, one of which could not be read"


@dataclass
class Subgroups:
    """The parts of a clause to read one by one: its subgroups (or the clause itself), each without the words
    about a partner (kept as ``partners``, one list per part)."""

    parts: list[BuildState]
    partners: list[list[Unparsed]]
    listed: bool  # the parts are subgroups (any of them); else one part, the clause
    span: Unparsed  # the whole clause, as text, should a subgroup not be read

    def combine(self, readings: Sequence[Node | None]) -> Node | None:
        if not self.parts:
            return self.span
        nodes: list[Node] = []
        for reading, partners in zip(readings, self.partners, strict=True):
            found = [*([reading] if reading is not None else []), *partners]
            if not found or (self.listed and reading is None):
                return self.span if self.listed else None
            nodes.append(all_of(found))
        return any_of(nodes) if self.listed else nodes[0]


def split_subgroups(state: BuildState) -> Subgroups | None:
    """The clause's subgroups and partner words to read part by part; None when it has neither."""
    if state.exception or state.permission or not state.chunks:
        return None
    features = state.features
    if features.words.isdisjoint(_PARTNER_WORDS) and (
        features.kinds.isdisjoint(("SEX", "CONCEPT")) or _sexed_pieces(state.prose) < 2
    ):
        return None  # neither two sexes nor a partner: nothing to split (decided before any node is built)
    items = _subgroup_items(state.chunks)
    span = cover([chunk_span(c) for c in state.chunks])
    assert span is not None
    whole = not_understood(state, span, _LIST_REASON)
    if items == []:
        for chunk in state.chunks:
            if isinstance(chunk, ProseChunk):
                state.take(chunk.piece, READER, "unparsed")
                state.hold_concept(chunk.piece)
            else:
                state.place(chunk, READER, "unparsed")
        return Subgroups([], [], True, whole)
    has_partner = any(_partner_start(item) is not None for item in items or [state.chunks])
    if items is None and not has_partner:
        return None
    parts: list[BuildState] = []
    partners: list[list[Unparsed]] = []
    for item in items or [state.chunks]:
        start = _partner_start(item)
        if start is None:
            parts.append(_part(state, list(item)))
            partners.append([])
            continue
        end = _partner_end(item, start)
        lead = start
        before = item[start - 1] if start > 0 else None
        if isinstance(before, ProseChunk) and _leads_to_partner(before):
            # the lead ("whose") was read as where the partner's words start: a cue read, not one left unread
            state.take(before.piece, READER, "partner")
            lead = start - 1
        parts.append(_part(state, [*item[:lead], *item[end:]]))
        partners.append([_about_partner(state, item[start:end])])
    return Subgroups(parts, partners, items is not None, whole)


def _partner_end(item: Sequence[Chunk], start: int) -> int:
    """Where the words about a partner end: at the end of the item, or at a comma, ";" or bracket."""
    for k in range(start, len(item)):
        chunk = item[k]
        if isinstance(chunk, ProseChunk) and chunk.piece.text in _BREAKS:
            return k
    return len(item)


def _part(state: BuildState, chunks: list[Chunk]) -> BuildState:
    sexes = frozenset(c.piece.kinds["SEX"] for c in chunks if isinstance(c, ProseChunk) and "SEX" in c.piece.kinds)
    return BuildState(
        chunks,
        state.section,
        state.document,
        state.lexicon,
        state.ledger,
        state.diagnostics,
        inherited=state.inherited,
        subject=state.subject,
        sexes=sexes,
    )


def _about_partner(state: BuildState, chunks: list[Chunk]) -> Unparsed:
    for chunk in chunks:
        if isinstance(chunk, ProseChunk):
            state.take(chunk.piece, READER, "partner")
            state.hold_concept(chunk.piece)
        else:
            state.place(chunk, READER, "partner")
    span = cover([chunk_span(c) for c in chunks])
    assert span is not None
    return not_understood(state, span, _PARTNER_REASON)


def _partner_start(chunks: Sequence[Chunk]) -> int | None:
    """Where the words about a partner start: at the partner word, or the words before it that describe the
    partner ("pregnant partners", "female partners of childbearing potential"); None without a partner word."""
    at = next((k for k, c in enumerate(chunks) if isinstance(c, ProseChunk) and c.piece.lower in _PARTNER_WORDS), None)
    if at is None:
        return None
    start = at
    while start > 0 and _describes_partner(chunks[start - 1]):
        start -= 1
    return start


def _leads_to_partner(chunk: Chunk) -> bool:
    return isinstance(chunk, ProseChunk) and chunk.piece.lower in _PARTNER_LEAD and "CONJ" not in chunk.piece.kinds


def _describes_partner(chunk: Chunk) -> bool:
    if not isinstance(chunk, ProseChunk):
        return False
    piece = chunk.piece
    stops = ("WITH", "IF", "VERB_IS", "CONJ", "NEG", "OBLIGE")
    if any(kind in piece.kinds for kind in stops) or not any(ch.isalnum() for ch in piece.text):
        return False
    return piece.lower not in _PARTNER_LEAD and piece.lower not in _PERSON_WORDS


def _subgroup_items(chunks: Sequence[Chunk]) -> list[list[Chunk]] | None:
    """The clause's items when it lists subgroups of both sexes, each led by its sex, joined by "and" or commas;
    [] when it lists both sexes but not every item names one (the clause is then not read)."""
    items: list[list[Chunk]] = []
    current: list[Chunk] = []
    for chunk in chunks:
        if _joins(chunk):
            items.append(current)
            current = []
            continue
        current.append(chunk)
    items.append(current)
    sexes = [_head_sex(item) for item in items]
    if {"female", "male"} - set(sexes) or _starts_with_preposition(items[0]):
        return None  # "For women … and men …, agreement to …": the list is a condition of words it does not end
    if any(isinstance(c, ConstraintChunk) and not c.variables for item in items[1:] for c in item):
        return None  # "males Hb < 130 g/L, females < 120 g/L": thresholds per sex, read by the thresholds reader
    if None in sexes or any(_only_sex(item) for item in items[:-1]):
        # "Male and non-pregnant, non-lactating female": which item a word without a sex joins is unsure;
        # "Male and females aged 18 to 65": whether the words after the last sex are for both is unsure
        return []
    return items


def _only_sex(item: Sequence[Chunk]) -> bool:
    return all(isinstance(c, ProseChunk) and (c.piece.kinds.get("SEX") or c.piece.lower in _PERSON_WORDS) for c in item)


def _starts_with_preposition(item: Sequence[Chunk]) -> bool:
    first = item[0] if item else None
    return isinstance(first, ProseChunk) and first.piece.lower in SEX_PREPOSITIONS


def _joins(chunk: Chunk) -> bool:
    if not isinstance(chunk, ProseChunk):
        return False
    piece = chunk.piece
    return piece.text == "," or piece.kinds.get("CONJ") == "and"


def _head_sex(item: Sequence[Chunk]) -> str | None:
    """The sex that leads an item: a sex word, or a concept named with one ("Women of childbearing potential"),
    among its first words and before any threshold or partner word."""
    for chunk in item[:_HEAD_REACH]:
        if not isinstance(chunk, ProseChunk):
            return None
        piece = chunk.piece
        if piece.lower in _PARTNER_WORDS:
            return None
        sex = _sex_of(piece)
        if sex is not None:
            return sex
    return None


def _sexed_pieces(prose: Sequence[Piece]) -> int:
    """How many pieces name a sex (:func:`_sex_of`). Asked of every clause: a piece with neither a SEX nor a
    CONCEPT annotation names none, which is found without the call."""
    return sum(1 for p in prose if ("SEX" in p.kinds or "CONCEPT" in p.kinds) and _sex_of(p) is not None)


def _sex_of(piece: Piece) -> str | None:
    value = piece.kinds.get("SEX")
    if value in ("female", "male"):
        return value
    return _sex_in_name(piece.lower) if "CONCEPT" in piece.kinds else None


@lru_cache(maxsize=16384)
def _sex_in_name(name: str) -> str | None:
    """The one sex a concept's words name ("pregnant women"), or None."""
    found = {sex_words().get(word) for word in name.split()} - {None}
    return found.pop() if len(found) == 1 else None


@cache
def sex_words() -> dict[str, str]:
    """The one-word SEX cues of cues.tsv that name one sex ("women" -> female)."""
    found: dict[str, str] = {}
    for raw in corpus_path("lexicon", "cues.tsv").read_text(encoding="utf-8").splitlines():
        fields = raw.split("\t")
        if raw.startswith("#") or len(fields) < 3 or fields[1] != "SEX" or fields[2] not in ("female", "male"):
            continue
        if " " not in fields[0]:
            found[fields[0].lower()] = fields[2]
    return found
