"""Chunks: what the grammar stage hands to the IR builder, one per constraint, time window or prose piece."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from criteria_nlp.grammar.pieces import Piece
from criteria_nlp.ir import Quantity, Span


@dataclass(frozen=True)
class VariableMention:
    id: str
    is_group: bool
    mention: str
    span: Span


@dataclass(frozen=True)
class Threshold:
    """One threshold of a constraint: an interval on a quantity, or a multiple of a reference limit."""

    low: Quantity | None
    low_inclusive: bool
    high: Quantity | None
    high_inclusive: bool
    reference: str | None  # "ULN" / "LLN" when the bounds are multiples of a reference limit
    operator: str | None  # the comparator as written; None for ranges and bare values ("==" implied)
    span: Span
    explicit: bool  # False for a bare number with no comparator
    pair: Quantity | None = None  # "≤ 140/90 mmHg": the same bound for the second variable of a pair


@dataclass(frozen=True)
class ConstraintChunk:
    variables: tuple[VariableMention, ...]
    thresholds: tuple[Threshold, ...]
    span: Span
    either: bool = False  # "ALT or AST > 3 x ULN": the variables are joined by "or"


@dataclass(frozen=True)
class WindowChunk:
    min_ago: Quantity | None
    max_ago: Quantity | None
    span: Span
    # whether the day exactly ``min_ago`` / ``max_ago`` before is inside, where the wording says so
    # (``TemporalWindow.min_inclusive`` / ``max_inclusive``); None where it does not
    min_inclusive: bool | None = None
    max_inclusive: bool | None = None


class ProseChunk(NamedTuple):
    """A word or cue the grammar left as prose (a named tuple: a criterion has many, and tuples are cheap)."""

    piece: Piece


Chunk = ConstraintChunk | WindowChunk | ProseChunk
