"""The English word sets the IR builder reads by spelling, from ``corpora/lexicon/words.tsv`` (read once).

The file explains its format and every set in its ``#`` header; :func:`words` returns one set by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.resources import corpus_path


def words(name: str) -> frozenset[str]:
    """The words of set ``name`` (lower case, as written in the file)."""
    sets = word_sets()
    try:
        return sets[name]
    except KeyError:
        raise CriteriaSemanticError(f"words.tsv holds no word set {name!r}", expected=sorted(sets)) from None


@cache
def word_sets(path: Path | None = None) -> Mapping[str, frozenset[str]]:
    """Every set of ``words.tsv`` (or of ``path``): set name -> its words."""
    path = path or corpus_path("lexicon", "words.tsv")
    found: dict[str, set[str]] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.split("\t")
        if len(fields) != 2 or not fields[0] or not fields[1]:
            raise CriteriaSemanticError(
                f"{path.name} line {number}: expected a set name and a word separated by a tab", expected=["2 fields"]
            )
        found.setdefault(fields[0], set()).add(fields[1])
    return MappingProxyType({name: frozenset(members) for name, members in found.items()})
