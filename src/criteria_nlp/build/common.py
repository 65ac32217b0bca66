"""Small helpers every reader uses: what counts as content, spans and text of pieces, and joining nodes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache, lru_cache

from criteria_nlp.build.state import BuildState
from criteria_nlp.evaluate.qualifiers import qualifier_readings
from criteria_nlp.grammar import Chunk, ConstraintChunk, Piece, ProseChunk, Threshold
from criteria_nlp.ir import All, Any_, ConceptRef, Node, Span, Unparsed, span_at
from criteria_nlp.knowledge.words import words

CLAUSE_BREAKS = frozenset({";", "."})
HYPHENS = frozenset({"-", "‐", "‑", "–"})
STOPWORDS = words("stopword")
SEX_PREPOSITIONS = words("sex_preposition")

# Cue words the parser knows; left over (a qualifier with no condition after it, an anchor with no window) they
# add nothing a reader must resolve, so they are not reported as "not understood".
_STRUCTURAL_KINDS = frozenset(
    {"VERB_IS", "CONJ", "TO", "FROM", "BETWEEN", "WITH", "AGEWORD", "TIMES", "CMP_POST", "CMP_PRE", "NUM", "NUMWORD"}
    | {"UNIT", "REF", "QUAL", "ANCHOR", "NEG", "WITHIN", "BEFORE", "AFTER", "IF", "UNLESS", "ALLOWED", "OBLIGE"}
)


def is_content(piece: Piece) -> bool:
    """Does this prose piece carry meaning that must be understood (not a stopword, punctuation or known cue)?"""
    kinds = piece.kinds
    if kinds:
        if "VERB_IS" in kinds:
            return False
        if kinds.get("QUAL") in _state_qualifiers():
            # "Hypertension, uncontrolled": a state no concept took narrows what the criterion asks; dropped, every
            # record of the concept would decide it
            return True
        return not _STRUCTURAL_KINDS.issuperset(kinds)
    return _is_content_word(piece.lower)  # the piece keeps its lower-cased text: readers ask this of every word


@cache
def _state_qualifiers() -> frozenset[str]:
    """The qualifiers the engine reads as a state or degree, or as how new a condition is ("newly diagnosed"), which
    no record of the concept alone shows (``evaluation-qualifiers.tsv``, readings ``state`` and ``new``)."""
    return frozenset(q for q, reading in qualifier_readings().items() if reading in ("state", "new"))


@lru_cache(maxsize=65536)
def _is_content_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text) and text not in STOPWORDS


def trim(run: list[Piece], content: Callable[[Piece], bool] | None = None) -> list[Piece]:
    """``run`` without the pieces at either end that are no content."""
    content = content or is_content
    while run and not content(run[-1]):
        run = run[:-1]
    while run and not content(run[0]):
        run = run[1:]
    return run


def is_or(piece: Piece) -> bool:
    return piece.kinds.get("CONJ") in ("or", "andor") or piece.lower in ("or", "and/or")


def chunk_span(chunk: Chunk) -> Span:
    return chunk.piece.span if isinstance(chunk, ProseChunk) else chunk.span


def first_with(chunks: Sequence[Chunk], kind: str) -> int | None:
    """Index of the first prose chunk with an annotation of ``kind``."""
    return next((k for k, c in enumerate(chunks) if isinstance(c, ProseChunk) and kind in c.piece.kinds), None)


def ends_clause(chunk: Chunk) -> bool:
    """A threshold, or a ";" or ".", ends what a reader looks for after a threshold."""
    return isinstance(chunk, ConstraintChunk) or (isinstance(chunk, ProseChunk) and chunk.piece.text in (";", "."))


def first_unit(thresholds: Sequence[Threshold]) -> str | None:
    for t in thresholds:
        for q in (t.low, t.high):
            if q is not None and q.unit_normalized:
                return q.unit_normalized
    return None


def any_of(nodes: Sequence[Node]) -> Node:
    if len(nodes) == 1:
        return nodes[0]
    ordered = sorted(nodes, key=lambda n: n.span.start)
    return Any_(span=cover([n.span for n in ordered]) or ordered[0].span, children=tuple(ordered))


def all_of(nodes: Sequence[Node]) -> Node:
    if len(nodes) == 1:
        return nodes[0]
    return All(span=cover([n.span for n in nodes]) or nodes[0].span, children=tuple(nodes))


def cover_pieces(pieces: Sequence[Piece]) -> Span | None:
    if not pieces:
        return None
    return span_at(min(p.char_start for p in pieces), max(p.char_end for p in pieces))


def cover(spans: Sequence[Span]) -> Span | None:
    if not spans:
        return None
    return span_at(min(s.start for s in spans), max(s.end for s in spans))


def text_of(pieces: Sequence[Piece], document: str) -> str:
    """The document text covering the pieces (as written, with its own spacing)."""
    if not pieces:
        return ""
    start = min(p.char_start for p in pieces)
    end = max(p.char_end for p in pieces)
    return document[start:end]


def not_understood(state: BuildState, span: Span, reason: str) -> Unparsed:
    """The document text at ``span``, reported as not understood for ``reason``."""
    return Unparsed(span=span, text=span.slice(state.document), reason=reason)


def concept_ref(state: BuildState, piece: Piece, qualifiers: tuple[str, ...], detail: str | None = None) -> ConceptRef:
    concept_id = piece.kinds["CONCEPT"]
    concept = state.known.concepts.get(concept_id)
    # a concept of the generated terminology carries its category (TERM) and the words its id leaves out (BROADER)
    category = concept.category if concept is not None else piece.kinds.get("TERM", "condition")
    if category not in ("condition", "state", "medication", "procedure"):
        category = "other"
    narrower = piece.kinds.get("BROADER")
    # "pneumonitis that required steroids" names a narrower case than pneumonitis: a record of it cannot decide
    required = piece.index in state.requirements
    return ConceptRef(
        id=concept_id,
        mention=piece.text,
        span=piece.span,
        category=category,
        qualifiers=(*qualifiers, *narrower.split()) if narrower else qualifiers,
        detail=detail,
        broader=narrower is not None or required,
        restated=tuple(state.restated.get(piece.index, ())),
    )
