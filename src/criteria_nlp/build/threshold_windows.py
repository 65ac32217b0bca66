"""Reader "threshold_windows": a time window written after or before the thresholds of a clause.

"Hemoglobin ≥ 9 g/dL within 14 days prior to enrollment", "HbA1c ≤ 10% in the past 3 months", "Within 14 days
before enrollment: hemoglobin ≥ 9 g/dL, platelets ≥ 100,000/mm3": the window says when the value must have been
measured. Left unread, the threshold would read the evaluation's default look-back (12 months) and an old value
would decide; read, it becomes the threshold's own look-back (``window`` on ``comparison``, ``range`` and
``reference_multiple``), so a value outside it is not used and no value inside it is unknown.

The window is taken only when it is the clause's one window no concept took (``read_lists`` gives a concept its
nearest window first), and it lies after the last threshold or before the first: a window between two thresholds
may be either's, and stays unread (unknown) as before. Its anchor is the first anchor word after it ("prior to
enrollment"), as for a concept's window. Ages are not measurements and take no window; nor do variables the
lexicon does not know.
"""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Piece, WindowChunk
from criteria_nlp.ir import (
    Comparison,
    Demographic,
    Node,
    Range,
    ReferenceMultiple,
    Span,
    TemporalWindow,
    map_children,
    walk,
)
from criteria_nlp.knowledge.words import words

_PERIOD_LEAD = words("window_period_lead")
_ARTICLES = words("article")

THRESHOLD_WINDOWS = "threshold_windows"

_WINDOWED = (Comparison, Range, ReferenceMultiple)


def read_threshold_windows(state: BuildState) -> None:
    if state.numeric is None:
        return
    windows = [c for c in state.chunks if isinstance(c, WindowChunk) and id(c) not in state.placed_windows]
    if len(windows) != 1:
        return
    # every threshold places the window (an age or an unknown variable's too: "chest pain lasting > 30 minutes
    # within 12 hours, if CK ≥ 2x ULN" puts it between two), only the measured ones take it
    written_thresholds = [n for n in walk(state.numeric) if isinstance(n, (*_WINDOWED, Demographic))]
    thresholds = [n for n in written_thresholds if takes_window(n)]
    if not thresholds:
        return
    window = windows[0]
    after = window.span.start >= max(n.span.end for n in written_thresholds)
    before = window.span.end <= min(n.span.start for n in written_thresholds)
    if not (after or before):
        return
    state.placed_windows.add(id(window))
    state.place(window, THRESHOLD_WINDOWS)
    # a heading window's anchor is written before the thresholds ("Within 14 days before enrollment: ...")
    anchor = _anchor(state, window, min(n.span.start for n in thresholds) if before else None)
    written = window_of(window, anchor.text if anchor is not None else None, window.span, state.prose)
    # the threshold nearest the window holds its words too (as a concept's span covers its window): the last one for
    # a window after them, the first one for a window heading them
    nearest = max(thresholds, key=lambda n: n.span.end) if after else min(thresholds, key=lambda n: n.span.start)
    state.numeric = with_threshold_window(state.numeric, written, nearest)


def window_of(window: WindowChunk, anchor: str | None, span: Span, prose: Sequence[Piece] = ()) -> TemporalWindow:
    """The IR window of a parsed one, with what its wording says of its boundary days (the one place a window
    chunk becomes a ``TemporalWindow``, so no reader drops ``min_inclusive`` / ``max_inclusive``); ``prose``: the
    clause's prose pieces, in which the words right before the window are looked up."""
    max_inclusive = window.max_inclusive
    if max_inclusive is None and window.min_ago is None and _period_before(window, prose):
        max_inclusive = False
    return TemporalWindow(
        min_ago=window.min_ago,
        max_ago=window.max_ago,
        anchor=anchor,
        span=span,
        min_inclusive=window.min_inclusive,
        max_inclusive=max_inclusive,
    )


def _period_before(window: WindowChunk, prose: Sequence[Piece]) -> bool:
    """ "in the 6 months before enrollment": a preposition and an article right before the window ("at least"
    or "within" would be part of the window itself)."""
    before = [piece for piece in prose if piece.char_end <= window.span.start]
    if len(before) < 2:
        return False
    article, lead = before[-1], before[-2]
    adjacent = window.span.start - article.char_end <= 1 and article.char_start - lead.char_end <= 1
    return adjacent and article.lower in _ARTICLES and lead.lower in _PERIOD_LEAD


def takes_window(node: Node) -> bool:
    """A threshold on a measured variable the lexicon knows, with no window yet."""
    # a variable the lexicon does not know ("rise in serum creatinine ≥ 0.3 mg/dL within 48 hours": a change over the
    # window) is decided by no record, and its window may be the change's own span: left as written
    return isinstance(node, _WINDOWED) and node.window is None and node.variable.id not in (None, "age")


def _anchor(state: BuildState, window: WindowChunk, limit: int | None) -> Piece | None:
    """The first anchor word after the window ("prior to enrollment") and before ``limit``, taken with it."""
    for piece in state.prose:
        if limit is not None and piece.char_start >= limit:
            return None
        if "ANCHOR" in piece.kinds and piece.char_start >= window.span.end and not state.taken(piece):
            state.take(piece, THRESHOLD_WINDOWS, "window")
            return piece
    return None


def with_threshold_window(node: Node, window: TemporalWindow, nearest: Node | None = None) -> Node:
    """``node`` with ``window`` on every threshold on a measured variable that has none (``nearest``, one of them,
    also covers the window's span)."""
    if takes_window(node):
        span = node.span.cover(window.span) if node is nearest else node.span
        return node.model_copy(update={"window": window, "span": span})
    return map_children(node, lambda child: with_threshold_window(child, window, nearest))
