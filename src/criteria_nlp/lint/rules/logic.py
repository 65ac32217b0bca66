"""Logic rules (``L…``): criteria that admit no patient, or the wrong ones, or say one thing twice."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from criteria_nlp.ir import (
    NEGATED_OPERATOR,
    Demographic,
    NotComputable,
    Operator,
    Presence,
    Range,
    ReferenceMultiple,
    Span,
    kind_of,
)
from criteria_nlp.ir.interval import Interval
from criteria_nlp.lint.bounds import Bound, bound_of, conflicting_side, is_point
from criteria_nlp.lint.context import CriterionContext, DocumentContext, Leaf, name_of
from criteria_nlp.lint.describe import short_name, symbol
from criteria_nlp.lint.model import Hit
from criteria_nlp.lint.registry import criterion_rule, document_rule

# --- L001, L002: organ-function tests on the wrong side of the normal limits ---------------------------------------

_OrganKey = tuple[str, int, int, str, float, str]  # rule id, span start and end, operator, factor, reference


def _organ_function(ctx: CriterionContext) -> frozenset[str]:
    found = set(ctx.words.organ_function_variables)
    for group_id in ctx.words.organ_function_groups:
        group = ctx.lexicon.groups.get(group_id)
        if group is not None:
            found.update(group.members)
    return frozenset(found)


def _allows_exceptions(ctx: CriterionContext) -> bool:
    """A reader took a permission or condition cue ("is acceptable", "if", "unless"), or an exception word is among
    the words the parser did not read: an abnormal value the criterion names may be the exception."""
    if ctx.claimed(role="cue:permission") or ctx.claimed(role="cue:condition"):
        return True
    return any(ctx.words.exception.search(span.slice(ctx.text)) for span in ctx.unread)


def _abnormal_side(ctx: CriterionContext) -> dict[_OrganKey, list[str]]:
    """Organ-function thresholds an inclusion requires abnormal (L001) or an exclusion removes normal (L002), with
    the short names of the tests each one applies to."""
    grouped: dict[_OrganKey, list[str]] = {}
    criterion = ctx.criterion
    if criterion.section not in ("inclusion", "exclusion"):
        return grouped
    organ_function: frozenset[str] | None = None
    for leaf in ctx.leaves:
        node = leaf.node
        if not isinstance(node, ReferenceMultiple) or leaf.condition:
            continue
        organ_function = organ_function or _organ_function(ctx)
        if node.variable.id not in organ_function:
            continue
        operator: Operator = NEGATED_OPERATOR[node.operator] if leaf.negated else node.operator
        above = operator in (">", ">=")
        if node.reference == "ULN":
            abnormal = above and (node.factor > 1 or (node.factor == 1 and operator == ">"))
            normal_side = (not above) and operator != "!=" and node.factor >= 1
        else:
            abnormal = (not above) and operator != "!=" and node.factor <= 1
            normal_side = above and node.factor <= 1
        if operator == "==":
            continue  # "= 2 × ULN" is almost always a lost "≥" (or "≤"): no direction to judge
        if criterion.section == "inclusion" and abnormal and not ctx.derived(_allows_exceptions):
            rule_id = "L001"
        elif criterion.section == "exclusion" and normal_side:
            rule_id = "L002"
        else:
            continue
        key = (rule_id, node.span.start, node.span.end, operator, node.factor, node.reference)
        grouped.setdefault(key, []).append(short_name(node.variable.id or "", ctx.lexicon))
    return grouped


def _abnormal_side_hits(ctx: CriterionContext, rule_id: str) -> Iterator[Hit]:
    for (found, start, end, written, factor, reference), names in ctx.derived(_abnormal_side).items():
        if found != rule_id:
            continue
        subject = " and ".join(dict.fromkeys(names))
        threshold = f"{symbol(written)} {factor:g} × {reference}"
        fixed = f"{symbol(NEGATED_OPERATOR[written])} {factor:g} × {reference}"
        suggestion = " and ".join(f"{name} {fixed}" for name in dict.fromkeys(names))
        if rule_id == "L001":
            message = (
                f"inclusion requires {subject} {threshold}, an abnormal value: only patients with impaired "
                "organ function would qualify, where exclusion is the usual intent"
            )
            suggestion += f" (or move '{subject} {threshold}' to the exclusion criteria)"
        else:
            message = (
                f"exclusion removes patients with {subject} {threshold}, which includes normal values, where "
                "inclusion is the usual intent"
            )
        yield ctx.hit(Span(start=start, end=end), message, suggestion)


@criterion_rule(
    "L001",
    "inclusion-requires-abnormal",
    "logic",
    "error",
    description="An inclusion criterion requires an organ-function test above a multiple of the upper limit of "
    "normal (or below the lower limit): patients are admitted only if the value is abnormal, where exclusion is "
    "the usual intent.",
    example="Inclusion: ALT > 2 × ULN",
    fix='Inclusion: ALT ≤ 2 × ULN (or move "ALT > 2 × ULN" to the exclusion criteria)',
)
def inclusion_requires_abnormal(ctx: CriterionContext) -> Iterator[Hit]:
    return _abnormal_side_hits(ctx, "L001")


@criterion_rule(
    "L002",
    "exclusion-removes-normal",
    "logic",
    "error",
    description="An exclusion criterion removes patients whose organ-function test is within a multiple of the "
    "normal limits, where inclusion is the usual intent.",
    example="Exclusion: total bilirubin ≤ 1.5 × ULN",
    fix="Exclusion: total bilirubin > 1.5 × ULN",
)
def exclusion_removes_normal(ctx: CriterionContext) -> Iterator[Hit]:
    return _abnormal_side_hits(ctx, "L002")


# --- L003: a condition required absent and excluded again -----------------------------------------------------------


def _qualifier_words(text: str, qualifiers: frozenset[str]) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w in qualifiers}


def _with_qualifiers(node: Presence, text: str) -> str:
    written = node.concept.span.slice(text)
    missing = [q for q in node.concept.qualifiers if q.replace("_", " ") not in written.lower()]
    return " ".join([*missing, written])


def _bare(text: str, qualifiers: frozenset[str]) -> str:
    return " ".join(w for w in text.split() if w.lower() not in qualifiers) or text


def _presences(criteria: Sequence[CriterionContext], negated: bool) -> dict[str, tuple[CriterionContext, Presence]]:
    """The first required (conjunct) presence, or absence when ``negated``, of each concept."""
    found: dict[str, tuple[CriterionContext, Presence]] = {}
    for ctx in criteria:
        for leaf in ctx.leaves:
            node = leaf.node
            if isinstance(node, Presence) and leaf.negated == negated and leaf.conjunct and node.concept.id:
                found.setdefault(node.concept.id, (ctx, node))
    return found


@document_rule(
    "L003",
    "redundant-exclusion",
    "logic",
    "warning",
    description="The same condition is required absent in an inclusion criterion and listed again in an exclusion "
    "criterion.",
    example="Inclusion: No serious infection / Exclusion: SLE with severe infection",
    fix="State the condition once, as an exclusion criterion, with one qualifier.",
)
def redundant_exclusion(ctx: DocumentContext) -> Iterator[Hit]:
    absent = _presences(ctx.section("inclusion"), negated=True)
    if not absent:
        return
    qualifiers = ctx.words.qualifiers
    for exclusion in ctx.section("exclusion"):
        criterion = exclusion.criterion
        for leaf in exclusion.leaves:
            node = leaf.node
            if not isinstance(node, Presence) or leaf.negated or leaf.condition or node.concept.id not in absent:
                continue
            inclusion, inclusion_node = absent[node.concept.id]
            excluded_words = _with_qualifiers(node, ctx.text)
            absent_words = _with_qualifiers(inclusion_node, ctx.text)
            differently = _qualifier_words(absent_words, qualifiers) != _qualifier_words(excluded_words, qualifiers)
            yield inclusion.hit(
                inclusion_node.span,
                f"{name_of(inclusion.criterion)} requires no {absent_words!r}, and "
                f"{name_of(criterion)} excludes {excluded_words!r} again: the same condition is stated twice"
                + (" with different qualifiers" if differently else ""),
                f"keep it once, as an exclusion criterion with one definition (e.g. "
                f"'{_bare(excluded_words, qualifiers)} requiring systemic treatment'), and drop it from the inclusion "
                "criteria",
                related=[(criterion, node.span, f"{name_of(criterion)}: {excluded_words!r}")],
            )


# --- L004, L006: criteria that contradict or overlap each other ----------------------------------------------------


def _contradictory_presence(ctx: DocumentContext) -> Iterator[Hit]:
    required = _presences(ctx.section("inclusion"), negated=False)
    for exclusion in ctx.section("exclusion"):
        criterion = exclusion.criterion
        for leaf in exclusion.leaves:
            node = leaf.node
            if not isinstance(node, Presence) or leaf.negated or not leaf.disjunct or node.concept.id not in required:
                continue
            inclusion, inclusion_node = required[node.concept.id]
            if node.window is not None or not set(node.concept.qualifiers) <= set(inclusion_node.concept.qualifiers):
                continue  # the exclusion narrows the condition: not a contradiction
            if ctx.words.purpose_before.search(ctx.text, criterion.span.start, node.concept.span.start):
                continue  # "therapy for asthma": the condition is the purpose of a treatment
            other = inclusion.criterion
            yield exclusion.hit(
                node.span,
                f"{name_of(criterion)} excludes {node.concept.span.slice(ctx.text)!r}, which "
                f"{name_of(other)} requires: no patient can be eligible",
                related=[(other, inclusion_node.span, f"{name_of(other)} requires it")],
            )


def _section_bounds(ctx: DocumentContext, section: str) -> dict[str, list[Bound]]:
    """Inclusion: the single-interval bounds every eligible patient must meet (points left out); exclusion: the
    bounds that exclude a patient on their own."""
    found: dict[str, list[Bound]] = {}
    for criterion in ctx.section("inclusion" if section == "inclusion" else "exclusion"):
        for leaf in criterion.leaves:
            if leaf.condition or not (leaf.conjunct if section == "inclusion" else leaf.disjunct):
                continue
            bound = bound_of(leaf, criterion.criterion, ctx.lexicon)
            if bound is None:
                continue
            if section == "inclusion" and (len(bound.intervals) != 1 or is_point(bound.intervals[0])):
                continue
            found.setdefault(bound.key, []).append(bound)
    return found


def _required_bounds(ctx: DocumentContext) -> dict[str, list[Bound]]:
    return _section_bounds(ctx, "inclusion")


def _inclusion_steps(bounds: Sequence[Bound]) -> Iterator[tuple[Bound, Bound, Interval, Interval]]:
    """Walk one variable's inclusion bounds in order: at each bound from another criterion than the one before,
    (the bound, the bound before, what the criteria before admit, what they admit together with it)."""
    effective = bounds[0].intervals[0]
    for index, bound in enumerate(bounds[1:], start=1):
        interval = bound.intervals[0]
        previous = bounds[index - 1]
        if bound.criterion.id == previous.criterion.id:
            effective = effective.intersect(interval)
            continue
        combined = effective.intersect(interval)
        yield bound, previous, effective, combined
        effective = combined


def _contradictory_bounds(ctx: DocumentContext) -> Iterator[Hit]:
    required = ctx.derived(_required_bounds)
    for bounds in required.values():
        for bound, previous, effective, combined in _inclusion_steps(bounds):
            if combined.is_empty():
                yield Hit(
                    bound.criterion,
                    bound.node.span,
                    f"{name_of(bound.criterion)} ({bound.intervals[0].describe(bound.unit)}) and "
                    f"{name_of(previous.criterion)} ({effective.describe(bound.unit)}) admit no common value",
                    related=((previous.criterion, previous.node.span, name_of(previous.criterion)),),
                )
    excluded = _section_bounds(ctx, "exclusion")
    for key, bounds in required.items():
        if key not in excluded:
            continue
        effective = bounds[0].intervals[0]
        for bound in bounds[1:]:
            effective = effective.intersect(bound.intervals[0])
        if effective.is_empty():
            continue
        removers = excluded[key]
        if not effective.covered_by([interval for remover in removers for interval in remover.intervals]):
            continue
        culprits = [r for r in removers if any(i.overlaps(effective) for i in r.intervals)]
        first = culprits[0] if culprits else removers[0]
        yield Hit(
            first.criterion,
            first.node.span,
            f"the inclusion criteria admit {key} {effective.describe(first.unit)}, and "
            + ", ".join(f"{name_of(r.criterion)}" for r in culprits)
            + " exclude every such value: no patient can be eligible",
            related=tuple((b.criterion, b.node.span, f"{name_of(b.criterion)} requires it") for b in bounds),
        )


@document_rule(
    "L004",
    "contradictory-criteria",
    "logic",
    "error",
    description="Two criteria contradict each other: no patient can meet the inclusion criteria without being "
    "excluded (or two inclusion criteria admit no common value).",
    example="Inclusion: Age 14 to 60 years / Exclusion: Age > 12 years",
)
def contradictory_criteria(ctx: DocumentContext) -> Iterator[Hit]:
    yield from _contradictory_presence(ctx)
    yield from _contradictory_bounds(ctx)


# --- L005, L006 within one criterion: bounds on one variable --------------------------------------------------------


def _alternative_pairs(ctx: CriterionContext) -> list[tuple[Bound, Bound, bool]]:
    """Pairs of alternatives ("or" children of one node) bounding one variable, each with whether the author
    joined them with "and" although they admit no common value (then one of them is probably a typo)."""
    pairs: list[tuple[Bound, Bound, bool]] = []
    words = ctx.words
    for node in ctx.nodes:
        kind = kind_of(node)
        if kind.roles is None:
            continue
        alternatives: dict[str, list[Bound]] = {}
        for child, role in zip(kind.children(node), kind.roles(node), strict=True):
            if role == "or":
                bound = bound_of(Leaf(child, False, False, True, False), ctx.criterion, ctx.lexicon)
                if bound is not None:
                    alternatives.setdefault(bound.key, []).append(bound)
        for bounds in alternatives.values():
            for i, first in enumerate(bounds):
                for second in bounds[i + 1 :]:
                    between = first.node.span.cover(second.node.span).slice(ctx.text)
                    typo = bool(
                        words.and_word.search(between)
                        and not words.or_word.search(between)
                        and first.intervals[0].intersect(second.intervals[0]).is_empty()
                    )
                    pairs.append((first, second, typo))
    return pairs


def _empty_conjunctions(ctx: CriterionContext) -> Iterator[Hit]:
    required: dict[str, list[Bound]] = {}
    for leaf in ctx.leaves:
        if not leaf.conjunct or leaf.condition:
            continue
        bound = bound_of(leaf, ctx.criterion, ctx.lexicon)
        if bound is not None and len(bound.intervals) == 1:
            required.setdefault(bound.key, []).append(bound)
    for bounds in required.values():
        if len(bounds) < 2:
            continue
        combined = bounds[0].intervals[0]
        for bound in bounds[1:]:
            combined = combined.intersect(bound.intervals[0])
        joined_by_or = ctx.words.or_word.search(
            ctx.text, min(b.node.span.start for b in bounds), max(b.node.span.end for b in bounds)
        )
        if (
            combined.is_empty()
            and joined_by_or is None  # the parser read an "or" as "and": not the author's mistake
            and not any(b.node.kind == "range" and b.intervals[0].is_empty() for b in bounds)
        ):
            span = bounds[0].node.span.cover(bounds[-1].node.span)
            yield ctx.hit(span, "these bounds on one variable together admit no value")


@criterion_rule(
    "L005",
    "empty-range",
    "logic",
    "error",
    description="A range or a conjunction of thresholds on one variable that no value can meet.",
    example="Hemoglobin > 10 g/dL and < 8 g/dL",
)
def empty_range(ctx: CriterionContext) -> Iterator[Hit]:
    for diagnostic in ctx.criterion.diagnostics:
        if diagnostic.code == "range-empty":
            yield ctx.hit(diagnostic.span, "the range admits no value: its low end lies above its high end")
    yield from _empty_conjunctions(ctx)
    for first, second, typo in ctx.derived(_alternative_pairs):
        if typo:
            # "Platelets ≥ 100 and ≤ 50 × 10^9/L": the parser reads such bounds as alternatives, but the author
            # wrote "and": one of them is probably a typo
            yield ctx.hit(
                first.node.span.cover(second.node.span),
                "these bounds joined by 'and' admit no value together; they were read as alternatives",
            )


def _overlapping_alternatives(ctx: CriterionContext) -> Iterator[Hit]:
    for first, second, typo in ctx.derived(_alternative_pairs):
        if not typo and first.intervals[0].overlaps(second.intervals[0]):
            yield ctx.hit(
                first.node.span.cover(second.node.span),
                f"the alternatives overlap: {first.intervals[0].describe(first.unit)} "
                f"or {second.intervals[0].describe(second.unit)}",
            )


def _overlapping_inclusions(ctx: DocumentContext) -> Iterator[Hit]:
    for key, bounds in ctx.derived(_required_bounds).items():
        for bound, previous, effective, combined in _inclusion_steps(bounds):
            interval = bound.intervals[0]
            if combined.is_empty() or not conflicting_side(effective, interval):
                continue
            yield Hit(
                bound.criterion,
                bound.node.span,
                f"{name_of(bound.criterion)} ({interval.describe(bound.unit)}) and "
                f"{name_of(previous.criterion)} ({effective.describe(bound.unit)}) bound {key} "
                f"on the same side; together they mean {combined.describe(bound.unit)}",
                f"state one range: {combined.describe(bound.unit)}",
                related=((previous.criterion, previous.node.span, name_of(previous.criterion)),),
            )


@document_rule(
    "L006",
    "overlapping-ranges",
    "logic",
    "warning",
    description="Bounds on one variable that overlap: alternatives that overlap, or two inclusion criteria that set "
    "the same bound differently.",
    example="Inclusion: Age ≥ 18 years / Inclusion: Age ≥ 21 years",
)
def overlapping_ranges(ctx: DocumentContext) -> Iterator[Hit]:
    for criterion in ctx.criteria:
        yield from _overlapping_alternatives(criterion)
    yield from _overlapping_inclusions(ctx)


@criterion_rule(
    "L007",
    "range-reversed",
    "logic",
    "warning",
    description="A range written from the high to the low end; it was read as the interval between them.",
    example="Age 60 to 14 years",
    fix="Age 14 to 60 years",
)
def range_reversed(ctx: CriterionContext) -> Iterator[Hit]:
    for node in ctx.nodes:
        if isinstance(node, Range) and node.low is not None and node.high is not None:
            low, high = node.low.value, node.high.value
        elif isinstance(node, Demographic) and node.low is not None and node.high is not None:
            low, high = node.low, node.high
        else:
            continue
        if low == high:
            continue
        numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", node.span.slice(ctx.text))]
        try:
            first_high = numbers.index(high)
            first_low = numbers.index(low)
        except ValueError:
            continue
        if first_high < first_low:
            yield ctx.hit(
                node.span,
                f"the range is written from {high:g} down to {low:g}; it was read as {low:g} to {high:g}",
                f"{low:g} to {high:g}",
            )


@criterion_rule(
    "L008",
    "not-decidable",
    "logic",
    "info",
    description="A criterion that no patient data can decide (consent, willingness, administrative, judgement); "
    "counted separately in the score, not as an error.",
    example="Willingness to sign a written informed consent document",
)
def not_decidable(ctx: CriterionContext) -> Iterator[Hit]:
    for leaf in ctx.leaves:
        if isinstance(leaf.node, NotComputable):
            yield ctx.hit(
                leaf.node.span,
                f"no patient data can decide this ({leaf.node.category}); it is counted separately, "
                "and checked by the study team",
            )
