"""The hand-curated word roles of the terminology layer (``corpora/terminology/words.tsv``), read by the build script,
the matcher and the record linking: generic words, function words, compounds, drug heads, dose forms, number endings
and the filler words of ICD-10-CM titles."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Literal, TextIO

from criteria_nlp.resources import corpus_path

Category = Literal["condition", "medication", "procedure"]
# the tables whose concepts are not conditions: DrugBank drugs, and MeSH procedures or drug classes (by head word)
_TABLE_CATEGORY: dict[str, Category] = {"drugbank.tsv.gz": "medication", "mesh-procedures-drugs.tsv.gz": "procedure"}
_MIN_VARIANT_LENGTH = 5  # shorter words are abbreviations or too ambiguous to change in number ("AIDS", "gas")
_ROLES = ("generic", "function", "compound", "drug_head", "form", "plural", "not_plural", "title_filler")


class WordRoles:
    """The hand-curated ``words.tsv``: phrases never matched alone, words never taken as qualifiers."""

    def __init__(
        self,
        generic: frozenset[str],
        function: frozenset[str],
        compound: frozenset[str],
        drug_heads: frozenset[str] = frozenset(),
        forms: frozenset[str] = frozenset(),
        plurals: frozenset[str] = frozenset(),
        not_plurals: frozenset[str] = frozenset(),
        title_fillers: frozenset[str] = frozenset(),
    ) -> None:
        self.generic = generic
        self.function = function
        self.compound = compound
        self.drug_heads = drug_heads
        self.forms = forms
        # "ies y": a plural ending and the singular ending it replaces; "s": an ending added to the singular
        self.plurals = tuple(sorted((tuple([*phrase.split(), ""][:2]) for phrase in plurals), reverse=True))
        self.not_plurals = not_plurals  # endings of words whose final "s" is no plural ("-ss", "-us", "-is")
        # words of an ICD-10-CM title that do not narrow its concept ("unspecified"), longest first
        self.title_fillers = tuple(sorted(title_fillers, key=lambda phrase: (-len(phrase), phrase)))

    def number_variants(self, word: str) -> tuple[str, ...]:
        """The word in the other grammatical number ("anesthetic" <-> "anesthetics", "therapies" -> "therapy"), for
        a head word at least five letters long: a drug class or procedure named in the other number than its term."""
        if len(word) < _MIN_VARIANT_LENGTH or not word.isalpha():
            return ()
        variants: list[str] = []
        for plural, singular in self.plurals:
            if word.endswith(plural) and not any(word.endswith(ending) for ending in self.not_plurals):
                variants.append(word[: len(word) - len(plural)] + singular)
            elif word.endswith(singular) and not word.endswith(plural):
                variants.append(word[: len(word) - len(singular)] + plural)
        return tuple(dict.fromkeys(variants))

    def category(self, table: str, name: str) -> Category:
        """A concept's category from its table and, for drug classes among procedures, its name's last word."""
        last = (name.lower().split() or [""])[-1]
        if last in self.drug_heads:
            return "medication"
        return _TABLE_CATEGORY.get(table, "condition")

    def is_function(self, word: str) -> bool:
        return word in self.function

    def is_compound(self, word: str) -> bool:
        return word in self.compound


def open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def read_word_roles(path: Path | None = None) -> WordRoles:
    roles: dict[str, set[str]] = {role: set() for role in _ROLES}
    with open_text(path or corpus_path("terminology", "words.tsv")) as stream:
        rows = [line.rstrip("\n").split("\t") for line in stream if line.strip() and not line.startswith("#")]
    for phrase, role, *_ in rows[1:]:
        roles.setdefault(role.strip(), set()).add(phrase.strip())
    return WordRoles(*(frozenset(roles[role]) for role in _ROLES))
