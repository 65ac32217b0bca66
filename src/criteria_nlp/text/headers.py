"""Section headers the exact pattern of :mod:`criteria_nlp.text.segment` misses: misspelt ("Exlusion Criteria"),
split by an invisible character, or an exclusion lead-in sentence ("Patients must not have:").

:func:`classify_header` reads one line (without its list marker) and says which section it opens, that it looks
like a header but names no section it knows (``"unrecognised"``: its criteria get the section ``unknown``), or
``None`` (not a header). The words are data: ``corpora/lexicon/section_headers.tsv``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from criteria_nlp.resources import corpus_path
from criteria_nlp.text.format_chars import without_format_chars

HeaderKind = Literal["inclusion", "exclusion", "unrecognised"]

_MAX_HEADER_CHARS = 80
_MAX_EDITS = 2
_WORD = re.compile(r"[^\W\d_]+")
_SETS = ("inclusion", "exclusion", "criteria", "qualifier", "subject", "exclusion_lead")


@dataclass(frozen=True, slots=True)
class HeaderWords:
    inclusion: tuple[str, ...]
    exclusion: tuple[str, ...]
    criteria: tuple[str, ...]
    qualifier: frozenset[str]
    subject: frozenset[str]
    exclusion_lead: tuple[str, ...]


@cache
def header_words() -> HeaderWords:
    sets: dict[str, list[str]] = {name: [] for name in _SETS}
    path = corpus_path("lexicon", "section_headers.tsv")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        name, _, word = line.partition("\t")
        if name not in sets or not word:
            raise ValueError(f"{path}:{number}: expected 'set<TAB>word' with a set among {', '.join(_SETS)}")
        sets[name].append(word.strip().lower())
    return HeaderWords(
        inclusion=tuple(sets["inclusion"]),
        exclusion=tuple(sets["exclusion"]),
        criteria=tuple(sets["criteria"]),
        qualifier=frozenset(sets["qualifier"]),
        subject=frozenset(sets["subject"]),
        exclusion_lead=tuple(sets["exclusion_lead"]),
    )


def classify_header(line: str) -> HeaderKind | None:
    """The section a header-like line opens, ``"unrecognised"``, or None; ``line`` ends at its colon if any."""
    if len(line) > _MAX_HEADER_CHARS:
        return None
    text = without_format_chars(line).lower()
    words = _WORD.findall(text)
    if not words:
        return None
    table = header_words()
    if text.rstrip().endswith((":", "：")) and words[0] in table.subject:
        phrase = " ".join(words[1:])
        if any(phrase == lead or phrase.startswith(lead + " ") for lead in table.exclusion_lead):
            return "exclusion"
    while len(words) > 1 and words[0] in table.qualifier:
        words = words[1:]
    near = _MAX_EDITS + 1  # distances are only compared with _MAX_EDITS here: counting further is wasted
    if len(words) > 2 or (len(words) == 2 and _distance(words[1], table.criteria, near) > _MAX_EDITS):
        return None
    if len(words) == 1 and _distance(words[0], table.criteria, near) <= _MAX_EDITS:
        return "unrecognised"  # "Criteria:", "Key criteria:": a header that names no section
    # one word names a section only within _MAX_EDITS; two words ("Exculsoin criteria") are a header up to
    # _MAX_EDITS + 2 from a section word, and the two distances are compared
    bound = _MAX_EDITS + 3 if len(words) == 2 else near
    to_exclusion = _distance(words[0], table.exclusion, bound)
    to_inclusion = _distance(words[0], table.inclusion, bound)
    nearest = min(to_exclusion, to_inclusion)
    if nearest <= _MAX_EDITS and to_exclusion != to_inclusion:
        return "exclusion" if to_exclusion < to_inclusion else "inclusion"
    if len(words) == 2 and nearest <= _MAX_EDITS + 2:
        return "unrecognised"  # "Exculsoin criteria", or as near one section word as the other
    return None


def _distance(word: str, targets: tuple[str, ...], bound: int) -> int:
    """The fewest edits from ``word`` to one of ``targets``, or ``bound`` when there are at least that many."""
    best = bound
    for target in targets:
        if abs(len(word) - len(target)) < best:
            best = edits(word, target, bound=best)
    return best


def edits(first: str, second: str, *, bound: int | None = None) -> int:
    """Optimal string alignment distance: insertions, deletions, replacements and swaps of adjacent letters.

    With a ``bound``, the smaller of the distance and the bound: the rows stop as soon as no cell of the last two is
    below it (every later cell costs at least as much), which ends most comparisons of unrelated words (nearly every
    line segmented) after a few letters."""
    previous2: list[int] = []
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i] + [0] * len(second)
        for j, b in enumerate(second, start=1):
            cost = 0 if a == b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a == second[j - 2] and first[i - 2] == b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if bound is not None and min(current) >= bound and min(previous) >= bound:
            return bound
        previous2, previous = previous, current
    return previous[-1] if bound is None else min(previous[-1], bound)
