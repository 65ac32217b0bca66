"""Cues in a patient record's own text that say the record does not show the concept it names as present now
("no active tuberculosis", "pneumonia ruled out", "asthma, resolved"), read from ``corpora/lexicon/record_cues.tsv``
(its header explains the columns). Loading is strict, as for the rest of the lexicon: a wrong row would become a
wrong eligibility decision."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from criteria_nlp.knowledge.lexicon import LexiconFileError, lexicon_rows
from criteria_nlp.resources import corpus_path

COLUMNS = ("cue", "position", "kind")
POSITIONS = frozenset({"before", "after"})
KINDS = frozenset({"negated", "past"})


@dataclass(frozen=True)
class RecordCue:
    """One cue: its words, where it stands from the concept's name, and what it says."""

    cue: str
    position: Literal["before", "after"]
    kind: Literal["negated", "past"]

    def describe(self) -> str:
        said = "negates it" if self.kind == "negated" else "says it is past"
        return f"the record's text {said} ({self.cue!r}, record_cues.tsv)"


@dataclass(frozen=True)
class RecordCues:
    """The cues of each position as one whole-word pattern (longest first), and each cue by its words."""

    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    by_words: dict[tuple[str, str], RecordCue]

    def find(self, text: str, start: int, end: int) -> RecordCue | None:
        """The cue in ``text`` before the concept's name at [start, end) or after it, or None."""
        lower = text.lower()
        for position, pattern, part in (("before", self.before, lower[:start]), ("after", self.after, lower[end:])):
            hit = pattern.search(part) if pattern is not None else None
            if hit is not None:
                return self.by_words[(position, " ".join(hit.group(0).split()))]
        return None


def _pattern(cues: list[str]) -> re.Pattern[str] | None:
    if not cues:
        return None
    ordered = sorted(cues, key=len, reverse=True)
    words = (r"\s+".join(re.escape(word) for word in cue.split()) for cue in ordered)
    return re.compile(r"(?<![\w-])(?:" + "|".join(words) + r")(?![\w-])")


@cache
def record_cues(path: Path | None = None) -> RecordCues:
    """The cues of ``record_cues.tsv`` (or ``path``), read once."""
    path = path or corpus_path("lexicon", "record_cues.tsv")
    by_words: dict[tuple[str, str], RecordCue] = {}
    for line_number, row in lexicon_rows(path, COLUMNS):
        cue, position, kind = row["cue"], row["position"], row["kind"]
        if position not in POSITIONS:
            raise LexiconFileError(path, line_number, f"unknown position {position!r}", suggestions=sorted(POSITIONS))
        if kind not in KINDS:
            raise LexiconFileError(path, line_number, f"unknown kind {kind!r}", suggestions=sorted(KINDS))
        words = " ".join(cue.lower().split())
        if not words or (position, words) in by_words:
            raise LexiconFileError(path, line_number, f"empty or repeated cue {cue!r}")
        by_words[(position, words)] = RecordCue(words, position, kind)  # type: ignore[arg-type]
    return RecordCues(
        before=_pattern([c for p, c in by_words if p == "before"]),
        after=_pattern([c for p, c in by_words if p == "after"]),
        by_words=by_words,
    )
