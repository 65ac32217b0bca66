"""Stage 3: parse the numeric islands of a criterion with the LALR grammar in ``grammars/constraints.lark``.

Input is an annotated spaCy ``Doc`` (see :mod:`criteria_nlp.nlp`). :func:`pieces_of` resolves overlapping
annotations into a left-to-right sequence of :class:`Piece` s (longest annotation wins); :class:`CueLexer`
decides from context which pieces are structure and feeds lark the terminals; :class:`ChunkTransformer` turns the
tree into :class:`Chunk` values with numbers and units already converted. The IR builder reads the chunks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedInput
from lark.lexer import Lexer
from spacy.tokens import Doc

from criteria_nlp.ir import Quantity, Span
from criteria_nlp.nlp import SPANS_KEY
from criteria_nlp.resources import grammar_path

# The order in which an annotation kind wins over another of the same length.
_PRIORITY = {
    "UNIT": 0,
    "REF": 1,
    "NUMWORD": 2,
    "NUM": 3,
    "CMP_PRE": 4,
    "CMP_POST": 5,
    "VARIABLE": 6,
    "GROUP": 6,
    "CONCEPT": 7,
}
_DEFAULT_PRIORITY = 9

_LIST_PUNCT = frozenset({",", "/", "&"})
_OPENERS = frozenset({"(", "["})
_CLOSERS = frozenset({")", "]"})
_FILLER_PUNCT = frozenset({"(", ")", "[", "]", ":", "-", "=", '"', "'", "*"})
_ROMAN = {"I": 1.0, "II": 2.0, "III": 3.0, "IV": 4.0, "V": 5.0}
_ROMAN_LEADS = frozenset({"class", "grade", "stage", "nyha", "type", "classes", "grades", "stages"})


@dataclass(slots=True)
class Piece:
    """One stretch of tokens with every annotation that covers exactly it (``kinds``: kind -> value)."""

    index: int
    start: int
    end: int
    char_start: int
    char_end: int
    text: str
    kinds: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def lower(self) -> str:
        return self.text.lower()

    def has(self, kind: str) -> bool:
        return kind in self.kinds

    @property
    def span(self) -> Span:
        return Span(start=self.char_start, end=self.char_end)


def pieces_of(doc: Doc, offset: int = 0) -> list[Piece]:
    """Resolve the annotation spans of ``doc`` into non-overlapping pieces; unannotated tokens become pieces too.

    ``offset`` is added to character positions (the criterion's start in the whole document).
    """
    by_start: dict[int, list[Any]] = {}
    for span in doc.spans[SPANS_KEY] if SPANS_KEY in doc.spans else ():
        by_start.setdefault(span.start, []).append(span)
    pieces: list[Piece] = []
    text = doc.text
    i = 0
    n = len(doc)
    while i < n:
        candidates = by_start.get(i)
        if candidates:
            best_end = max(s.end for s in candidates)
            kinds: dict[str, str] = {}
            ids: dict[str, str] = {}
            for s in sorted(candidates, key=lambda s: _PRIORITY.get(s.label_.split(":", 1)[0], _DEFAULT_PRIORITY)):
                if s.end != best_end:
                    continue
                kind, _, value = s.label_.partition(":")
                if kind in ("VARIABLE", "GROUP", "CONCEPT"):
                    ids.setdefault(kind, s.id_)
                    kinds.setdefault(kind, s.id_)
                elif kind in ("NUM", "UNIT"):
                    kinds.setdefault(kind, s.id_)
                else:
                    kinds.setdefault(kind, value)
            first, last = doc[i], doc[best_end - 1]
            start_char = first.idx
            end_char = last.idx + len(last.text)
            pieces.append(
                Piece(
                    len(pieces),
                    i,
                    best_end,
                    start_char + offset,
                    end_char + offset,
                    text[start_char:end_char],
                    kinds,
                    ids,
                )
            )
            i = best_end
        else:
            token = doc[i]
            pieces.append(
                Piece(len(pieces), i, i + 1, token.idx + offset, token.idx + len(token.text) + offset, token.text)
            )
            i += 1
    return pieces


class PieceToken(Token):
    """A lark token that remembers which piece it came from."""

    piece: Piece


def _token(kind: str, value: str, piece: Piece) -> PieceToken:
    token = PieceToken(kind, value, start_pos=piece.char_start, end_pos=piece.char_end)
    token.piece = piece
    return token


def _number(piece: Piece) -> float | None:
    if "NUM" in piece.kinds:
        return float(piece.kinds["NUM"])
    if "NUMWORD" in piece.kinds:
        return float(piece.kinds["NUMWORD"])
    return None


class CueLexer(Lexer):
    """Hands lark the terminals that :func:`classify` made from a criterion's pieces."""

    def __init__(self, lexer_conf: Any) -> None:  # lark passes its configuration; nothing in it is needed
        pass

    def lex(self, data: Iterator[PieceToken]) -> Iterator[Token]:  # type: ignore[override]  # lark's interface 0
        # lark calls lex() again to resume after an error: hand back the same iterator so that it goes on from the
        # token after the one that failed instead of starting over
        return data


def _is_filler(piece: Piece) -> bool:
    return piece.has("VERB_IS") or piece.text in _FILLER_PUNCT


def _skip_fillers(pieces: Sequence[Piece], i: int) -> int:
    while i < len(pieces) and _is_filler(pieces[i]) and not _value_start(pieces, i):
        i += 1
    return i


def _is_number(piece: Piece) -> bool:
    return "NUM" in piece.kinds or "NUMWORD" in piece.kinds


def _after_number_reference(pieces: Sequence[Piece], i: int) -> int | None:
    """Index of a REF reached from position i over "x", "times", "the" (None when there is none)."""
    j = i
    hops = 0
    while j < len(pieces) and hops < 3:
        piece = pieces[j]
        if piece.has("REF"):
            return j
        if piece.has("TIMES") or piece.lower in (
            "the",
            "of",
            "institutional",
            "the institutional",
            "times the",
            "x the",
        ):
            j += 1
            hops += 1
            continue
        return None
    return None


def _value_start(pieces: Sequence[Piece], i: int) -> bool:
    if i >= len(pieces):
        return False
    piece = pieces[i]
    if _is_number(piece):
        return True
    if piece.has("CMP_PRE"):
        j = i + 1
        while j < len(pieces) and pieces[j].lower in ("the", "a", "of", "than", "to"):
            j += 1
        return j < len(pieces) and (_is_number(pieces[j]) or pieces[j].has("REF"))
    if piece.has("FROM") or piece.has("BETWEEN"):
        return i + 1 < len(pieces) and _is_number(pieces[i + 1])
    return False


def _roman_number(pieces: Sequence[Piece], i: int) -> float | None:
    piece = pieces[i]
    if piece.text in _ROMAN and i > 0 and (pieces[i - 1].lower in _ROMAN_LEADS or pieces[i - 1].has("VARIABLE")):
        return _ROMAN[piece.text]
    return None


def classify(pieces: Sequence[Piece]) -> Iterator[PieceToken]:
    """The contextual lexer: yield grammar terminals for a criterion's pieces."""
    n = len(pieces)
    i = 0
    previous = ""  # type of the last structural terminal emitted
    range_open = False  # inside BETWEEN ... (an "and" is the range separator)
    while i < n:
        piece = pieces[i]
        kinds = piece.kinds
        roman = _roman_number(pieces, i)
        if roman is not None and "NUM" not in kinds:
            kinds = dict(kinds, NUM=repr(roman))
            piece.kinds = kinds
        if "UNIT" in kinds and previous == "NUM":
            yield _token("UNIT", kinds["UNIT"], piece)
            previous = "UNIT"
        elif _is_number(piece):
            value = kinds.get("NUM") or kinds["NUMWORD"]
            yield _token("NUM", value, piece)
            previous = "NUM"
            ref = _after_number_reference(pieces, i + 1)
            if ref is not None:
                yield _token("REF", pieces[ref].kinds["REF"], pieces[ref])
                previous = "REF"
                i = ref
            elif i + 1 < n and pieces[i + 1].has("TIMES") and "NUMWORD" in kinds:
                i += 1  # "twice times": the multiplier word already says times
        elif "REF" in kinds and previous == "CMP_PRE":
            yield _token("REF", kinds["REF"], piece)
            previous = "REF"
        elif "CMP_PRE" in kinds and _value_start(pieces, i):
            yield _token("CMP_PRE", kinds["CMP_PRE"], piece)
            previous = "CMP_PRE"
            while (
                i + 1 < n and pieces[i + 1].lower in ("the", "a", "of", "than", "to") and not _is_number(pieces[i + 1])
            ):
                i += 1
        elif "CMP_POST" in kinds and previous in ("NUM", "UNIT", "REF") and _number_follows(pieces, i + 1):
            # "< 40 or over 80": not a comparator after the number but a second threshold
            joiner = "VALUE_AND" if piece.lower.startswith("and") else "VALUE_OR"
            yield _token(joiner, piece.text, piece)
            yield _token("CMP_PRE", _STRICT[kinds["CMP_POST"]], piece)
            previous = "CMP_PRE"
            if pieces[i + 1].lower == "than":
                i += 1
        elif "CMP_POST" in kinds and previous in ("NUM", "UNIT", "REF"):
            yield _token("CMP_POST", kinds["CMP_POST"], piece)
            previous = "CMP_POST"
        elif "WITHIN" in kinds and _is_number(pieces[_skip_the(pieces, i + 1)]) and _time_follows(pieces, _skip_the(pieces, i + 1)):
            yield _token("WITHIN", "within", piece)
            previous = "WITHIN"
            i = _skip_the(pieces, i + 1) - 1
        elif "WITHIN" in kinds and i + 1 < n and _is_number(pieces[i + 1]) and _after_number_reference(pieces, i + 2):
            yield _token("CMP_PRE", "<=", piece)  # "within 2 times the upper limit of normal"
            previous = "CMP_PRE"
        elif "BEFORE" in kinds and previous in ("UNIT",):
            yield _token("BEFORE", kinds["BEFORE"] or piece.lower, piece)
            previous = "BEFORE"
        elif ("FROM" in kinds or "BETWEEN" in kinds) and _value_start(pieces, i + 1) and _is_number(pieces[i + 1]):
            kind = "FROM" if "FROM" in kinds else "BETWEEN"
            yield _token(kind, piece.lower, piece)
            previous = kind
            range_open = kind == "BETWEEN"
        elif (
            "TO" in kinds
            and previous in ("NUM", "UNIT")
            and i + 1 < n
            and _is_number(pieces[i + 1])
            and (piece.lower != "and" or range_open)
        ):
            yield _token("RANGE_SEP", piece.text, piece)
            previous = "RANGE_SEP"
            range_open = False
        elif (
            piece.lower in ("or", "and/or", ",")
            and previous in ("NUM", "UNIT", "REF", "CMP_POST")
            and _value_start(pieces, i + 1)
            and _has_comparator_or_list(pieces, i + 1)
        ):
            yield _token("VALUE_OR", piece.text, piece)
            previous = "VALUE_OR"
        elif (
            piece.lower in ("and", "but")
            and previous in ("NUM", "UNIT", "REF")
            and i + 1 < n
            and pieces[i + 1].has("CMP_PRE")
            and _value_start(pieces, i + 1)
        ):
            yield _token("VALUE_AND", piece.text, piece)
            previous = "VALUE_AND"
        elif ("VARIABLE" in kinds or "GROUP" in kinds) and _heads_threshold(pieces, i):
            yield from _variable_list(pieces, i)
            i = _end_of_variable_list(pieces, i)
            previous = "VAR"
            continue
        else:
            yield _token("PROSE", piece.text, piece)
            previous = ""
            range_open = False
        i += 1


def _skip_the(pieces: Sequence[Piece], i: int) -> int:
    while i < len(pieces) - 1 and pieces[i].lower in ("the", "last", "past", "previous", "preceding", "prior"):
        i += 1
    return min(i, len(pieces) - 1)


def _has_comparator_or_list(pieces: Sequence[Piece], i: int) -> bool:
    """An "or" joins two thresholds when the next one has its own comparator or is a plain number."""
    return pieces[i].has("CMP_PRE") or _is_number(pieces[i])


def _is_variable(piece: Piece) -> bool:
    return "VARIABLE" in piece.kinds or "GROUP" in piece.kinds


def _is_separator(piece: Piece) -> bool:
    return piece.text in _LIST_PUNCT or piece.lower in ("and", "or", "and/or", "nor", "as well as", "both")


def _scan_variable_list(pieces: Sequence[Piece], i: int) -> tuple[list[int], int]:
    """Indices of the variables of a list starting at i, and the index just after the list and its fillers."""
    members = [i]
    j = i + 1
    n = len(pieces)
    while j < n:
        k = j
        # a parenthesised abbreviation or qualifier: "Left ventricular ejection fraction (LVEF)"
        if pieces[k].text in _OPENERS:
            close = k + 1
            while close < n and close - k < 8 and pieces[close].text not in _CLOSERS:
                close += 1
            if (
                close < n
                and pieces[close].text in _CLOSERS
                and not any(_value_start(pieces, m) for m in range(k + 1, close))
            ):
                j = close + 1
                continue
        while k < n and (_is_filler(pieces[k]) or _is_separator(pieces[k])) and not _value_start(pieces, k):
            k += 1
        if k < n and _is_variable(pieces[k]):
            separated = any(_is_separator(pieces[m]) for m in range(j, k))
            if separated or k == j:
                members.append(k)
                j = k + 1
                continue
            members[-1] = k if pieces[members[-1]].kinds.get("VARIABLE") == pieces[k].kinds.get("VARIABLE") else k
            j = k + 1
            continue
        return members, k
    return members, j


def _heads_threshold(pieces: Sequence[Piece], i: int) -> bool:
    _, after = _scan_variable_list(pieces, i)
    return _value_start(pieces, after) and not _window_ahead(pieces, after)


def _window_ahead(pieces: Sequence[Piece], i: int) -> bool:
    """Is the value starting at i a time window ("3 months prior to") rather than a threshold?"""
    n = len(pieces)
    while i < n and (pieces[i].has("CMP_PRE") or _is_number(pieces[i]) or pieces[i].has("UNIT") or pieces[i].has("TO")):
        i += 1
    return i < n and pieces[i].has("BEFORE")


_STRICT = {">=": ">", ">": ">", "<=": "<", "<": "<", "==": "=="}
_TIME_UNITS = frozenset({"year", "month", "week", "day", "hour", "minute", "min"})


def _number_follows(pieces: Sequence[Piece], i: int) -> bool:
    if i < len(pieces) and pieces[i].lower == "than":
        i += 1
    return i < len(pieces) and _is_number(pieces[i])


def _time_follows(pieces: Sequence[Piece], i: int) -> bool:
    """Is the number at i followed by a unit of time (possibly after a range "3-6 months")?"""
    n = len(pieces)
    j = i + 1
    if j + 1 < n and pieces[j].has("TO") and _is_number(pieces[j + 1]):
        j += 2
    return j < n and pieces[j].kinds.get("UNIT", "") in _TIME_UNITS


def _end_of_variable_list(pieces: Sequence[Piece], i: int) -> int:
    return _scan_variable_list(pieces, i)[1]


def _variable_list(pieces: Sequence[Piece], i: int) -> Iterator[PieceToken]:
    members, _ = _scan_variable_list(pieces, i)
    for position, index in enumerate(members):
        if position:
            separator = pieces[members[position - 1] + 1]
            yield _token("VAR_SEP", separator.text, separator)
        piece = pieces[index]
        yield _token("VAR", piece.kinds.get("VARIABLE") or piece.kinds["GROUP"], piece)


# ---------------------------------------------------------------------------------------------------------------
# Chunks: what the transformer hands to the IR builder


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


@dataclass(frozen=True)
class ConstraintChunk:
    variables: tuple[VariableMention, ...]
    thresholds: tuple[Threshold, ...]
    span: Span


@dataclass(frozen=True)
class WindowChunk:
    min_ago: Quantity | None
    max_ago: Quantity | None
    span: Span


@dataclass(frozen=True)
class ProseChunk:
    piece: Piece


Chunk = ConstraintChunk | WindowChunk | ProseChunk


def _span_of(*items: Any) -> Span:
    starts: list[int] = []
    ends: list[int] = []
    for item in items:
        if isinstance(item, Token):
            starts.append(item.start_pos or 0)
            ends.append(item.end_pos or 0)
        elif isinstance(item, Span):
            starts.append(item.start)
            ends.append(item.end)
        elif hasattr(item, "span"):
            starts.append(item.span.start)
            ends.append(item.span.end)
    return Span(start=min(starts), end=max(ends))


@dataclass(frozen=True)
class _Q:
    quantity: Quantity
    span: Span


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


def _intersect(first: Threshold, second: Threshold) -> Threshold:
    """"> 1.4 and <= 2.0": a lower and an upper bound joined by "and" make one interval."""
    low, low_inclusive = (first.low, first.low_inclusive) if first.low is not None else (second.low, second.low_inclusive)
    high, high_inclusive = (
        (second.high, second.high_inclusive) if second.high is not None else (first.high, first.high_inclusive)
    )
    if low is not None and high is not None and low.unit is None and high.unit is not None:
        low = Quantity(value=low.value, unit=high.unit, unit_normalized=high.unit_normalized)
    return Threshold(low, low_inclusive, high, high_inclusive, first.reference or second.reference, None,
                     first.span.cover(second.span), True)


@v_args(inline=True)
class ChunkTransformer(Transformer[Token, list[Chunk]]):
    """Converts the parse tree into chunks; numbers and units become :class:`Quantity` values here."""

    def start(self, *items: Any) -> list[Chunk]:
        return [ProseChunk(item.piece) if isinstance(item, PieceToken) else item for item in items]

    def quantity(self, number: PieceToken, unit: PieceToken | None = None) -> _Q:
        value = float(number)
        if unit is None:
            return _Q(Quantity(value=value), _span_of(number))
        return _Q(Quantity(value=value, unit=unit.piece.text, unit_normalized=str(unit)), _span_of(number, unit))

    def multiple(self, number: PieceToken, ref: PieceToken) -> _Ref:
        return _Ref(float(number), str(ref), _span_of(number, ref))

    def reference(self, item: _Ref | PieceToken) -> _Ref:
        if isinstance(item, _Ref):
            return item
        return _Ref(1.0, str(item), _span_of(item))

    def compare(self, cmp: PieceToken, q: _Q) -> Threshold:
        return _bound(str(cmp), q.quantity, None, _span_of(cmp, q))

    def compare_after(self, q: _Q, cmp: PieceToken) -> Threshold:
        return _bound(str(cmp), q.quantity, None, _span_of(q, cmp))

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
        return _bound("==", q.quantity, None, q.span, False)

    def range(self, *items: Any) -> Threshold:
        quantities = [item for item in items if isinstance(item, _Q)]
        low, high = quantities[0].quantity, quantities[1].quantity
        if low.unit is None and high.unit is not None:
            low = Quantity(value=low.value, unit=high.unit, unit_normalized=high.unit_normalized)
        if low.value > high.value:
            low, high = high, low
        return Threshold(low, True, high, True, None, None, _span_of(*items), True)

    def value(self, threshold: Threshold) -> Threshold:
        return threshold

    def value_list(self, *items: Any) -> list[Threshold]:
        thresholds: list[Threshold] = []
        join_next = False
        for item in items:
            if isinstance(item, Threshold):
                if join_next and thresholds:
                    thresholds[-1] = _intersect(thresholds[-1], item)
                else:
                    thresholds.append(item)
                join_next = False
            elif isinstance(item, Token):
                join_next = item.type == "VALUE_AND"
        return thresholds

    def var_list(self, *items: PieceToken) -> list[VariableMention]:
        return [
            VariableMention(
                str(t), "GROUP" in t.piece.kinds and "VARIABLE" not in t.piece.kinds, t.piece.text, _span_of(t)
            )
            for t in items
            if t.type == "VAR"
        ]

    def constraint(self, *items: Any) -> ConstraintChunk:
        variables: list[VariableMention] = []
        thresholds: list[Threshold] = []
        for item in items:
            if item and isinstance(item[0], VariableMention):
                variables = item
            else:
                thresholds = item
        spans = [v.span for v in variables] + [t.span for t in thresholds]
        return ConstraintChunk(tuple(variables), tuple(thresholds), _span_of(*spans))

    def window_within(self, within: PieceToken, q: _Q, before: PieceToken | None = None) -> WindowChunk:
        return WindowChunk(None, q.quantity, _span_of(within, q, *([before] if before is not None else [])))

    def window_within_range(self, within: PieceToken, low: _Q, sep: PieceToken, high: _Q, *rest: Any) -> WindowChunk:
        unit = high.quantity
        first = Quantity(value=low.quantity.value, unit=low.quantity.unit or unit.unit, unit_normalized=low.quantity.unit_normalized or unit.unit_normalized)
        return WindowChunk(first, high.quantity, _span_of(within, low, high, *rest))

    def window_compare(self, cmp: PieceToken, q: _Q, before: PieceToken) -> WindowChunk:
        if str(cmp) in (">", ">="):
            return WindowChunk(q.quantity, None, _span_of(cmp, q, before))
        return WindowChunk(None, q.quantity, _span_of(cmp, q, before))

    def window_ago(self, q: _Q, before: PieceToken) -> WindowChunk:
        return WindowChunk(q.quantity, q.quantity, _span_of(q, before))


@cache
def _parser() -> Lark:
    return Lark(
        grammar_path("constraints.lark").read_text(encoding="utf-8"),
        parser="lalr",
        lexer=CueLexer,
        transformer=ChunkTransformer(),
    )


def parse_chunks(pieces: Sequence[Piece]) -> tuple[list[Chunk], list[Piece]]:
    """Parse a criterion's pieces; returns the chunks and the pieces the grammar had to skip (never silently).

    A token the grammar cannot place is handed back as prose and reported in the second list.
    """
    skipped: list[Piece] = []

    def recover(error: UnexpectedInput) -> bool:
        token = getattr(error, "token", None)
        if isinstance(token, PieceToken) and len(skipped) < len(pieces):
            skipped.append(token.piece)
            return True
        return False  # the end of input, or no progress: nothing left to skip to

    try:
        result = _parser().parse(iter(list(classify(pieces))), on_error=recover)  # type: ignore[arg-type]
    except UnexpectedInput:
        # the grammar could not recover: keep everything as prose, nothing is dropped
        return [ProseChunk(p) for p in pieces], list(pieces)
    chunks: list[Chunk] = result if isinstance(result, list) else []
    return chunks, skipped
