"""How many of Chia's annotated entities get a concept id: today's parser, the terminology layer, and both.

For every Chia criteria line (``../shared/corpora/chia``, BRAT ``.ann`` beside each ``.txt``) and the Condition,
Drug, Procedure and Measurement entities annotated on it, three sets of mentions carrying an id are compared:

* (a) parser: the line parsed alone; the spans of its Presence concepts with an id and of its variables with an id;
* (b) terminology: :func:`criteria_nlp.knowledge.terminology.match_text` over the same line (lexicon and tables);
* (c) both: the union of (a) and (b).

Figures: recall (share of entity occurrences overlapped by a mention), exact-span recall (a mention with the
entity's exact span), on-target precision (share of mentions overlapping any annotated entity except ``Scope``),
and for (b) the share of broader matches (the text names something narrower than the id). The Synthea part counts
the FHIR conditions and medication requests of ``../shared/fhir/synthea-r4`` that get an id from the curated
lexicon's codes (today) and from the terminology layer (codes, else display text). Skips without ../shared.

    python benchmarks/bench_chia_entities.py [--limit FILES] [--errors N] [--why]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from criteria_nlp.ir import (
    ConceptRef,
    Conditional,
    Criterion,
    Node,
    NotComputable,
    Presence,
    Unparsed,
    VariableRef,
    children_of,
    walk,
)
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.knowledge.terminology import load_terminology
from criteria_nlp.pipeline import CriteriaParser
from criteria_nlp.resources import shared_dir

TYPES = ("Condition", "Drug", "Procedure", "Measurement")
SYSTEMS = ("parser", "terminology", "both")
Mention = tuple[int, int, str]  # start, end, where it comes from


@dataclass(frozen=True)
class Entity:
    kind: str
    fragments: tuple[tuple[int, int], ...]  # line coordinates
    text: str


@dataclass
class Line:
    file: str
    text: str
    section: str
    entities: list[Entity] = field(default_factory=list)  # every entity type but Scope


def chia_lines(chia: Path, limit: int | None) -> list[Line]:
    lines: list[Line] = []
    for text_path in sorted(chia.glob("*.txt"))[:limit]:
        ann_path = text_path.with_suffix(".ann")
        with text_path.open(encoding="utf-8", newline="") as stream:
            text = stream.read()  # offsets count "\r\n" as two characters: keep it
        section = "exclusion" if text_path.stem.endswith("_exc") else "inclusion"
        by_start: dict[int, Line] = {}
        start = 0
        for raw in text.split("\n"):
            if raw.rstrip("\r").strip():
                by_start[start] = Line(text_path.name, raw.rstrip("\r"), section)
            start += len(raw) + 1
        starts = sorted(by_start)
        for entity in _entities(ann_path.read_text(encoding="utf-8")) if ann_path.exists() else []:
            line_start = max((s for s in starts if s <= entity.fragments[0][0]), default=None)
            if line_start is None:
                continue
            line = by_start[line_start]
            fragments = tuple((a - line_start, b - line_start) for a, b in entity.fragments)
            if fragments[-1][1] <= len(line.text):
                line.entities.append(Entity(entity.kind, fragments, entity.text))
        lines.extend(by_start[s] for s in starts)
    return lines


def _entities(ann: str) -> Iterator[Entity]:
    for raw in ann.splitlines():
        fields = raw.split("\t")
        if raw.startswith("T") and len(fields) >= 3:
            kind, _, offsets = fields[1].partition(" ")
            if kind == "Scope":
                continue
            fragments = tuple((int(a), int(b)) for a, b in (part.split() for part in offsets.split(";")))
            yield Entity(kind, fragments, fields[2])


def parser_mentions(lines: list[Line]) -> tuple[list[list[Mention]], list[Criterion]]:
    """The mentions with an id wherever they are in each line's IR, and the criteria (with the builder's claims)."""
    parser = CriteriaParser(keep_claims=True)
    records = ((str(i), line.text, line.section) for i, line in enumerate(lines))
    found: list[list[Mention]] = []
    criteria: list[Criterion] = []
    for criterion in parser.parse_many(records):  # type: ignore[arg-type]
        mentions: list[Mention] = []
        for node in walk(criterion.expression):
            if isinstance(node, Presence) and node.concept.id:
                for span in (node.concept.span, *node.concept.restated):
                    mentions.append((span.start, span.end, "parser"))
            for part in _references(node):
                if part.id:
                    mentions.append((part.span.start, part.span.end, "parser"))
            for concept in _carried(node):
                if concept.id:
                    mentions.append((concept.span.start, concept.span.end, "parser"))
        found.append(mentions)
        criteria.append(criterion)
    return found, criteria


def _carried(node: BaseModel) -> tuple[ConceptRef, ...]:
    """The concept mentions a node carries besides what it decides (an ``unparsed`` node's ``concepts``)."""
    carried = getattr(node, "concepts", ())
    return carried if isinstance(carried, tuple) else ()


def _references(node: BaseModel) -> Iterator[VariableRef]:
    """The variables a node compares (Comparison, Range...): its fields holding a VariableRef."""
    for name in type(node).model_fields:
        value = getattr(node, name)
        if isinstance(value, VariableRef):
            yield value


def terminology_mentions(lines: list[Line]) -> tuple[list[list[Mention]], Counter[str]]:
    layer = load_terminology()
    found: list[list[Mention]] = []
    broader: Counter[str] = Counter()
    for line in lines:
        mentions: list[Mention] = []
        for match in layer.match_text(line.text):
            mentions.append((match.start, match.end, match.match.source))
            broader["broader" if match.match.broader else "exact"] += 1
        found.append(mentions)
    return found, broader


def _overlaps(mention: Mention, entity: Entity) -> bool:
    return any(mention[0] < b and a < mention[1] for a, b in entity.fragments)


def _exact(mention: Mention, entity: Entity, text: str) -> bool:
    start, end = entity.fragments[0][0], entity.fragments[-1][1]
    return text[mention[0] : mention[1]].strip().lower() == text[start:end].strip().lower()


def score(lines: list[Line], mentions: list[list[Mention]]) -> dict[str, tuple[int, int, int]]:
    """Per entity type: (occurrences, overlapped, exact span); and "mentions": (mentions, on target, 0)."""
    counts: dict[str, list[int]] = {kind: [0, 0, 0] for kind in (*TYPES, "mentions")}
    for line, found in zip(lines, mentions, strict=True):
        for entity in line.entities:
            if entity.kind in TYPES:
                row = counts[entity.kind]
                row[0] += 1
                row[1] += any(_overlaps(m, entity) for m in found)
                row[2] += any(_exact(m, entity, line.text) for m in found)
        counts["mentions"][0] += len(found)
        counts["mentions"][1] += sum(any(_overlaps(m, e) for e in line.entities) for m in found)
    return {kind: (row[0], row[1], row[2]) for kind, row in counts.items()}


def off_target(lines: list[Line], mentions: list[list[Mention]], n: int) -> Counter[str]:
    """The most frequent mentions that overlap no annotated entity."""
    missed: Counter[str] = Counter()
    for line, found in zip(lines, mentions, strict=True):
        for m in found:
            if not any(_overlaps(m, e) for e in line.entities):
                missed[f"{line.text[m[0] : m[1]].lower()} ({m[2]})"] += 1
    return Counter(dict(missed.most_common(n)))


def why_missed(
    lines: list[Line], parsed: list[list[Mention]], matched: list[list[Mention]], criteria: list[Criterion]
) -> dict[str, Counter[str]]:
    """Per entity type: why the entities no parser mention overlaps were missed (where they are in the IR)."""
    reasons: dict[str, Counter[str]] = {kind: Counter() for kind in TYPES}
    for line, found, layer, criterion in zip(lines, parsed, matched, criteria, strict=True):
        for entity in line.entities:
            if entity.kind not in TYPES or any(_overlaps(m, entity) for m in found):
                continue
            if not any(_overlaps(m, entity) for m in layer):
                reasons[entity.kind]["not matched by the layer either"] += 1
                continue
            reasons[entity.kind][_where(criterion, entity)] += 1
    return reasons


def _where(criterion: Criterion, entity: Entity) -> str:
    """Where an entity is in the IR: the first leaf overlapping it, and whether it is the condition of an "if";
    else the reader that took its words (the builder's claims)."""
    stack: list[tuple[Node, bool]] = [(criterion.expression, False)]
    while stack:
        node, condition = stack.pop()
        if isinstance(node, Conditional):
            stack.append((node.then, condition))
            if node.otherwise is not None:
                stack.append((node.otherwise, condition))
            stack.append((node.when, True))
            continue
        children = children_of(node)
        if children:
            stack.extend((child, condition) for child in reversed(children))
            continue
        if not any(node.span.start < b and a < node.span.end for a, b in entity.fragments):
            continue
        return ("if-condition: " if condition else "") + _leaf_reason(node)
    for claim in criterion.claims:
        if any(claim.span.start < b and a < claim.span.end for a, b in entity.fragments):
            return f"in no node: taken by reader {claim.reader!r} as {claim.role!r}"
    return "in no node, no reader took it"


def _leaf_reason(node: Node) -> str:
    if isinstance(node, Unparsed):
        for cue, label in _UNPARSED_REASONS:
            if cue in node.reason:
                return label
        return "unparsed: " + node.reason[:40]
    if isinstance(node, Presence):
        return "a presence with no id" if node.concept.id is None else "a presence's qualifiers or definition"
    if isinstance(node, NotComputable):
        return "not-computable text"
    return f"a {node.kind} (variable or words around a threshold)"


_UNPARSED_REASONS = (
    ("exception", "unparsed: exception text"),
    ("permission", "unparsed: permission text"),
    ("words not understood", "unparsed: leftover words"),
    ("no variable, threshold or condition", "unparsed: the whole clause"),
)


def synthea(folder: Path) -> dict[str, tuple[int, int, int, int]]:
    """Per resource type: (entries, id from the lexicon's codes, id from the terminology's codes, id by display)."""
    lexicon, layer = load_lexicon(), load_terminology()
    counts: dict[str, list[int]] = {"Condition": [0, 0, 0, 0], "MedicationRequest": [0, 0, 0, 0]}
    for path in sorted(folder.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")).get("entry", []):
            resource = entry.get("resource", {})
            row = counts.get(resource.get("resourceType", ""))
            concept = resource.get("code") or resource.get("medicationCodeableConcept")
            if row is None or not concept:
                continue
            codings = concept.get("coding", [])
            row[0] += 1
            by_lexicon = any(lexicon.concepts_for_code(c.get("system", ""), c.get("code", "")) for c in codings)
            by_code = any(layer.concepts_for_code(c.get("system", ""), c.get("code", "")) for c in codings)
            display = concept.get("text") or next((c.get("display") for c in codings if c.get("display")), "")
            row[1] += by_lexicon
            row[2] += by_code
            row[3] += by_code or layer.match_display(display) is not None
    return {kind: (row[0], row[1], row[2], row[3]) for kind, row in counts.items()}


def _share(part: int, whole: int) -> str:
    return f"{part / whole:6.1%}" if whole else "     -"


def report(lines: list[Line], systems: dict[str, list[list[Mention]]], broader: Counter[str]) -> None:
    scores = {name: score(lines, mentions) for name, mentions in systems.items()}
    print(f"Chia: {len(lines)} lines; recall = entity occurrences overlapped by a mention with an id")
    print(f"{'type':12s} {'n':>6s}  " + "  ".join(f"{name:>18s}" for name in SYSTEMS) + "   (recall / exact span)")
    for kind in TYPES:
        n = scores["parser"][kind][0]
        cells = [f"{_share(scores[s][kind][1], n)} / {_share(scores[s][kind][2], n)}" for s in SYSTEMS]
        print(f"{kind:12s} {n:6d}  " + "  ".join(f"{cell:>18s}" for cell in cells))
    cells = [
        f"{_share(scores[s]['mentions'][1], scores[s]['mentions'][0])} of {scores[s]['mentions'][0]}" for s in SYSTEMS
    ]
    print(f"{'precision':12s} {'':6s}  " + "  ".join(f"{cell:>18s}" for cell in cells) + "   (on target)")
    total = sum(broader.values())
    print(f"terminology mentions broader than the text: {_share(broader['broader'], total)} of {total}")


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--limit", type=int, default=None, help="read only the first FILES text files")
    arguments.add_argument("--errors", type=int, default=0, help="print the N most frequent off-target mentions")
    arguments.add_argument("--why", action="store_true", help="break the parser's missed entities down by why")
    options = arguments.parse_args()
    shared = shared_dir()
    if shared is None or not (shared / "corpora" / "chia").is_dir():
        print("skipped: ../shared/corpora/chia not found (set CRITERIA_NLP_SHARED)")
        return 0
    lines = chia_lines(shared / "corpora" / "chia", options.limit)
    started = time.perf_counter()
    parsed, criteria = parser_mentions(lines)
    parsing = time.perf_counter() - started
    started = time.perf_counter()
    load_terminology()
    loading = time.perf_counter() - started
    started = time.perf_counter()
    matched, broader = terminology_mentions(lines)
    matching = time.perf_counter() - started
    both = [a + b for a, b in zip(parsed, matched, strict=True)]
    report(lines, {"parser": parsed, "terminology": matched, "both": both}, broader)
    print(f"time: parse {parsing:.1f} s, terminology load {loading:.2f} s, match {matching:.1f} s")
    if options.errors:
        for name, mentions in (("terminology", matched), ("parser", parsed)):
            print(f"\n{name}: most frequent off-target mentions")
            for text, count in off_target(lines, mentions, options.errors).items():
                print(f"  {count:4d}  {text}")
    if options.why:
        print("\nmissed by the parser, by where the entity is in the IR (share of the type's occurrences)")
        for kind, reasons in why_missed(lines, parsed, matched, criteria).items():
            n = sum(1 for line in lines for e in line.entities if e.kind == kind)
            print(f"{kind}:")
            for reason, count in reasons.most_common():
                print(f"  {count:5d} {_share(count, n)}  {reason}")
    fhir = shared / "fhir" / "synthea-r4"
    if fhir.is_dir():
        print("\nSynthea: entries with an id  (lexicon codes today | terminology codes | codes or display text)")
        for kind, (n, lexical, coded, any_id) in synthea(fhir).items():
            print(f"{kind:18s} {n:5d}  {_share(lexical, n)} | {_share(coded, n)} | {_share(any_id, n)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
