"""Reader "leftovers": the words no reader took, kept as explicit ``unparsed`` nodes so that nothing is dropped.

A negation or comparator that reached nothing ("cannot communicate", "bilirubin >1.Sx") counts as such a word, and
so does an unread cue that may change the meaning of what was read ("unless", "only if", "provided that": the
meaning cues of ``corpora/lexicon/meaning_cues.tsv``), so that the check pass ``guard_partial_readings`` finds it in
the words reported; a clause of which nothing was understood is one ``unparsed`` node as a whole (the readers
after this one are not asked). Writes ``state.not_understood``.
"""

from __future__ import annotations

from collections.abc import Set

from criteria_nlp.build.common import CLAUSE_BREAKS, HYPHENS, STOPWORDS, cover_pieces, is_content
from criteria_nlp.build.concepts import NON
from criteria_nlp.build.state import BuildState
from criteria_nlp.check.cues import meaning_cues
from criteria_nlp.grammar import Piece, ProseChunk
from criteria_nlp.ir import Unparsed

READER = "leftovers"
_LOOSE_KINDS = frozenset({"NEG", "CMP_PRE", "CMP_POST"})  # a negation or comparator that reached nothing


def read_leftovers(state: BuildState) -> None:
    prose = state.prose
    taken = state.ledger.entries  # the ledger by piece index: a plain look-up in this loop over every piece
    loose = _unread_cues(state)
    if not state.features.kinds.isdisjoint(_LOOSE_KINDS):
        loose.update(
            p.index
            for p in prose
            if p.index not in taken
            and (("NEG" in p.kinds and p.lower not in NON) or "CMP_PRE" in p.kinds or "CMP_POST" in p.kinds)
            and p.text != "+"  # "HIV (+)": a positive result, not a comparator
        )
    named: set[int] = set()
    runs = leftover_runs(state, loose, named)
    if not state.parts():
        state.finish(_nothing_understood(state, bool(runs)))
        return
    for run in runs:
        for piece in run:
            state.take(piece, READER, "unparsed")
        span = cover_pieces(run) or run[0].span
        state.not_understood.append(
            Unparsed(
                span=span,
                text=span.slice(state.document),  # the text the run covers, as written (``text_of`` of it)
                reason="words not understood: " + ", ".join(repr(p.text) for p in run if p.index in named),
            )
        )


def _unread_cues(state: BuildState) -> set[int]:
    """The pieces of meaning cues no reader took ("only if": both words), pseudo phrases ("if any", "with or
    without") left out; a cue of which a reader took a word ("that required steroids", read as a requirement) was
    read."""
    prose = state.prose
    taken = state.ledger.entries
    if all(p.index in taken for p in prose):
        return set()  # no piece left for a cue to be in (the search is the costly part)
    found: set[int] = set()
    for match in meaning_cues().find(state.document, prose[0].char_start, prose[-1].char_end):
        if state.permission and match.cue.category == "condition":
            continue  # "… are eligible if HBV DNA < 100 IU/mL": the permission's reading holds its condition
        inside = [p.index for p in prose if match.start <= p.char_start < match.end]
        if inside and not any(index in taken for index in inside):
            found.update(inside)
    return found


def _nothing_understood(state: BuildState, leftovers: bool) -> Unparsed | None:
    """The clause as one ``unparsed`` node, or None when it holds no word that means anything."""
    prose = state.prose
    if not leftovers and not any(is_content(p) for p in prose):
        return None
    pieces = [p for p in prose if p.text not in CLAUSE_BREAKS]
    # the words a reader took before (the cue of an exception: "unless" in "unless well controlled") were read
    pieces = [p for p in pieces if p.index not in state.ledger.entries] or pieces
    if not pieces:
        return None
    for piece in pieces:
        state.take(piece, READER, "unparsed")
    span = cover_pieces(pieces) or pieces[0].span
    return Unparsed(span=span, text=span.slice(state.document), reason="no variable, threshold or condition recognised")


def leftover_runs(state: BuildState, loose: Set[int] = frozenset(), named: set[int] | None = None) -> list[list[Piece]]:
    """Runs of words nothing explained; ``loose`` pieces (negations that reached nothing) count as words. A run
    starts at a word and ends at its last word: the stopwords and hyphens inside it are kept, those after it not.
    ``named`` gets the indexes of the words that are loose or content (what a reason names; not the bare numbers
    and units, which also count as words): each piece is asked :func:`is_content` once."""
    taken = state.ledger.entries
    runs: list[list[Piece]] = []
    current: list[Piece] = []
    words_in = 0  # the pieces of ``current`` up to its last word
    for chunk in state.chunks:
        if isinstance(chunk, ProseChunk):
            piece = chunk.piece
            if piece.index not in taken:
                kinds = piece.kinds
                word = piece.index in loose or is_content(piece)
                if word and named is not None:
                    named.add(piece.index)
                # a number that nothing placed is never filler ("from 18 years" that the grammar could not read)
                if word or "NUM" in kinds or "UNIT" in kinds:
                    current.append(piece)
                    words_in = len(current)
                    continue
                if current and (
                    piece.lower in STOPWORDS
                    # "anti-inflammatory": a hyphen inside a word keeps the word whole
                    or (piece.text in HYPHENS and current[-1].char_end == piece.char_start)
                ):
                    current.append(piece)
                    continue
        if current:
            runs.append(current[:words_in])
            current = []
    if current:
        runs.append(current[:words_in])
    return runs
