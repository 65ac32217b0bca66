"""How many of Chia's annotated thresholds the parser finds, and on which variable, over all 1,000 trials in ../shared.

Chia's BRAT files link a ``Value`` span holding a number ("<2.5X ULN", "18 years or more") to the ``Measurement``,
``Person`` (age) or ``Observation`` it bounds, by a ``Has_value`` relation. For every such pair this benchmark parses
the criterion line and asks:

* found: some numeric constraint of the line has a bound equal to a number written in the Value span, and its span
  overlaps the Value span;
* attached: that constraint is on the right variable: its mention shares a word with the annotated entity (for a
  ``Person`` entity, the variable is age).

Chia was annotated for entities and relations, not for thresholds; its Values also hold counts, doses and durations
the parser does not read as thresholds, so neither figure can reach 100 %. The misses are printed (``--errors N``) to
find the mechanisms worth fixing. Skips when ../shared is absent.

    python benchmarks/bench_chia_values.py [--errors N] [--limit FILES]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from criteria_nlp.ir.constraints import constraints_of
from criteria_nlp.pipeline import CriteriaParser
from criteria_nlp.resources import shared_dir

_ENTITY_TYPES = ("Measurement", "Person", "Observation")
_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)*|\.[0-9]+")
_GROUPED_THOUSANDS = re.compile(r"\b[0-9]{1,3}(?: [0-9]{3})+\b")
_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = frozenset({"of", "the", "and", "or", "in", "a", "to", "level", "levels", "count", "serum", "value"})


@dataclass(frozen=True)
class Pair:
    """One annotated threshold: the Value span and the entity it bounds, in line coordinates."""

    file: str
    line: str
    section: str
    value_start: int
    value_end: int
    value_text: str
    entity_type: str
    entity_text: str


def _entities(ann: str) -> tuple[dict[str, tuple[str, int, int, str]], list[tuple[str, str]]]:
    entities: dict[str, tuple[str, int, int, str]] = {}
    relations: list[tuple[str, str]] = []
    for raw in ann.splitlines():
        fields = raw.split("\t")
        if raw.startswith("T") and len(fields) >= 3:
            kind, _, offsets = fields[1].partition(" ")
            spans = [tuple(int(x) for x in part.split()) for part in offsets.split(";")]
            entities[fields[0]] = (kind, spans[0][0], spans[-1][-1], fields[2])
        elif raw.startswith("R") and len(fields) >= 2:
            name, *arguments = fields[1].split()
            if name == "Has_value" and len(arguments) == 2:
                relations.append((arguments[0].partition(":")[2], arguments[1].partition(":")[2]))
    return entities, relations


def chia_pairs(chia: Path, limit: int | None) -> list[Pair]:
    pairs: list[Pair] = []
    for text_path in sorted(chia.glob("*.txt"))[:limit]:
        ann_path = text_path.with_suffix(".ann")
        if not ann_path.exists():
            continue
        # the offsets count each "\r\n" as two characters: read the text as it is on disk
        with text_path.open(encoding="utf-8", newline="") as stream:
            text = stream.read()
        entities, relations = _entities(ann_path.read_text(encoding="utf-8"))
        section = "exclusion" if text_path.stem.endswith("_exc") else "inclusion"
        for entity_id, value_id in relations:
            if entity_id not in entities or value_id not in entities:
                continue
            kind, start, _, entity_text = entities[entity_id]
            value_kind, value_start, value_end, value_text = entities[value_id]
            if kind not in _ENTITY_TYPES or value_kind != "Value" or not _NUMBER.search(value_text):
                continue
            line_start = text.rfind("\n", 0, value_start) + 1
            line_end = text.find("\n", value_start)
            line_end = len(text) if line_end < 0 else line_end
            if text[line_start:line_end].endswith("\r"):
                line_end -= 1
            if not line_start <= start < line_end:
                continue  # the entity lies on another line
            pairs.append(
                Pair(
                    text_path.name,
                    text[line_start:line_end],
                    section,
                    value_start - line_start,
                    value_end - line_start,
                    value_text,
                    kind,
                    entity_text,
                )
            )
    return pairs


def _numbers(text: str) -> set[float]:
    """Every reading of the numbers in ``text``: "1,500" as 1500 and 1.5, "100 000" as 100000, "0,1" also as 0 and 1."""
    text = _GROUPED_THOUSANDS.sub(lambda match: match.group().replace(" ", ""), text)
    numbers: set[float] = set()
    for match in _NUMBER.finditer(text):
        written = match.group()
        numbers.add(float(written.replace(",", "")))
        numbers.add(float(written.replace(",", ".", 1).replace(",", "")))
        numbers.update(float(part) for part in written.split(",") if part and part != ".")
    return numbers


def _words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in _STOP_WORDS}


def _bounds(constraint: dict[str, Any]) -> set[float]:
    low, _, high, _ = constraint["interval"]
    return {abs(bound) for bound in (low, high) if bound is not None}


def judge(pair: Pair, constraints: list[dict[str, Any]]) -> str:
    """``attached``, ``found`` (the threshold, on another variable) or ``missed``."""
    numbers = _numbers(pair.value_text)
    found = [
        constraint
        for constraint in constraints
        if constraint["span"][0] < pair.value_end
        and pair.value_start < constraint["span"][1]
        and _bounds(constraint) & numbers
    ]
    if not found:
        return "missed"
    for constraint in found:
        if pair.entity_type == "Person":
            if constraint["variable"] == "age":
                return "attached"
        elif _words(constraint["mention"] or "") & _words(pair.entity_text):
            return "attached"
    return "found"


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--errors", type=int, default=0, help="print this many misses of each kind")
    arguments.add_argument("--limit", type=int, default=None, help="read only the first FILES text files")
    options = arguments.parse_args()
    shared = shared_dir()
    if shared is None or not (shared / "corpora" / "chia").is_dir():
        print("skipped: ../shared/corpora/chia not found (set CRITERIA_NLP_SHARED)")
        return 0
    pairs = chia_pairs(shared / "corpora" / "chia", options.limit)
    parser = CriteriaParser()
    outcomes: Counter[tuple[str, str]] = Counter()
    examples: dict[str, list[str]] = {"missed": [], "found": []}
    cache: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for pair in pairs:
        key = (pair.line, pair.section)
        if key not in cache:
            criterion = parser.parse_one(pair.line, section=pair.section)  # type: ignore[arg-type]
            cache[key] = constraints_of(criterion.expression)
        outcome = judge(pair, cache[key])
        outcomes[(pair.entity_type, outcome)] += 1
        if outcome in examples and len(examples[outcome]) < options.errors:
            got = "; ".join(f"{c['mention']} {c['interval']}" for c in cache[key]) or "-"
            examples[outcome].append(
                f"{pair.file}: {pair.entity_text!r} {pair.value_text!r} | got: {got} | {pair.line[:160]}"
            )
    print(f"Chia Has_value pairs with a number: {len(pairs)} in {len(cache)} lines")
    for kind in (*_ENTITY_TYPES, "all"):
        counts = {
            outcome: sum(n for (entity, o), n in outcomes.items() if o == outcome and kind in (entity, "all"))
            for outcome in ("attached", "found", "missed")
        }
        total = sum(counts.values())
        if total:
            print(
                f"{kind:12s} {total:5d}: threshold found {(counts['attached'] + counts['found']) / total:.1%}, "
                f"on the annotated variable {counts['attached'] / total:.1%}"
            )
    for outcome, lines in examples.items():
        if lines:
            print(f"\n{outcome}:")
            print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
