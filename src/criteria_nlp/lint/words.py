"""The English the lint rules look for in criterion text, read once from ``corpora/lexicon/lint_words.tsv`` (its
header explains the format): vague qualifiers, conditions, "normal" without a reference... Each set of phrases
becomes one regular expression; the code adds only what is not language (signs, numbers, where a phrase must
stand)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from criteria_nlp.resources import corpus_path

_WORD_LISTS = ("vague-spelling", "qualifier", "organ-function-group", "organ-function-variable")
_PATTERNS = (
    "vague",
    "definition",
    "normal",
    "limit-of",
    "reference",
    "range-word",
    "condition",
    "exception",
    "purpose",
    "or",
    "and",
)
_COMPARISON = "[<>≤≥]"


@dataclass(frozen=True)
class LintWords:
    vague: re.Pattern[str]  # A005: vague qualifiers
    vague_spellings: frozenset[str]  # A005: the lexicon spellings of vague qualifiers (a misspelling corrected to one)
    definition_after: re.Pattern[str]  # A005: a definition within 80 characters after the qualifier
    normal: re.Pattern[str]  # A003
    limit_of_normal: re.Pattern[str]  # A003: "upper limit of" just before "normal"
    stated_reference: re.Pattern[str]  # A003
    condition: re.Pattern[str]  # A004
    exception: re.Pattern[str]  # L001: the criterion allows exceptions
    purpose_before: re.Pattern[str]  # L004: "therapy for" just before a condition
    qualifiers: frozenset[str]  # L003
    or_word: re.Pattern[str]  # L005, L006
    and_word: re.Pattern[str]  # L005
    organ_function_groups: tuple[str, ...]  # L001, L002: lexicon groups of organ-function tests
    organ_function_variables: frozenset[str]  # L001, L002: further organ-function tests


def _word(word: str) -> str:
    """One word of a phrase: alternatives ``a|b``, a trailing ``*``, ``_`` for one space (see the file header)."""
    alternatives = []
    for alternative in sorted(word.split("|"), key=len, reverse=True):
        stem = alternative.removesuffix("*")
        alternatives.append(re.escape(stem.replace("_", " ")) + (r"\w*" if stem != alternative else ""))
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


def phrase_pattern(phrase: str, *, whole_words: bool = True) -> str:
    """The regular expression of one phrase of the file."""
    pattern = r"\s+".join(_word(word) for word in phrase.split(" "))
    if not whole_words:
        return pattern
    before = r"\b" if re.match(r"\w", phrase) else ""
    after = r"\b" if re.search(r"\w$", phrase) else ""
    return before + pattern + after


def phrases_pattern(phrases: tuple[str, ...], *, whole_words: bool = True) -> str:
    """One alternation of the phrases of a set, the longest first (so that "except for" wins over "except")."""
    ordered = sorted(phrases, key=len, reverse=True)
    return "(?:" + "|".join(phrase_pattern(p, whole_words=whole_words) for p in ordered) + ")"


def read_sets(path: Path) -> dict[str, tuple[str, ...]]:
    sets: dict[str, list[str]] = {name: [] for name in (*_WORD_LISTS, *_PATTERNS)}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        name, _, phrase = line.partition("\t")
        if name not in sets or not phrase.strip():
            raise ValueError(f"{path.name} line {number}: expected a known set, a tab and a phrase: {line!r}")
        sets[name].append(phrase.strip())
    return {name: tuple(phrases) for name, phrases in sets.items()}


def build_words(sets: dict[str, tuple[str, ...]]) -> LintWords:
    def compiled(pattern: str) -> re.Pattern[str]:
        return re.compile(pattern, re.IGNORECASE)

    def phrases(name: str) -> str:
        return phrases_pattern(sets[name])

    range_word = phrases_pattern(sets["range-word"], whole_words=False)
    return LintWords(
        vague=compiled(phrases("vague")),
        vague_spellings=frozenset(sets["vague-spelling"]),
        definition_after=compiled(rf"[^.;]{{0,80}}?(?:\(|{_COMPARISON}|{phrases('definition')})"),
        normal=compiled(phrases("normal")),
        limit_of_normal=compiled(phrases("limit-of") + r"\s+$"),
        stated_reference=compiled(rf"{phrases('reference')}|{_COMPARISON}\s*\d|\d\s*(?:-|–|{range_word})\s*\d"),
        condition=compiled(phrases("condition")),
        exception=compiled(phrases("exception")),
        purpose_before=compiled(phrases("purpose") + r"\s+$"),
        qualifiers=frozenset(sets["qualifier"]),
        or_word=compiled(phrases("or")),
        and_word=compiled(phrases("and")),
        organ_function_groups=sets["organ-function-group"],
        organ_function_variables=frozenset(sets["organ-function-variable"]),
    )


@cache
def lint_words() -> LintWords:
    return build_words(read_sets(corpus_path("lexicon", "lint_words.tsv")))


__all__ = ["LintWords", "build_words", "lint_words", "phrase_pattern", "phrases_pattern", "read_sets"]
