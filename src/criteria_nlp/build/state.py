"""What the readers of one clause share: its pieces, section, document and diagnostics, and the ledger.

The :class:`Ledger` records, for a whole criterion, which reader took each piece of text and as what (its role);
it replaces a bare set of "explained" pieces, so that a reader asks :meth:`BuildState.taken` instead of relying on
the order of the code before it, and so that the claims go out with the criterion (:class:`~criteria_nlp.ir.Claim`).
A piece keeps the first reader that took it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from criteria_nlp.grammar import (
    Chunk,
    ConstraintChunk,
    Piece,
    ProseChunk,
    VariableMention,
    WindowChunk,
)
from criteria_nlp.ir import Claim, Diagnostic, Node, Section, Span, Unparsed, span_at
from criteria_nlp.knowledge.lexicon import Lexicon

# roles of the pieces inside a threshold or window the grammar parsed, by their annotation
_ROLE_OF_KIND = {
    "VARIABLE": "variable",
    "GROUP": "variable",
    "CMP_PRE": "comparator",
    "CMP_POST": "comparator",
    "UNIT": "unit",
    "NUM": "value",
    "NUMWORD": "value",
    "REF": "reference",
    "TIMES": "reference",
    "NORMAL": "reference",
    "WITHIN": "window",
    "BEFORE": "window",
    "AFTER": "window",
    "ANCHOR": "window",
}

# cues a reader takes as it passes over them (between the parts of a threshold): their role names the cue, so that
# the linter knows a permission or a condition was written even where the reading made nothing of it
_CUE_ROLE_OF_KIND = {"ALLOWED": "cue:permission", "IF": "cue:condition", "UNLESS": "cue:condition"}


def cue_role(piece: Piece, default: str) -> str:
    """The role of a permission or condition cue ("is acceptable", "if", "unless"), else ``default``."""
    return next((_CUE_ROLE_OF_KIND[k] for k in piece.kinds if k in _CUE_ROLE_OF_KIND), default)


@dataclass(frozen=True, slots=True)
class Named:
    """A threshold of the criterion on a variable named next to it (for :mod:`~criteria_nlp.build.earlier`): where
    it ends, its variable, unit and reference, and the subgroup it was written for (None: everyone)."""

    end: int
    variable: VariableMention
    unit: str | None
    reference: str | None
    condition: Node | None


@dataclass(slots=True)
class Ledger:
    """Which reader took each piece of one criterion: piece index -> (piece, reader, role)."""

    entries: dict[int, tuple[Piece, str, str]] = field(default_factory=dict)
    # concept pieces another reading holds (the condition of a threshold, a word of a scale's name): no presence
    held_concepts: set[int] = field(default_factory=set)
    # grammar-parsed chunks placed by a reader: their pieces are claimed by kind when the claims are made
    chunks: list[tuple[ConstraintChunk | WindowChunk, str, str | None]] = field(default_factory=list)
    # thresholds on a named variable, in reading order: a bare threshold of a later clause may be on the same one
    named: list[Named] = field(default_factory=list)

    def claims(self, pieces: Sequence[Piece]) -> tuple[Claim, ...]:
        """The ledger as claims, in text order; ``pieces`` are the criterion's pieces (for the parsed chunks)."""
        found = [(p.char_start, p.char_end, reader, role) for p, reader, role in self.entries.values()]
        for chunk, reader, fixed in self.chunks:
            span = chunk.span
            for piece in pieces:
                if span.start <= piece.char_start and piece.char_end <= span.end and piece.index not in self.entries:
                    role = fixed or next((_ROLE_OF_KIND[k] for k in piece.kinds if k in _ROLE_OF_KIND), "threshold")
                    found.append((piece.char_start, piece.char_end, reader, role))
        found.sort()
        return tuple(_claim(*entry) for entry in found)


@lru_cache(maxsize=16384)
def _claim(start: int, end: int, reader: str, role: str) -> Claim:
    return Claim.model_construct(span=span_at(start, end), reader=reader, role=role)  # internal values: no validation


@dataclass(slots=True)
class ClauseFeatures:
    """What the readers ask of all the prose of a clause, gathered once (:attr:`BuildState.features`): the driver
    skips the readers whose trigger is absent from it, and a reader asks it before walking the pieces for a kind or
    a word the clause does not hold. The pieces and chunks of a clause do not change while it is read."""

    kinds: frozenset[str]  # every annotation kind of a prose piece
    words: frozenset[str]  # every prose piece's lower-cased text
    chunk_types: frozenset[type]  # the types of the clause's chunks
    text: str | None = None  # the clause's lower-cased text (made when first asked: :meth:`BuildState.lower_text`)


def _features(chunks: Sequence[Chunk], prose: list[Piece]) -> ClauseFeatures:
    return ClauseFeatures(
        frozenset().union(*[p.kinds for p in prose]),
        frozenset([p.lower for p in prose]),
        frozenset(map(type, chunks)),
    )


