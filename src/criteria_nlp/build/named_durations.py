"""Reader "named_durations": a time threshold on the duration of a thing named right before it.

"sleep duration < 4 hours", "cycle length 25-34 days", "duration of symptoms ≤ 7 days", "disease duration of at
least 6 months", "time from onset to treatment ≤ 6 hours", "symptom onset within 48 hours": the threshold is on that
duration, a variable named as written. No such duration is in the lexicon or in a patient record, so the engine
reports the leaf for review ("unknown variable") instead of deciding it; before this reader the time threshold was
a window given to whatever condition stood nearby ("insomnia within 4 hours": a confident, wrong reading) or a
number reported as not understood. A duration noun that names the start of a condition or treatment ("stroke
onset within 6 hours") leaves the window to that condition: a stroke within 6 hours is what it asks.

The words are data (``words.tsv``: ``duration_noun``, ``duration_alone``, ``duration_link``, ``duration_start``).
Runs after "thresholds", which leaves a time threshold with no variable as a window (``state.durations``), and
before "concepts", so that the concepts inside the name ("pregnancy duration") are part of it, not conditions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from criteria_nlp.build.bounds import propagate_units, threshold_node
from criteria_nlp.build.common import HYPHENS, chunk_span, cover_pieces, is_content, text_of
from criteria_nlp.build.conditions import negation_before
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import ConstraintChunk, Piece, ProseChunk, Threshold, VariableMention, WindowChunk
from criteria_nlp.ir import All, Node, Not
from criteria_nlp.knowledge.words import words

READER = "named_durations"
_NOUNS = words("duration_noun")
_ALONE = words("duration_alone")
_LINKS = words("duration_link")
_STARTS = words("duration_start")
_FILLERS = words("duration_filler")
_ARTICLES = words("article")
_GENERIC = words("generic_noun")  # "disease duration": a stopword elsewhere, the duration's owner here
_STOPS = frozenset({",", ";", ":", "(", ")", "[", "]", ".", "/"})
_STOP_KINDS = frozenset({"CONJ", "WITH", "IF", "UNLESS", "NEG", "NUM", "NUMWORD", "UNIT", "ANCHOR", "SEX"})
# a window written with a strict comparator ("< 3 hours prior to", "more than 2 days after"): the bound excludes itself
_STRICT = re.compile(r"(?:[<>](?!=)|less than|fewer than|under|more than|greater than|over)")
_LONGEST_RUN = 8  # words read back from the threshold
_MODIFIERS = 3  # content words before the duration noun ("reported usual sleep duration")


def read_named_durations(state: BuildState) -> None:
    found: list[Node] = []
    for window in list(state.durations):
        index = _chunk_of(state, window)
        if index is None:
            continue
        chunk = state.chunks[index]
        assert isinstance(chunk, ConstraintChunk)
        node = _reading(state, index, propagate_units(list(chunk.thresholds)))
        if node is not None:
            state.durations.remove(window)
            state.place(chunk, READER)
            found.append(node)
    for index, chunk in enumerate(state.chunks):
        if isinstance(chunk, WindowChunk) and (chunk.min_ago is not None or chunk.max_ago is not None):
            node = _reading(state, index, [_as_threshold(chunk, state.document)], starts_only=True)
            if node is not None:
                state.placed_windows.add(id(chunk))
                state.place(chunk, READER)
                found.append(node)
    if not found:
        return
    nodes = ([state.numeric] if state.numeric is not None else []) + found
    nodes.sort(key=lambda n: n.span.start)
    if len(nodes) == 1:
        state.numeric = nodes[0]
        return
    span = nodes[0].span.cover(nodes[-1].span)
    state.numeric = All(span=span, children=tuple(nodes))


def _chunk_of(state: BuildState, window: WindowChunk) -> int | None:
    """The index of the threshold the reader "thresholds" read as this window."""
    for index, chunk in enumerate(state.chunks):
        if isinstance(chunk, ConstraintChunk) and chunk.span.start <= window.span.start <= chunk.span.end:
            return index
    return None


def _as_threshold(window: WindowChunk, document: str) -> Threshold:
    """ "within 48 hours" as the bound it puts on a duration (at most 48 hours; "< 3 hours prior to": under 3)."""
    low, high = window.min_ago, window.max_ago
    written = window.span.slice(document).lstrip().lower()
    strict = _STRICT.match(written) is not None
    operator = ("<" if strict else "<=") if low is None else (">" if strict else ">=") if high is None else None
    return Threshold(low, not strict, high, not strict, None, operator, window.span, True)


def _reading(state: BuildState, index: int, thresholds: list[Threshold], starts_only: bool = False) -> Node | None:
    """The thresholds at chunk ``index`` on the duration named right before them, or None (no such name). A window
    the grammar parsed ("during the last 2 months") is a time window of what stands before it, unless that names a
    start ("symptom onset within 48 hours"): ``starts_only``."""
    run = _run_before(state, index)
    name = _name(state, run)
    if not name or not thresholds or (starts_only and not _STARTS & {piece.lower for piece in name}):
        return None
    if len(name) == 1:
        name = [*_owner_before_with(state, run[0][0] - 1), *name]
    for piece in name:
        state.take(piece, READER, "variable")
        if "CONCEPT" in piece.kinds:
            state.hold_concept(piece)  # "pregnancy duration": part of the name, no presence of its own
    for _, piece in run:
        if piece.char_start > name[-1].char_start:
            state.take(piece, READER, "connective")  # "disease duration of at least 6 months"
    span = cover_pieces(name) or name[0].span
    variable = VariableMention("", False, text_of(name, state.document), span)
    node = threshold_node(state.known, (variable,), thresholds, span.cover(chunk_span(state.chunks[index])))
    first = next(k for k, c in enumerate(state.chunks) if isinstance(c, ProseChunk) and c.piece is name[0])
    negation = negation_before(state, first)  # "no symptom duration > 7 days"
    return Not(span=negation.span.cover(node.span), child=node) if negation is not None else node


def _run_before(state: BuildState, index: int) -> list[tuple[int, Piece]]:
    """The words right before chunk ``index`` back to the start of their phrase (chunk index, piece)."""
    run: list[tuple[int, Piece]] = []
    position = index - 1
    while position >= 0 and len(run) < _LONGEST_RUN:
        chunk = state.chunks[position]
        if not isinstance(chunk, ProseChunk):
            break
        piece = chunk.piece
        if state.taken(piece) or piece.text in _STOPS or not _STOP_KINDS.isdisjoint(piece.kinds):
            break
        run.append((position, piece))
        position -= 1
    run.reverse()
    return run


def _name(state: BuildState, run: Sequence[tuple[int, Piece]]) -> list[Piece] | None:
    """The duration's name in ``run``: up to three words before a duration noun, the noun, and what it is the
    duration of ("of symptoms", "from onset to treatment"); None when the words name no duration."""
    pieces = [piece for _, piece in run]
    while pieces and (pieces[-1].lower in _LINKS or pieces[-1].lower in _FILLERS or "VERB_IS" in pieces[-1].kinds):
        pieces.pop()  # "disease duration of | at least 6 months", "the interval … will be | at least 2 weeks"
    noun = next(
        (
            k
            for k, piece in enumerate(pieces)
            if piece.lower in _NOUNS and (k == len(pieces) - 1 or pieces[k + 1].lower in _LINKS)
        ),
        None,
    )
    if noun is None:
        return None
    modifiers: list[Piece] = []
    for piece in reversed(pieces[:noun]):
        if piece.text in HYPHENS and modifiers:
            modifiers.insert(0, piece)  # "treatment-free interval"
            continue
        if len(modifiers) == _MODIFIERS or piece.lower in _ARTICLES or not _named(piece):
            break
        modifiers.insert(0, piece)
    while modifiers and modifiers[0].text in HYPHENS:
        modifiers.pop(0)
    name = [*modifiers, *pieces[noun:]]
    if len(name) == 1 and pieces[noun].lower not in _ALONE:
        return None  # "at any time within 6 months": "time" alone names no duration
    if pieces[noun].lower in _STARTS and any("CONCEPT" in piece.kinds for piece in name):
        # "stroke onset within 6 hours": a stroke within 6 hours, the condition's own window, which says its onset
        state.take(pieces[noun], READER, "window")
        return None
    return name


def _named(piece: Piece) -> bool:
    return is_content(piece) or "CONCEPT" in piece.kinds or piece.lower in _NOUNS or piece.lower in _GENERIC


def _owner_before_with(state: BuildState, position: int) -> list[Piece]:
    """ "menstrual cycles with duration between 24 and 35 days": the words before "with" (chunk ``position``)
    own a duration named by its noun alone; empty when none stand there."""
    if position < 0:
        return []
    chunk = state.chunks[position]
    if not isinstance(chunk, ProseChunk) or "WITH" not in chunk.piece.kinds or state.taken(chunk.piece):
        return []
    owner = [piece for _, piece in _run_before(state, position)]
    while owner and (owner[0].lower in _ARTICLES or not _named(owner[0])):
        owner.pop(0)
    owner = owner[-_MODIFIERS:]
    return [*owner, chunk.piece] if owner and all(_named(piece) for piece in owner) else []
