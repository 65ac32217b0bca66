"""The readers of a clause, in the order they run: ONE tuple, like sqlglot's optimizer RULES.

Each reader is a plain function of a :class:`~criteria_nlp.build.state.BuildState`: it reads the clause's pieces
that no reader before it took, records what it takes in the ledger (``state.take(piece, reader, role)``) and
writes what it found on the state; its name without ``read_`` is the reader's name in the ledger. A reader that
reads the whole clause calls ``state.finish(node)``; the readers after it are then not asked. A new construction
is a new reader (or a change to one), placed here.

:data:`TRIGGERS` says, per reader, what a clause must hold for the reader to find anything (its kinds, words,
chunks); the driver skips a reader whose trigger is absent. A reader without one is always asked: a new reader
needs none, and a changed reader whose trigger no longer holds fails ``tests/unit/test_reader_triggers.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass

from criteria_nlp.build.after_condition import EVENT_OF_CONDITION, ONSET_AFTER, read_after_condition
from criteria_nlp.build.alternatives import read_alternatives
from criteria_nlp.build.classes import read_classes
from criteria_nlp.build.common import SEX_PREPOSITIONS
from criteria_nlp.build.concepts import NON, read_concepts, read_prefixes
from criteria_nlp.build.counts import read_counts
from criteria_nlp.build.definitions import read_definitions
from criteria_nlp.build.leftovers import read_leftovers
from criteria_nlp.build.lists import read_lists, read_windows
from criteria_nlp.build.named_durations import read_named_durations
from criteria_nlp.build.negation import read_bound_negation, read_negation
from criteria_nlp.build.not_computable import read_not_computable
from criteria_nlp.build.people_scope import read_people_scope
from criteria_nlp.build.requirements import read_requirements
from criteria_nlp.build.sex import read_sex
from criteria_nlp.build.state import BuildState
from criteria_nlp.build.threshold_windows import read_threshold_windows
from criteria_nlp.build.thresholds import read_thresholds
from criteria_nlp.build.time_since import TIME_SINCE, read_time_since
from criteria_nlp.grammar import ConstraintChunk, WindowChunk
from criteria_nlp.knowledge.lexicon import cue_scopes
from criteria_nlp.knowledge.words import words

Reader = Callable[[BuildState], None]

READERS: tuple[Reader, ...] = (
    read_counts,  # "at least 2 of A, B and C": how many of the items must hold
    read_thresholds,  # numeric islands with their variables, conditions, exceptions and negations
    read_named_durations,  # "sleep duration < 4 hours": a time threshold on the duration named before it
    read_classes,  # "Child-Pugh A or B": classes of a scale written as letters, on the scale's own values
    read_prefixes,  # "non-smoker", "anti-epileptic"
    read_requirements,  # "pneumonitis that required steroids": what the condition required qualifies it
    read_concepts,  # concepts with qualifiers, definitions, coordination ellipsis
    read_after_condition,  # "hypertension diagnosed in ...", "heart failure hospitalization": the word qualifies it
    read_negation,  # which concepts a negation cue reaches (cue direction and scope from cues.tsv)
    read_lists,  # the concepts as one node: connectives, section semantics, windows
    read_bound_negation,  # "no diabetes with hypertension or heart failure": the binding read by lists, negated
    read_time_since,  # "at least 4 weeks since prior chemotherapy": no chemotherapy within the last 4 weeks
    read_threshold_windows,  # "hemoglobin ≥ 9 g/dL within 14 days prior to enrollment": when it was measured
    read_definitions,  # "anemia (hemoglobin < 9 g/dL)": a condition defined by its bracketed threshold, by section
    read_people_scope,  # "negative pregnancy test for women of childbearing potential": if those people then it
    read_windows,  # windows no concept took
    read_sex,  # a sex restriction, or whom the clause applies to
    read_not_computable,  # consent, willingness, judgement
    read_leftovers,  # words nobody took, as unparsed
    read_alternatives,  # threshold "or" condition
)


@dataclass(frozen=True, slots=True)
class Trigger:
    """What a reader needs in its clause to find anything at all: the driver asks it only when the clause has one
    of these (like sqlglot skipping a rule that cannot apply). Each is a necessary condition of the reader's own
    code (written next to it below), so skipping it changes nothing; ``tests/unit/test_reader_triggers.py`` runs
    every reader unskipped on golden and corpus lines and fails if a skipped one would have changed the state."""

    kinds: frozenset[str] = frozenset()  # an annotation kind of a prose piece ("NEG")
    words: frozenset[str] = frozenset()  # a prose piece's lower-cased text
    chunks: tuple[type[ConstraintChunk | WindowChunk], ...] = ()  # a chunk the grammar parsed, of these types
    fields: tuple[str, ...] = ()  # a field of the state a reader before it wrote (not None, not empty)
    text: frozenset[str] = frozenset()  # a substring of the clause's lower-cased text


def unasked(state: BuildState) -> Set[Reader]:
    """The readers whose trigger the clause lacks, as far as its pieces, chunks and text say (what the clause holds
    does not change while it is read); :func:`asks` adds the state fields. Found from the clause's features
    (:attr:`BuildState.features`) by what of the triggers they hold: clauses that hold the same trigger kinds, words,
    chunk types and texts skip the same readers, found once."""
    return _found(state)[0]


def plan(state: BuildState, readers: Sequence[Reader]) -> Sequence[tuple[Reader, tuple[str, ...] | None]]:
    """``readers`` (in their order) as the driver asks them of the clause: each with None (asked) or the state
    fields one of which must be set when its turn comes (:func:`asks`); the readers whose trigger the clause lacks
    and that have no such fields are left out. The same for every clause with the same :func:`unasked` readers."""
    skipped, plans = _found(state)
    found = plans.get(readers)
    if found is None:
        found = plans[readers] = tuple(
            (reader, None if reader not in skipped else TRIGGERS[reader].fields)
            for reader in readers
            if reader not in skipped or TRIGGERS[reader].fields
        )
    return found


_Plans = dict[Sequence[Reader], tuple[tuple[Reader, tuple[str, ...] | None], ...]]
_Key = tuple[frozenset[str], frozenset[str], frozenset[type], frozenset[Reader]]


def _found(state: BuildState) -> tuple[frozenset[Reader], _Plans]:
    index = _index()
    features = state.features
    key = (
        features.kinds & index.kind_keys,  # frozensets: the intersection walks the smaller, copies neither
        features.words & index.word_keys,
        features.chunk_types,
        frozenset(reader for reader in index.by_text if _text_holds(reader, state)),
    )
    found = index.unasked.get(key)
    if found is None:
        if len(index.unasked) >= _KEYS_KEPT:
            index.unasked.clear()  # a long-running process meets ever new combinations: keep the memory bounded
        found = index.unasked[key] = (frozenset(_unasked(index, *key)), {})
    return found


def _text_holds(reader: Reader, state: BuildState) -> bool:
    text = state.lower_text()
    return any(part in text for part in TRIGGERS[reader].text)


def _unasked(
    index: _Index, kinds: Set[str], words_: Set[str], chunk_types: Set[type], texts: Set[Reader]
) -> set[Reader]:
    asked: set[Reader] = set(texts)
    for kind in kinds:
        asked.update(index.kinds[kind])
    for word in words_:
        asked.update(index.words[word])
    for chunk_type in chunk_types:
        asked.update(index.chunks.get(chunk_type, ()))
    return set(index.readers) - asked


@dataclass(frozen=True, slots=True)
class _Index:
    """The triggers by what sets them off: kind, word and chunk type -> the readers asked."""

    readers: frozenset[Reader]
    kinds: dict[str, tuple[Reader, ...]]
    words: dict[str, tuple[Reader, ...]]
    chunks: dict[type, tuple[Reader, ...]]
    by_text: tuple[Reader, ...]  # readers with a text trigger, tried on the clause's text last
    kind_keys: frozenset[str]  # the keys of ``kinds`` and ``words``, kept as sets to intersect with a clause's
    word_keys: frozenset[str]
    # what the clauses held of the triggers (kinds, words, chunk types, readers whose text) -> the readers unasked
    unasked: dict[_Key, tuple[frozenset[Reader], _Plans]]


_KEYS_KEPT = 4096
_INDEXED: list[tuple[dict[Reader, Trigger], _Index]] = []


def _index() -> _Index:
    """The index of :data:`TRIGGERS` (made again if the dict was replaced)."""
    if _INDEXED and _INDEXED[0][0] is TRIGGERS:
        return _INDEXED[0][1]
    kinds: dict[str, list[Reader]] = {}
    words_: dict[str, list[Reader]] = {}
    chunks: dict[type, list[Reader]] = {}
    for reader, trigger in TRIGGERS.items():
        for kind in trigger.kinds:
            kinds.setdefault(kind, []).append(reader)
        for word in trigger.words:
            words_.setdefault(word, []).append(reader)
        for chunk_type in trigger.chunks:
            chunks.setdefault(chunk_type, []).append(reader)
    index = _Index(
        frozenset(TRIGGERS),
        {k: tuple(v) for k, v in kinds.items()},
        {k: tuple(v) for k, v in words_.items()},
        {k: tuple(v) for k, v in chunks.items()},
        tuple(reader for reader, trigger in TRIGGERS.items() if trigger.text),
        frozenset(kinds),
        frozenset(words_),
        {},
    )
    _INDEXED[:] = [(TRIGGERS, index)]
    return index


def asks(reader: Reader, state: BuildState, unasked_readers: Set[Reader]) -> bool:
    """Whether ``reader`` may find anything in the clause, given its :func:`unasked` readers (a reader with no
    trigger is always asked)."""
    if reader not in unasked_readers:
        return True
    fields = TRIGGERS[reader].fields
    return bool(fields) and any(getattr(state, name) for name in fields)


def _last_words(phrases: frozenset[str]) -> frozenset[str]:
    """One literal word each phrase must match ("of" of "at least N of"); none when a phrase has none ("N")."""
    last = [next((w for w in reversed(phrase.split()) if w != "N"), None) for phrase in phrases]
    return frozenset(w for w in last if w is not None) if all(last) else frozenset()


_COUNT_WORDS = _last_words(words("list_at_least"))
_NEG_CUES = frozenset(c.phrase for c in cue_scopes() if c.kind == "NEG")

TRIGGERS: dict[Reader, Trigger] = {
    # leading_count matches a list_at_least phrase on the clause's lower-cased text: its literal words are in it
    **({read_counts: Trigger(text=_COUNT_WORDS)} if _COUNT_WORDS else {}),
    read_thresholds: Trigger(chunks=(ConstraintChunk,)),  # reads ConstraintChunks only
    # a scale's name (a prose VARIABLE), or a class; or a threshold that may be on a stage code ("cT1-2-3")
    read_classes: Trigger(
        kinds=frozenset({"VARIABLE", "CLASS"}), text=words("letter_scale_subject"), fields=("numeric",)
    ),
    # "non-" (a NEG cue of scope "word") or "anti-" (against_prefix) as a prose piece
    read_prefixes: Trigger(words=NON | words("against_prefix")),
    # a prose requirement_verb ("that required"), or the "to" of a reaction ("hypersensitivity to aspirin")
    read_requirements: Trigger(words=words("requirement_verb") | words("relation_object")),
    # a NEG cue before a concept, or a backward NEG cue phrase after it ("HIV negative")
    read_negation: Trigger(kinds=frozenset({"NEG"}), words=_NEG_CUES),
    read_bound_negation: Trigger(kinds=frozenset({"NEG"}), words=_NEG_CUES),  # the negation reader's cue, read
    read_after_condition: Trigger(words=ONSET_AFTER | EVENT_OF_CONDITION),  # one of its words as a prose piece
    read_windows: Trigger(chunks=(WindowChunk,), fields=("durations",)),  # windows parsed or found by reading
    read_named_durations: Trigger(chunks=(WindowChunk,), fields=("durations",)),  # the same windows, before lists
    read_time_since: Trigger(text=TIME_SINCE),  # a time_since word in the clause's text
    read_threshold_windows: Trigger(chunks=(WindowChunk,)),  # a window the grammar parsed, left by the concepts
    read_sex: Trigger(kinds=frozenset({"SEX"})),
    read_people_scope: Trigger(words=SEX_PREPOSITIONS),  # the preposition before the people
    read_not_computable: Trigger(kinds=frozenset({"NOTCOMP"})),
    read_concepts: Trigger(kinds=frozenset({"CONCEPT"})),  # reads the prose pieces holding a CONCEPT
    read_lists: Trigger(fields=("items",)),  # joins the concepts reader "concepts" found
    # each of its readings (a bracket's alternatives, a defined list, a condition and its definition) has a threshold
    read_definitions: Trigger(fields=("numeric",)),
    read_alternatives: Trigger(fields=("numeric",)),  # a threshold "or" a condition: needs both
}
