"""Reader "not_computable": consent, willingness, judgement and administrative text no patient data can decide.

Consent or willingness with no threshold beside it, or such text with nothing else understood, is the whole
clause (the readers after this one are not asked); an investigator's judgement beside something decidable is
kept as a part of its own (``state.judgement``).
"""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.build.common import cover, cover_pieces, text_of
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Piece
from criteria_nlp.ir import NotComputable, Unparsed

READER = "not_computable"
_ORDER = ("consent", "willingness", "judgement", "administrative")


def read_not_computable(state: BuildState) -> None:
    prose = state.prose
    cues = [p for p in prose if "NOTCOMP" in p.kinds]
    if not cues:
        return
    category = _category(cues)
    for p in cues:
        state.take(p, READER, category)
    span = cover_pieces(prose) or cues[0].span
    parts = state.parts()
    # numbers and windows reported as not understood do not make the rest of the clause decidable
    understood = [p for p in parts if not isinstance(p, Unparsed)]
    if (category in ("consent", "willingness") and state.numeric is None) or not understood:
        span = cover([span, *(p.span for p in parts)]) or span
        for p in prose:
            state.take(p, READER, category)
        state.finish(NotComputable(span=span, category=category, text=span.slice(state.document)))
        return
    if category == "judgement":
        state.judgement = NotComputable(span=span, category=category, text=text_of(prose, state.document))


def _category(pieces: Sequence[Piece]) -> str:
    values = {p.kinds["NOTCOMP"] for p in pieces}
    return next((category for category in _ORDER if category in values), "other")
