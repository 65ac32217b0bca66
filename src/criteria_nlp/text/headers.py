"""Section headers the exact pattern of :mod:`criteria_nlp.text.segment` misses: misspelt ("Exlusion Criteria"),
split by an invisible character, or an exclusion lead-in sentence ("Patients must not have:").

:func:`classify_header` reads one line (without its list marker) and says which section it opens, that it looks
like a header but names no section it knows (``"unrecognised"``: its criteria get the section ``unknown``), or
``None`` (not a header). The words are data: ``corpora/lexicon/section_headers.tsv``.

:func:`inline_header_starts` finds the same headers run into a line ("Age ≥ 18. Exclusion Criteria: pregnancy").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

from criteria_nlp.resources import corpus_path
from criteria_nlp.text.format_chars import without_format_chars

HeaderKind = Literal["inclusion", "exclusion", "unrecognised"]

_MAX_HEADER_CHARS = 80
_MAX_EDITS = 2
_WORD = re.compile(r"[^\W\d_]+")
_MAX_INLINE_WORDS = 4  # up to two qualifiers, the section word, the criteria word
_COLON = re.compile(r"[:：]")
_SENTENCE_END = frozenset(".;!?")
# "Inclusion/Exclusion Criteria:", "Inclusion and exclusion criteria": one mixed header, not two
_MIXED_HEAD = re.compile(r"(?:inclusion|exclusion)\w*\s*(?:/|&|\+|\band|\bor)\s*$", re.IGNORECASE)
_INLINE_BULLETS = frozenset("•·▪▫►▸‣⁃●○◦■□➢➤-–—*+")
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


def inline_header_starts(line: str) -> list[int]:
    """Where section headers run into ``line`` (a line's text after its list marker) begin.

    A header inside a line names its section and criteria ("Key Exclusion Criteria", spelt as loosely as a header
    line) and is followed by a colon or ends the line. It starts a new piece only after sentence punctuation or a
    bullet; a title-cased header followed by a colon ("Age ≥ 18 years Exclusion Criteria: pregnancy") also after a
    word, as pasted registry text runs them in. "meeting the exclusion criteria of study X" is no header."""
    starts: list[int] = []
    for colon in _COLON.finditer(line):
        start = _inline_header(line, colon.start(), colon=True)
        if start is not None and (not starts or start > starts[-1]):
            starts.append(start)
    start = _inline_header(line, len(line), colon=False)
    if start is not None and (not starts or start > starts[-1]):
        starts.append(start)
    return starts


def _inline_header(line: str, end: int, *, colon: bool) -> int | None:
    """Where the piece holding a header that ends at ``end`` starts (at its bullet if any), or None."""
    window = max(0, end - _MAX_HEADER_CHARS)
    # every line is asked (its end is a possible header's): the window's last word alone, which must end it and be
    # near a criteria word, rules out nearly all of them before the window's words are listed
    last = _WORD.match(line[window:end].rstrip()[::-1])  # the last word, reversed: a match at the start
    table = header_words()
    if last is None or _distance(last.group()[::-1].lower(), table.criteria, _MAX_EDITS + 1) > _MAX_EDITS:
        return None
    words = list(_WORD.finditer(line, window, end))[-_MAX_INLINE_WORDS:]
    if len(words) < 2 or line[words[-1].end() : end].strip():
        return None
    first: int | None = None
    for index in range(len(words) - 2, -1, -1):
        gap = line[words[index].end() : words[index + 1].start()]
        if not gap.isspace():
            break
        if classify_header(line[words[index].start() : end]) in ("inclusion", "exclusion"):
            first = index
    if first is None:
        return None
    start = words[first].start()
    before = line[:start].rstrip()
    if not before or _MIXED_HEAD.search(before[-_MAX_HEADER_CHARS:]):
        return None  # a header line, read as such
    if before[-1] in _SENTENCE_END:
        return start
    if before[-1] in _INLINE_BULLETS and len(before) > 1 and before[-2].isspace():
        return len(before) - 1
    if colon and before[-1].isalnum() and all(word.group()[0].isupper() for word in words[first:]):
        return start
    return None


@lru_cache(maxsize=16384)
def _distance(word: str, targets: tuple[str, ...], bound: int) -> int:
    """The fewest edits from ``word`` to one of ``targets``, or ``bound`` when there are at least that many.

    Remembered: every line's last word is measured against the criteria words (a header run into the line), and
    the same words end line after line ("years", "disease", "study")."""
    best = bound
    letters = set(word)
    for target in targets:
        # two cheap lower bounds of the distance first (the difference of the lengths; the letters one word has
        # and the other lacks, each costing an edit): most words are that far from every target, and the
        # alignment below is Python arithmetic on every pair of letters
        if (
            abs(len(word) - len(target)) < best
            and max(len(letters.difference(target)), len(set(target) - letters)) < best
        ):
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
