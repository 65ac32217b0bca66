"""What a list's lead-in asks of its items: all, any, or at least N ("At least 2 of the following:").

The phrases are the ``list_*`` sets of ``corpora/lexicon/words.tsv`` ("N" in a phrase stands for a count, written
in digits or as a ``NUMWORD`` cue of ``cues.tsv``); this module only turns them into one pattern per set.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import TypeAdapter

from criteria_nlp.build.threshold_windows import takes_window, window_of
from criteria_nlp.grammar import Chunk, ProseChunk, WindowChunk
from criteria_nlp.ir import (
    All,
    Conditional,
    Criterion,
    Node,
    Presence,
    Section,
    TemporalWindow,
    Unparsed,
    kind_of,
    map_children,
    span_at,
    walk,
)
from criteria_nlp.knowledge.words import words
from criteria_nlp.resources import corpus_path

__all__ = [
    "LeadInRequirement",
    "ListReading",
    "count_of",
    "ends_with_or",
    "lead_in_requirement",
    "lead_in_window",
    "leading_count",
    "list_reading",
    "with_requirement",
    "with_window",
]


@dataclass(frozen=True, slots=True)
class ListReading:
    """``join`` of the items: all of them, any of them, or at least ``count`` of them."""

    join: Literal["all", "any", "at_least"]
    count: int = 1


def list_reading(lead_in: str) -> ListReading | None:
    """The reading a lead-in asks for (at least N, before any, before all); None when it names none."""
    lowered = lead_in.lower()
    match = _search("list_at_least", lowered)
    if match is not None:
        count = count_of(match.group("n"))
        if count is not None and count > 1:
            return ListReading("at_least", count)
        if count == 1:
            return ListReading("any")
    if _search("list_any", lowered):
        return ListReading("any")
    if _search("list_all", lowered):
        return ListReading("all")
    return None


def leading_count(text: str) -> tuple[int, int] | None:
    """An "at least N of" opening ``text`` (after spaces): (N, where the phrase ends); None without one."""
    stripped = text.lower().lstrip()
    match = next((m for p in _patterns()["list_at_least"] if (m := p.match(stripped)) is not None), None)
    if match is None:
        return None
    count = count_of(match.group("n"))
    if count is None:
        return None
    return count, len(text) - len(text.lstrip()) + match.end()


def ends_with_or(item: str) -> bool:
    """An item ending in "or" (punctuation after it allowed): it and the next items are alternatives."""
    return _search("list_or_end", item.lower()) is not None


def lead_in_window(chunks: list[Chunk], offset: int) -> TemporalWindow | None:
    """The one time window a lead-in writes ("Any of the following within 6 months before screening:"), with its
    anchor; spans moved by ``offset`` (where the lead-in starts in the document). None for none or several."""
    windows = [c for c in chunks if isinstance(c, WindowChunk)]
    if len(windows) != 1:
        return None
    window = windows[0]
    anchors = [
        c.piece
        for c in chunks
        if isinstance(c, ProseChunk) and "ANCHOR" in c.piece.kinds and c.piece.char_start >= window.span.end
    ]
    span = span_at(window.span.start + offset, window.span.end + offset)
    anchor = anchors[0].text if anchors else None
    return window_of(window, anchor, span, [c.piece for c in chunks if isinstance(c, ProseChunk)])


def with_window(node: Node, window: TemporalWindow) -> Node:
    """``node`` with ``window`` on every presence and measured threshold that has none (the lead-in's window reaches
    each item: "Within 14 days prior to enrollment:" over a list of laboratory values)."""
    if isinstance(node, Presence):
        return node.model_copy(update={"window": window}) if node.window is None else node
    if takes_window(node):
        return node.model_copy(update={"window": window})
    return map_children(node, lambda child: with_window(child, window))


# what a lead-in may ask of the people and be read for: age, sex, measured values. A condition is left out: the
# items may be its forms ("Cardiovascular disease: a. infarction within 6 months b. stroke"), and read as a
# requirement beside them it would clear an exclusion of a patient whose infarction is coded but no "cardiovascular
# disease" is
_PEOPLE_KINDS = frozenset({"demographic", "comparison", "range", "reference_multiple"})


@dataclass(frozen=True, slots=True)
class LeadInRequirement:
    """What a lead-in asks of the people: ``node``; ``of_everyone`` when its words say only they are eligible
    ("... are eligible if:"), so that it is a requirement of every item."""

    node: Node
    of_everyone: bool
    text: str


def lead_in_requirement(
    lead_in: str, section: Section, offset: int, parse: Callable[[str, Section], Criterion]
) -> LeadInRequirement | None:
    """What a lead-in asks of the people itself ("Patients aged 18 or older are eligible if:"): its own reading when
    it is wholly computable and asks only an age, a sex or measured values (the tail words of ``lead_in_tail`` in
    words.tsv, "are eligible if", and the colon left out), spans moved by ``offset``; None when it asks nothing a
    record can decide ("Any of the following:"), asks a condition, or is defined by its items ("defined as:")."""
    text = lead_in.rstrip().rstrip(":").rstrip()
    lowered = text.lower()
    tail = next((t for t in sorted(words("lead_in_tail"), key=len, reverse=True) if lowered.endswith(" " + t)), None)
    if tail is not None:
        text = text[: len(text) - len(tail)].rstrip()
    if not text:
        return None
    if any(f" {cue} " in f" {lowered} " for cue in words("definition_cue")):
        return None  # "Established cardiovascular disease, defined as:": the items define it, they add nothing
    read = parse(text, section)
    kinds = {node.kind for node in walk(read.expression) if kind_of(node).is_leaf}
    if read.status != "computable" or not kinds or not kinds <= _PEOPLE_KINDS:
        return None
    return LeadInRequirement(_shifted(read.expression, offset), tail is not None, lead_in.strip())


def _shifted(node: Node, offset: int) -> Node:
    """``node`` with every span moved by ``offset`` (a lead-in read on its own, placed in the document)."""

    def move(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"start", "end"}:
                return {"start": value["start"] + offset, "end": value["end"] + offset}
            return {key: move(item) for key, item in value.items()}
        if isinstance(value, list):
            return [move(item) for item in value]
        return value

    moved: Node = _node_adapter().validate_python(move(node.model_dump()))
    return moved


@cache
def _node_adapter() -> TypeAdapter[Node]:
    return TypeAdapter(Node)


def with_requirement(node: Node, requirement: LeadInRequirement, section: Section) -> Node:
    """An item under a lead-in that asks something of the people. In an exclusion the item excludes those people
    only, and a lead-in saying only they are eligible is a requirement of every inclusion: all of both. Otherwise in
    an inclusion the lead-in may be a requirement of every item or say whom the item applies to (if the lead-in then
    the item, met by the others): the two agree where the lead-in holds; for a patient it does not hold for, the
    answer is unknown, for review."""
    span = node.span
    if section == "exclusion" or requirement.of_everyone:
        return All(span=span, children=(requirement.node, node))
    unsure = Unparsed(
        span=requirement.node.span,
        text=requirement.text,
        reason="the lead-in does not hold: whether it is a requirement of every item or says whom they apply to is "
        "not written",
    )
    return Conditional(span=span, when=requirement.node, then=node, otherwise=unsure)


def count_of(word: str) -> int | None:
    """A count in digits or as a number word of cues.tsv."""
    if word.isdigit():
        return int(word)
    return _number_words().get(word)


@cache
def _patterns() -> dict[str, tuple[re.Pattern[str], ...]]:
    """One pattern per phrase (a pattern may name its count group only once)."""
    count = "|".join(sorted((re.escape(w) for w in _number_words()), key=len, reverse=True))
    found: dict[str, tuple[re.Pattern[str], ...]] = {}
    for name in ("list_at_least", "list_any", "list_all"):
        found[name] = tuple(
            re.compile(
                r"\b"
                + r"\s+".join(rf"(?P<n>\d+|{count})" if w == "N" else re.escape(w) for w in phrase.split())
                + r"\b"
            )
            for phrase in sorted(words(name), key=len, reverse=True)
        )
    ends = "|".join(re.escape(w) for w in sorted(words("list_or_end"), key=len, reverse=True))
    found["list_or_end"] = (re.compile(rf"\b(?:{ends})[\s,;.]*$"),)
    return found


def _search(name: str, text: str) -> re.Match[str] | None:
    """The first match of a phrase of set ``name``; a count right after a scale word is a grade, not a count
    of items ("Grade 2 or more of the following toxicities")."""
    for pattern in _patterns()[name]:
        for match in pattern.finditer(text):
            before = text[: match.start()].split()
            if not (before and "n" in pattern.groupindex and before[-1] in words("scale_word")):
                return match
    return None


@cache
def _number_words() -> dict[str, int]:
    """The NUMWORD cues of cues.tsv that are whole numbers ("two" -> 2)."""
    found: dict[str, int] = {}
    for raw in corpus_path("lexicon", "cues.tsv").read_text(encoding="utf-8").splitlines():
        fields = raw.split("\t")
        if raw.startswith("#") or len(fields) < 3 or fields[1] != "NUMWORD" or not fields[2].isdigit():
            continue
        if " " not in fields[0] and "-" not in fields[0]:
            found[fields[0].lower()] = int(fields[2])
    return found
