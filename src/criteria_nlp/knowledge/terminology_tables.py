"""The generated terminology tables of ``corpora/terminology/`` read into plain dictionaries (:class:`Tables`), and
kept whole in the disk cache between processes (:func:`load_tables`). Matching over them is
:mod:`criteria_nlp.knowledge.terminology`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from criteria_nlp.knowledge.terminology_words import WordRoles, open_text

# read in this order: a term in an earlier table wins over the same term in a later one
TABLES = (
    "overrides.tsv",
    "mesh-diseases.tsv.gz",
    "drugbank.tsv.gz",
    "mesh-procedures-drugs.tsv.gz",
    "icd10cm.tsv.gz",
)
CROSSLINKS = "crosslinks.tsv.gz"

ConceptRow = tuple[str, str, tuple[str, ...], str]  # name, source, parents, category


@dataclass(frozen=True)
class Tables:
    """The tables' loaded form, of plain dictionaries, tuples and strings only, so that it is stored and read back
    whole by :mod:`~criteria_nlp.knowledge.terminology_cache` (nothing of the lexicon: that is joined on loading)."""

    concepts: dict[str, ConceptRow]
    terms: dict[tuple[str, ...], tuple[str, ...]]  # lower-case token tuple -> concept ids, best first
    same_as: dict[str, tuple[str, ...]]  # cross-links between the sources, both ways
    longest: dict[str, int]  # first token -> the most tokens of a term starting with it
    vocabulary: frozenset[str]  # the tokens of multi-token terms before their last

    def dump(self) -> tuple[object, ...]:
        return (self.concepts, self.terms, self.same_as, self.longest, self.vocabulary)

    @classmethod
    def restore(cls, stored: object) -> Tables:
        assert isinstance(stored, tuple) and _stored_shape(stored)
        return cls(*stored)


def _stored_shape(stored: object) -> bool:
    """Whether a value read from the cache has the shape :meth:`Tables.dump` writes (a foreign entry is rebuilt)."""
    if not isinstance(stored, tuple) or len(stored) != 5:
        return False
    types = (dict, dict, dict, dict, frozenset)
    return all(isinstance(part, kind) for part, kind in zip(stored, types, strict=True))


def read_table(path: Path) -> Iterator[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    """Rows ``(id, name, parents, terms)`` of a table (plain or gzip) after its ``#`` header and column line."""
    with open_text(path) as stream:
        lines = (line.rstrip("\n") for line in stream if line.strip() and not line.startswith("#"))
        next(lines, None)  # the column names
        for line in lines:
            concept_id, name, parents, terms = [*line.split("\t"), "", "", ""][:4]
            yield concept_id, name, _split(parents), _split(terms)


def _split(field: str) -> tuple[str, ...]:
    return tuple(part for part in field.split("|") if part)


def read_tables(directory: Path, words: WordRoles) -> Tables:
    """Parse the tables of ``directory`` (the slow part of loading: :func:`load_tables` keeps the result on disk)."""
    concepts: dict[str, ConceptRow] = {}
    terms: dict[tuple[str, ...], tuple[str, ...]] = {}
    for table in TABLES:
        for concept_id, name, parents, forms in read_table(directory / table):
            known = concepts.get(concept_id)
            if known is None:
                # an override of a DrugBank id is a drug, whatever its name ends in ("Lithium cation")
                kind = "drugbank.tsv.gz" if concept_id.startswith("drugbank:") else table
                concepts[concept_id] = (name, concept_id.partition(":")[0], parents, words.category(kind, name))
            else:
                merged = tuple(dict.fromkeys([*known[2], *parents]))
                concepts[concept_id] = (known[0], known[1], merged, known[3])
            for form in forms:
                key = tuple(form.split(" "))
                if form not in words.generic and concept_id not in terms.get(key, ()):
                    terms[key] = (*terms.get(key, ()), concept_id)
    linked: dict[str, set[str]] = {}
    for left, right, _, _ in read_table(directory / CROSSLINKS):  # the second column is read as a name
        linked.setdefault(left, set()).add(right)
        linked.setdefault(right, set()).add(left)
    longest: dict[str, int] = {}
    for key in terms:
        longest[key[0]] = max(longest.get(key[0], 0), len(key))
    vocabulary = frozenset(token for key in terms if len(key) > 1 for token in key[:-1])
    same_as = {concept_id: tuple(sorted(others)) for concept_id, others in linked.items()}
    return Tables(concepts, terms, same_as, longest, vocabulary)


def load_tables(directory: Path, words: WordRoles) -> tuple[Tables, bool]:
    """The tables of ``directory`` from the disk cache when it holds them for these very files, else parsed (and
    stored); the second value says whether they came from the cache."""
    from criteria_nlp.knowledge.terminology_cache import load_or_build

    sources = [directory / name for name in (*TABLES, CROSSLINKS, "words.tsv")]
    stored, cached = load_or_build(sources, lambda: read_tables(directory, words).dump(), _stored_shape)
    return Tables.restore(stored), cached