@dataclass(slots=True)
class BuildState:
    """One clause being read: what the readers read, what they took (the ledger), and what they produced."""

    chunks: list[Chunk]
    section: Section = "inclusion"
    document: str = ""
    lexicon: Lexicon | None = None
    ledger: Ledger = field(default_factory=Ledger)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # what the clause splitting found
    permission: bool = False  # the clause is a permission ("patients with ... are eligible if ...")
    inherited: tuple[VariableMention, ...] = ()  # variables of the clause a permission relaxes
    subject: bool = False  # names whom the next clause applies to ("Women of childbearing potential | must ...")
    exception: bool = False  # an exception ("unless CD4 ≥ 350 cells/µL"): narrows the clause before it
    sexes: frozenset[str] = frozenset()  # the sexes the whole criterion names ("Male: …; Female: …")
    # what the readers found on the way
    durations: list[WindowChunk] = field(default_factory=list)  # "for at least 3 months": windows found by reading
    # numbers that could not be placed: counts of events ("at least two episodes of ..."), thresholds of nothing
    unplaced: list[Unparsed] = field(default_factory=list)
    placed_windows: set[int] = field(default_factory=set)  # ids of the windows given to a condition
    # what the readers produced, in the order of READERS
    list_count: int | None = None  # counts: "at least 2 of A, B and C": how many of the clause's items must hold
    count_span: Span | None = None  # counts: the words of that count
    numeric: Node | None = None  # thresholds: the clause's thresholds, with their conditions
    prefix_negations: dict[int, Piece] = field(default_factory=dict)  # prefixes: concept index -> its "non"
    modifiers: set[int] = field(default_factory=set)  # prefixes: concepts that only modify the noun after them
    items: list[tuple[Piece, tuple[str, ...]]] = field(default_factory=list)  # concepts: with written qualifiers
    # requirements: condition piece index -> what it required, as written ("that required steroids")
    requirements: dict[int, str] = field(default_factory=dict)
    # requirements: condition piece index -> the concepts named in what it required (their ids kept, not decided on)
    required_concepts: dict[int, list[Piece]] = field(default_factory=dict)
    details: dict[int, str] = field(default_factory=dict)  # concepts: item number -> its definition
    restated: dict[int, list[Span]] = field(default_factory=dict)  # concepts: piece index -> the same concept again
    in_negation: set[int] = field(default_factory=set)  # negation: concept pieces a negation cue reaches
    concepts: Node | None = None  # lists: the concepts, combined
    # lists: the connectives of a list of alternatives ("A, B or C"; "and" in the exclusion section), else empty
    alternative_joints: list[Piece] = field(default_factory=list)
    window_notes: list[Unparsed] = field(default_factory=list)  # windows: windows nobody placed
    sex: Node | None = None  # sex: the sex restriction
    sex_condition: bool = False  # sex: it says whom the rest of the clause applies to
    judgement: Node | None = None  # not_computable: an investigator's judgement beside what is decidable
    not_understood: list[Unparsed] = field(default_factory=list)  # leftovers: words nobody took
    alternatives: Node | None = None  # alternatives: threshold "or" condition
    done: bool = False  # a reader read the whole clause: ``result`` is its reading
    result: Node | None = None
    _prose: list[Piece] | None = None
    _features: ClauseFeatures | None = None

    @property
    def prose(self) -> list[Piece]:
        """The prose pieces of the clause (its chunks are complete before this is first read)."""
        if self._prose is None:
            self._prose = [c.piece for c in self.chunks if isinstance(c, ProseChunk)]
        return self._prose

    @property
    def features(self) -> ClauseFeatures:
        """The kinds, words and chunk types of the clause, gathered once (its chunks are complete by then)."""
        if self._features is None:
            self._features = _features(self.chunks, self.prose)
        return self._features

    def lower_text(self) -> str:
        """The clause's text from its first chunk to its last, lower-cased (made once)."""
        features = self.features
        if features.text is None:
            chunks = self.chunks
            if chunks:
                first, last = chunks[0], chunks[-1]
                start = first.piece.char_start if isinstance(first, ProseChunk) else first.span.start
                end = last.piece.char_end if isinstance(last, ProseChunk) else last.span.end
                features.text = self.document[start:end].lower()
            else:
                features.text = ""
        return features.text

    @property
    def known(self) -> Lexicon:
        assert self.lexicon is not None, "a BuildState that reads the lexicon needs one"
        return self.lexicon

    def take(self, piece: Piece, reader: str, role: str) -> None:
        """Record that ``reader`` explained ``piece`` as ``role`` (the first reader to take a piece keeps it)."""
        entries = self.ledger.entries
        if piece.index not in entries:
            entries[piece.index] = (piece, reader, role)

    def taken(self, piece: Piece) -> bool:
        return piece.index in self.ledger.entries

    def hold_concept(self, piece: Piece) -> None:
        """A concept read as part of something else (a condition, a scale's name): no presence of its own."""
        self.ledger.held_concepts.add(piece.index)

    def parts(self) -> list[Node]:
        """What the readers so far made of the clause, in reading order (before the leftovers)."""
        found = [n for n in (self.numeric, self.concepts) if n is not None]
        found.extend(self.unplaced)
        found.extend(self.window_notes)
        if self.sex is not None and not self.sex_condition:
            found.append(self.sex)
        if self.judgement is not None:
            found.append(self.judgement)
        return found

    def finish(self, result: Node | None) -> None:
        """A reader read the whole clause: the readers after it are not asked."""
        self.done = True
        self.result = result

    def place(self, chunk: ConstraintChunk | WindowChunk, reader: str, role: str | None = None) -> None:
        """Record that ``reader`` read a threshold or window the grammar parsed (as ``role``; by default each of its
        pieces by its annotation: "variable", "comparator", "value", "unit" ...)."""
        self.ledger.chunks.append((chunk, reader, role))
