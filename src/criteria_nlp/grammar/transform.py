"""The transformer: parse trees of the constraint grammar become chunks, numbers and units :class:`Quantity` values.

The lower and upper bounds of one variable ("> 1.4 and <= 2.0 mg/dL", "≥ 8, ≤ 20") are joined into one interval
here; bounds that no value meets together ("BMI < 35 and > 60") stay alternatives.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lark import Token, Transformer, v_args

from criteria_nlp.grammar.chunks import (
    Chunk,
    ConstraintChunk,
    ProseChunk,
    Threshold,
    VariableMention,
    WindowChunk,
)
from criteria_nlp.grammar.pieces import PieceToken
from criteria_nlp.grammar.words import grammar_words
from criteria_nlp.ir import Quantity, Span, span_at
from criteria_nlp.ir.interval import Interval
from criteria_nlp.knowledge.units import exceeds

_EITHER = grammar_words().either_separator


@dataclass(frozen=True)
class _VariableList:
    members: tuple[VariableMention, ...]
    either: bool


def _span_of(*items: Any) -> Span:
    """The span from the first start to the last end of tokens, spans and things with a span (others are left
    out); one pass with no lists, as it runs for every value and bound."""
    start: int | None = None
    end: int | None = None
    for item in items:
        if isinstance(item, Token):
            first, last = item.start_pos or 0, item.end_pos or 0
        elif isinstance(item, Span):
            first, last = item.start, item.end
        elif hasattr(item, "span"):
            first, last = item.span.start, item.span.end
        else:
            continue
        if start is None or first < start:
            start = first
        if end is None or last > end:
            end = last
    if start is None or end is None:
        raise ValueError("no span among the items")
    return span_at(start, end)


@lru_cache(maxsize=4096)
def _quantity(number: str, unit: str | None, normalized: str | None) -> Quantity:
    """The quantity of a number as the lexer gives it (its value's ``repr``: "-0.0" and "0.0" stay apart, as they
    would not as float keys) with its unit as written and normalised, shared: a quantity is immutable, the same ones
    recur from criterion to criterion ("18 years", "1.5 mg/dL"), and a validated model costs microseconds. Without
    a unit the model is made with the value alone, as before (the same fields set)."""
    if unit is None:
        return Quantity(value=float(number))
    return Quantity(value=float(number), unit=unit, unit_normalized=normalized)


@dataclass(frozen=True)
class _Q:
    quantity: Quantity
    span: Span
    pair: Quantity | None = None  # the second value of "140/90 mmHg"
    bound: str | None = None  # "inclusive" / "exclusive" when a note in brackets says so


@dataclass(frozen=True)
class _Ref:
    factor: float
    reference: str
    span: Span


def _bound(operator: str, value: Quantity, reference: str | None, span: Span, explicit: bool = True) -> Threshold:
    if operator in (">", ">="):
        return Threshold(value, operator == ">=", None, False, reference, operator, span, explicit)
    if operator in ("<", "<="):
        return Threshold(None, False, value, operator == "<=", reference, operator, span, explicit)
    return Threshold(value, True, value, True, reference, operator, span, explicit)


def _is_empty(threshold: Threshold) -> bool:
    low, high = threshold.low, threshold.high
    if low is None or high is None or threshold.reference is not None:
        return False
    if low.unit_normalized != high.unit_normalized and low.unit_normalized and high.unit_normalized:
        return False  # different units: not comparable here
    return Interval(low.value, threshold.low_inclusive, high.value, threshold.high_inclusive).is_empty()


def _complementary(first: Threshold, second: Threshold) -> bool:
    """One threshold is a lower bound only and the other an upper bound only (of the same kind)."""
    if first.reference != second.reference:
        return False
    lower_then_upper = first.high is None and first.low is not None and second.low is None and second.high is not None
    upper_then_lower = first.low is None and first.high is not None and second.high is None and second.low is not None
    return lower_then_upper or upper_then_lower


def _join_bounds(first: Threshold, second: Threshold) -> Threshold:
    """ "> 1.4 and <= 2.0": a lower and an upper bound joined by "and" make one interval.

    The bounds are taken as written (the first one's lower, the second one's upper), not intersected: "5 and < 10"
    is [5, 10), where :meth:`Interval.intersect` would give [5, 5]; and the units go with the values."""
    low, low_inclusive = (
        (first.low, first.low_inclusive) if first.low is not None else (second.low, second.low_inclusive)
    )
    high, high_inclusive = (
        (second.high, second.high_inclusive) if second.high is not None else (first.high, first.high_inclusive)
    )
    if low is not None and high is not None and low.unit is None and high.unit is not None:
        low = Quantity(value=low.value, unit=high.unit, unit_normalized=high.unit_normalized)
    return Threshold(
        low,
        low_inclusive,
        high,
        high_inclusive,
        first.reference or second.reference,
        None,
        first.span.cover(second.span),
        True,
    )


def _paired(threshold: Threshold, q: _Q) -> Threshold:
    return threshold if q.pair is None else dataclasses.replace(threshold, pair=q.pair)


@v_args(inline=True)
class ChunkTransformer(Transformer[Token, list[Chunk]]):
    """Converts the parse tree into chunks; numbers and units become :class:`Quantity` values here."""

    def start(self, *items: Any) -> list[Chunk]:
        return [ProseChunk(item.piece) if isinstance(item, PieceToken) else item for item in items]

    def pair(self, first: PieceToken, sep: PieceToken, second: PieceToken, unit: PieceToken | None = None) -> _Q:
        main = self.quantity(first, unit)
        other = self.quantity(second, unit)
        return _Q(main.quantity, _span_of(first, second, *([unit] if unit is not None else [])), other.quantity)

    def quantity(self, number: PieceToken, unit: PieceToken | None = None) -> _Q:
        bound = (unit or number).piece.kinds.get("BOUND")
        if unit is None:
            return _Q(_quantity(str(number), None, None), _span_of(number), bound=bound)
        written = unit.piece.text.removesuffix(".")  # "g/dL." at the end of a sentence
        return _Q(_quantity(str(number), written, str(unit)), _span_of(number, unit), bound=bound)

    def multiple(self, number: PieceToken, ref: PieceToken) -> _Ref:
        return _Ref(float(number), str(ref), _span_of(number, ref))

    def reference(self, item: _Ref | PieceToken) -> _Ref:
        if isinstance(item, _Ref):
            return item
        return _Ref(1.0, str(item), _span_of(item))

    def compare(self, cmp: PieceToken, q: _Q) -> Threshold:
        return _paired(_bound(str(cmp), q.quantity, None, _span_of(cmp, q)), q)

    def compare_after(self, q: _Q, cmp: PieceToken) -> Threshold:
        # "140/90 mmHg or less": the second value of a pair is kept wherever the comparator stands
        return _paired(_bound(str(cmp), q.quantity, None, _span_of(q, cmp)), q)

    def compare_restated(self, cmp: PieceToken, q: _Q, post: PieceToken) -> Threshold:
        """ "CRAFFT score = 3 or higher": "=" before the number is often a typed stand-in for ≥ or ≤; the words
        after it say which."""
        return _paired(_bound(str(post), q.quantity, None, _span_of(cmp, q, post)), q)

    def compare_reference(self, cmp: PieceToken, ref: _Ref) -> Threshold:
        return _bound(
            str(cmp), Quantity(value=ref.factor, unit=f"x {ref.reference}"), ref.reference, _span_of(cmp, ref)
        )

    def compare_reference_after(self, ref: _Ref, cmp: PieceToken) -> Threshold:
        return _bound(
            str(cmp), Quantity(value=ref.factor, unit=f"x {ref.reference}"), ref.reference, _span_of(ref, cmp)
        )

    def bare_reference(self, ref: _Ref) -> Threshold:
        return _bound("==", Quantity(value=ref.factor, unit=f"x {ref.reference}"), ref.reference, ref.span, False)

    def bare(self, q: _Q) -> Threshold:
        return _paired(_bound("==", q.quantity, None, q.span, False), q)

    def range_bounded(self, low: _Q, sep: PieceToken, cmp: PieceToken, high: _Q) -> Threshold:
        """ "2 to <12 years": the upper end carries its own comparator."""
        result = self.range(low, sep, high)
        return Threshold(result.low, True, result.high, str(cmp) != "<", None, None, result.span, True)

    def range_compared(
        self, low_cmp: PieceToken, low: _Q, sep: PieceToken, high_cmp: PieceToken, high: _Q
    ) -> Threshold:
        """ ">18 to < 90 years": each end carries its own comparator."""
        result = self.range(low, sep, high)
        return Threshold(
            result.low,
            str(low_cmp) != ">",
            result.high,
            str(high_cmp) != "<",
            None,
            None,
            _span_of(low_cmp, result),
            True,
        )

    def range_opened_bounded(
        self, opener: PieceToken, low: _Q, sep: PieceToken, cmp: PieceToken, high: _Q
    ) -> Threshold:
        """ "between 10 to < 1000": the upper end carries its own comparator."""
        result = self.range_bounded(low, sep, cmp, high)
        return dataclasses.replace(result, span=_span_of(opener, result))

    def range(self, *items: Any) -> Threshold:
        quantities = [item for item in items if isinstance(item, _Q)]
        low, high = quantities[0].quantity, quantities[1].quantity
        low_inclusive, high_inclusive = quantities[0].bound != "exclusive", quantities[1].bound != "exclusive"
        if low.unit is None and high.unit is not None:
            low = Quantity(value=low.value, unit=high.unit, unit_normalized=high.unit_normalized)
        comparable = low.unit_normalized == high.unit_normalized or not (low.unit_normalized and high.unit_normalized)
        if low.value > high.value if comparable else _exceeds(low, high):
            low, high = high, low  # "65 to 18 years"; "28 days to 18 years" is in order already
            low_inclusive, high_inclusive = high_inclusive, low_inclusive
        return Threshold(low, low_inclusive, high, high_inclusive, None, None, _span_of(*items), True)

    def value(self, threshold: Threshold) -> Threshold:
        return threshold

    def value_list(self, *items: Any) -> list[Threshold]:
        thresholds: list[Threshold] = []
        join_next = False
        comma = False
        for item in items:
            if isinstance(item, Threshold):
                # "≥ 8, ≤ 20": a lower and an upper bound after a bare comma are one interval too
                complementary = bool(thresholds) and _complementary(thresholds[-1], item)
                joined = _join_bounds(thresholds[-1], item) if (join_next or (comma and complementary)) else None
                if joined is not None and not _is_empty(joined):
                    thresholds[-1] = joined
                else:
                    # "BMI < 35 and > 60": bounds no value meets together are alternatives
                    thresholds.append(item)
                join_next = comma = False
            elif isinstance(item, Token):
                join_next = item.type == "VALUE_AND"
                comma = item.type == "VALUE_OR" and str(item) == ","
        return thresholds

    def var_list(self, *items: PieceToken) -> _VariableList:
        members = [
            VariableMention(
                str(t), "GROUP" in t.piece.kinds and "VARIABLE" not in t.piece.kinds, t.piece.text, _span_of(t)
            )
            for t in items
            if t.type == "VAR"
        ]
        either = any(t.type == "VAR_SEP" and t.piece.lower in _EITHER for t in items)
        return _VariableList(tuple(members), either)

    def constraint(self, *items: Any) -> ConstraintChunk:
        variables = _VariableList((), False)
        thresholds: list[Threshold] = []
        for item in items:
            if isinstance(item, _VariableList):
                variables = item
            else:
                thresholds = item
        spans = [v.span for v in variables.members] + [t.span for t in thresholds]
        return ConstraintChunk(variables.members, tuple(thresholds), _span_of(*spans), variables.either)

    def window_within(self, within: PieceToken, q: _Q, before: PieceToken | None = None) -> WindowChunk:
        # "within 3 months": the cue's lexicon value says the day exactly 3 months before is inside
        inclusive = True if within.piece.kinds.get("WITHIN") == "inclusive" else None
        span = _span_of(within, q, *([before] if before is not None else []))
        return WindowChunk(None, q.quantity, span, max_inclusive=inclusive)

    def window_within_range(self, within: PieceToken, low: _Q, sep: PieceToken, high: _Q, *rest: Any) -> WindowChunk:
        unit = high.quantity
        first = Quantity(
            value=low.quantity.value,
            unit=low.quantity.unit or unit.unit,
            unit_normalized=low.quantity.unit_normalized or unit.unit_normalized,
        )
        return WindowChunk(first, high.quantity, _span_of(within, low, high, *rest))

    def window_compare(self, cmp: PieceToken, q: _Q, before: PieceToken) -> WindowChunk:
        # the comparator says whether the day exactly that long before is inside: "at least 4 weeks before" (>=)
        # yes, "more than 4 weeks before" (>) and "less than 3 months ago" (<) no; "exactly" (==) says no bound
        operator = str(cmp)
        inclusive = {">=": True, ">": False, "<=": True, "<": False}.get(operator)
        if operator in (">", ">="):
            return WindowChunk(q.quantity, None, _span_of(cmp, q, before), min_inclusive=inclusive)
        return WindowChunk(None, q.quantity, _span_of(cmp, q, before), max_inclusive=inclusive)

    def window_ago(self, q: _Q, before: PieceToken) -> WindowChunk:
        # "in the 6 months before enrollment", "30 days prior to randomisation": the time before the anchor, up to
        # that length (never the one day exactly that long before it); "at least" or "more than" say the opposite
        return WindowChunk(None, q.quantity, _span_of(q, before))


def _exceeds(low: Quantity, high: Quantity) -> bool:
    """Is the lower end written in another unit more than the upper ("BCVA 20/50 to 20/320": 0.4 and 0.0625)?"""
    assert low.unit_normalized is not None and high.unit_normalized is not None
    return exceeds(low.value, low.unit_normalized, high.value, high.unit_normalized)
