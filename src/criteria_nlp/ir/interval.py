"""Intervals of real numbers with open or closed ends: what a threshold admits, and the set operations on them.

``Interval(low, low_inclusive, high, high_inclusive)``, ``None`` for an unbounded end. One implementation for the
whole package: thresholds as intervals (:func:`operator_interval`), emptiness, intersection, overlap, cover and
complement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from criteria_nlp.ir.nodes import Operator


@dataclass(frozen=True)
class Interval:
    low: float | None
    low_inclusive: bool
    high: float | None
    high_inclusive: bool

    def is_empty(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > self.high or (self.low == self.high and not (self.low_inclusive and self.high_inclusive))

    def intersect(self, other: Interval) -> Interval:
        low, low_inclusive = self.low, self.low_inclusive
        if other.low is not None and (low is None or other.low > low):
            low, low_inclusive = other.low, other.low_inclusive
        elif other.low is not None and other.low == low:
            low_inclusive = low_inclusive and other.low_inclusive
        high, high_inclusive = self.high, self.high_inclusive
        if other.high is not None and (high is None or other.high < high):
            high, high_inclusive = other.high, other.high_inclusive
        elif other.high is not None and other.high == high:
            high_inclusive = high_inclusive and other.high_inclusive
        return Interval(low, low_inclusive, high, high_inclusive)

    def overlaps(self, other: Interval) -> bool:
        return not self.intersect(other).is_empty()

    def covered_by(self, others: Sequence[Interval]) -> bool:
        """Whether the union of ``others`` contains every value of this interval."""
        if self.is_empty():
            return True
        pieces = sorted(
            (o.intersect(self) for o in others if not o.intersect(self).is_empty()),
            key=lambda i: (float("-inf") if i.low is None else i.low, not i.low_inclusive),
        )
        cursor, cursor_inclusive = self.low, not self.low_inclusive  # "covered up to cursor"
        started = False
        for piece in pieces:
            if not started:
                if piece.low != self.low or (self.low_inclusive and not piece.low_inclusive):
                    return False
                started = True
            elif (
                cursor is not None
                and piece.low is not None
                and (piece.low > cursor or (piece.low == cursor and not cursor_inclusive and not piece.low_inclusive))
            ):
                return False
            if piece.high is None:
                return True
            if cursor is None or piece.high > cursor or (piece.high == cursor and piece.high_inclusive):
                cursor, cursor_inclusive = piece.high, piece.high_inclusive
        if not started:
            return False
        if self.high is None:
            return False
        return cursor is not None and (
            cursor > self.high or (cursor == self.high and (cursor_inclusive or not self.high_inclusive))
        )

    def describe(self, unit: str) -> str:
        if self.low is not None and self.high is not None:
            left = "[" if self.low_inclusive else "("
            right = "]" if self.high_inclusive else ")"
            return f"{left}{self.low:.4g}, {self.high:.4g}{right} {unit}".rstrip()
        if self.low is not None:
            return f"{'≥' if self.low_inclusive else '>'} {self.low:.4g} {unit}".rstrip()
        if self.high is not None:
            return f"{'≤' if self.high_inclusive else '<'} {self.high:.4g} {unit}".rstrip()
        return "any value"


def operator_interval(operator: Operator, value: float) -> Interval | None:
    if operator == "<":
        return Interval(None, False, value, False)
    if operator == "<=":
        return Interval(None, False, value, True)
    if operator == ">":
        return Interval(value, False, None, False)
    if operator == ">=":
        return Interval(value, True, None, False)
    if operator == "==":
        return Interval(value, True, value, True)
    return None


def complement(interval: Interval) -> list[Interval]:
    parts: list[Interval] = []
    if interval.low is not None:
        parts.append(Interval(None, False, interval.low, not interval.low_inclusive))
    if interval.high is not None:
        parts.append(Interval(interval.high, not interval.high_inclusive, None, False))
    return parts
