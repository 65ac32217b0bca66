"""Meaning cues: words that, left unread, may change the meaning of what was read (``lexicon/meaning_cues.tsv``).

The file explains its format in its ``#`` header. :func:`meaning_cues` reads it once; :meth:`MeaningCues.find`
gives the cues in a text (the longest phrase at a place wins, so a pseudo phrase such as "if any" hides the "if"
inside it; pseudo cues are never returned); :meth:`MeaningCues.match` tells whether a cue starts at a position (the
builder's leftovers reader uses it to keep an unread cue in the words it reports).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal, cast

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.resources import corpus_path

Category = Literal["exception", "condition", "qualifier", "relative", "permission", "person", "pseudo"]
Direction = Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "PSEUDO"]
_CATEGORIES = ("exception", "condition", "qualifier", "relative", "permission", "person", "pseudo")
_DIRECTIONS = ("FORWARD", "BACKWARD", "BIDIRECTIONAL", "PSEUDO")
_SCOPES = ("clause", "word", "alone")


@dataclass(frozen=True, slots=True)
class Cue:
    phrase: str
    category: Category
    direction: Direction
    scope: str
    expected: str


@dataclass(frozen=True, slots=True)
class CueMatch:
    """A cue found in a text: ``start`` and ``end`` index that text."""

    cue: Cue
    start: int
    end: int


@dataclass(frozen=True)
class MeaningCues:
    cues: MappingProxyType[str, Cue]
    pattern: re.Pattern[str]
    first_words: frozenset[str]
    longest: int  # characters of the longest phrase

    def match(self, text: str, position: int) -> CueMatch | None:
        """The cue (pseudo ones included) that starts at ``position`` of ``text``, if any."""
        found = self.pattern.match(text, position)
        return self._cue_match(found) if found is not None else None

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[CueMatch]:
        """The cues that start in ``text[start:end]``, in text order, pseudo phrases left out. The search starts
        a phrase's length earlier, so that a pseudo phrase begun before ``start`` ("with or | without") hides the
        cue inside it."""
        end = len(text) if end is None else end
        found = (self._cue_match(m) for m in self.pattern.finditer(text, max(0, start - self.longest), end))
        return [m for m in found if m.start >= start and m.cue.category != "pseudo"]

    def _cue_match(self, found: re.Match[str]) -> CueMatch:
        phrase = " ".join(found.group(0).lower().split())
        return CueMatch(self.cues[phrase], found.start(), found.end())


@cache
def meaning_cues(path: Path | None = None) -> MeaningCues:
    """The cues of ``meaning_cues.tsv`` (or of ``path``), read once."""
    path = path or corpus_path("lexicon", "meaning_cues.tsv")
    cues: dict[str, Cue] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cue = _cue(raw.split("\t"), f"{path.name} line {number}")
        if cue.phrase in cues:
            raise CriteriaSemanticError(f"{path.name} line {number}: the phrase {cue.phrase!r} is listed twice")
        cues[cue.phrase] = cue
    # longest first: at one place the longest phrase wins; whole words only; any run of spaces between words
    phrases = sorted(cues, key=len, reverse=True)
    pattern = re.compile(rf"(?<!\w)(?:{_alternation(phrases)})(?!\w)", re.IGNORECASE)
    first = frozenset(phrase.split()[0] for phrase in cues)
    return MeaningCues(MappingProxyType(cues), pattern, first, max(map(len, cues), default=0))


def _alternation(phrases: list[str]) -> str:
    """The phrases as one regular alternation, in their order, grouped by their first letter: at a place only the
    group of its letter is tried (a few alternatives instead of all; the search runs over every criterion). Two
    lower-case ASCII letters never match the same character ignoring case, so the match at each place is the one
    the flat alternation gives; with another first character the alternation stays flat."""
    written = [[re.escape(word) for word in phrase.split()] for phrase in phrases]
    flat = "|".join(r"\s+".join(words) for words in written)
    if not all(words and words[0][:1].isascii() and words[0][:1].islower() for words in written):
        return flat
    groups: dict[str, list[str]] = {}
    for words in written:
        groups.setdefault(words[0][0], []).append(r"\s+".join([words[0][1:], *words[1:]]))
    return "|".join(f"{letter}(?:{'|'.join(rests)})" for letter, rests in groups.items())


def _cue(fields: list[str], where: str) -> Cue:
    if len(fields) != 5 or not fields[0].strip():
        raise CriteriaSemanticError(
            f"{where}: expected phrase, category, direction, scope and expected, separated by tabs",
            expected=["5 fields"],
        )
    phrase, category, direction, scope, expected = (field.strip() for field in fields)
    for value, allowed, name in ((category, _CATEGORIES, "category"), (direction, _DIRECTIONS, "direction")):
        if value not in allowed:
            raise CriteriaSemanticError(f"{where}: unknown {name} {value!r}", expected=list(allowed))
    if scope not in _SCOPES:
        raise CriteriaSemanticError(f"{where}: unknown scope {scope!r}", expected=list(_SCOPES))
    if (category == "pseudo") != (direction == "PSEUDO") or (category != "pseudo" and not expected):
        raise CriteriaSemanticError(f"{where}: a pseudo cue has direction PSEUDO and nothing expected; others both")
    return Cue(" ".join(phrase.lower().split()), cast(Category, category), cast(Direction, direction), scope, expected)
