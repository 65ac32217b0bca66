"""The words the grammar reads by their spelling, from ``corpora/lexicon/grammar_words.tsv`` (read once).

Cue phrases that the spaCy stage annotates (comparators, reference limits, age words …) come to the grammar as piece
kinds; the sets here are the few words it needs beyond them. Each set of the file is a field of
:class:`GrammarWords`, so a set the code reads and the file lacks (or the reverse) is an error at load time.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.resources import corpus_path


@dataclass(frozen=True)
class GrammarWords:
    """One field per set of ``grammar_words.tsv``; the file's header says what each set is for."""

    value_or: frozenset[str]
    value_and: frozenset[str]
    bound_joiner: frozenset[str]
    range_and: frozenset[str]
    conjunctive_start: frozenset[str]
    comparator_tail: frozenset[str]
    comparator_filler: frozenset[str]
    age_after_number: frozenset[str]
    range_filler: frozenset[str]
    window_filler: frozenset[str]
    reference_filler: frozenset[str]
    bare_reference: frozenset[str]
    multiplier_word: frozenset[str]
    multiplier_ending: frozenset[str]
    variable_separator: frozenset[str]
    either_separator: frozenset[str]
    variable_filler: frozenset[str]
    categorical_variable: frozenset[str]
    ratio_word: frozenset[str]
    bound_inclusive: frozenset[str]
    bound_exclusive: frozenset[str]
    roman_lead: frozenset[str]
    roman_joiner: frozenset[str]


@cache
def grammar_words() -> GrammarWords:
    """The bundled word sets."""
    return load_grammar_words(corpus_path("lexicon", "grammar_words.tsv"))


def load_grammar_words(path: Path) -> GrammarWords:
    """Read ``set<TAB>word`` lines after a ``#`` header; every set of :class:`GrammarWords` must be there."""
    names = [field.name for field in dataclasses.fields(GrammarWords)]
    return GrammarWords(**read_word_sets(path, names))


def read_word_sets(path: Path, names: list[str]) -> dict[str, frozenset[str]]:
    """``set<TAB>word`` lines after a ``#`` header, as word sets; a set outside ``names`` and a name without words
    are errors naming the file and line."""
    sets: dict[str, set[str]] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        name, tab, word = raw.partition("\t")
        if not tab or not word:
            raise CriteriaSemanticError(f"{path.name} line {number}: expected a set name, a tab and a word")
        if name not in names:
            raise CriteriaSemanticError(
                f"{path.name} line {number}: unknown set {name!r}", suggestions=difflib.get_close_matches(name, names)
            )
        sets.setdefault(name, set()).add(word)
    missing = [name for name in names if name not in sets]
    if missing:
        raise CriteriaSemanticError(f"{path.name}: no words for {', '.join(missing)}")
    return {name: frozenset(sets[name]) for name in names}
