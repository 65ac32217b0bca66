"""Ambiguity rules (``A…``): what a reader (or a screening system) could take more than one way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from criteria_nlp.check.bare import BARE_DIAGNOSTIC
from criteria_nlp.check.guard import is_guard
from criteria_nlp.ir import Comparison, Conditional, Presence, Range, ReferenceMultiple, Span, VariableRef, render
from criteria_nlp.lint.context import CriterionContext
from criteria_nlp.lint.describe import short_name, threshold_text
from criteria_nlp.lint.model import Hit
from criteria_nlp.lint.registry import criterion_rule

_UNIT_TOKEN = re.compile(r"\s*([^\s,;()\[\]]+(?:\s*/\s*[^\s,;()\[\]]+)*)")


@dataclass(frozen=True)
class UnknownUnit:
    """A threshold read without a unit where the next word looks like a misspelt unit ("1.5 mgs/dL")."""

    threshold_start: int
    value: float  # the threshold's number
    span: Span  # the word
    token: str
    suggestion: str


@lru_cache(maxsize=4096)
def _suggest_units(token: str) -> list[str]:
    from criteria_nlp.knowledge import units  # pint loads when a rule runs, not when a stored report is rendered

    return units.suggest_units(token)


def unknown_units(ctx: CriterionContext) -> tuple[UnknownUnit, ...]:
    """Shared by A007 (reported) and A001, N001 (not reported again on the same place)."""
    from criteria_nlp.knowledge import units  # pint loads when a rule runs, not when a stored report is rendered

    found: list[UnknownUnit] = []
    for node in ctx.nodes:
        if not isinstance(node, Comparison | Range):
            continue
        quantity = node.quantity if isinstance(node, Comparison) else (node.high or node.low)
        if quantity is None or quantity.unit is not None:
            continue
        match = _UNIT_TOKEN.match(ctx.text, node.span.end, ctx.criterion.span.end)
        if match is None:
            continue
        token = match.group(1).rstrip(".")
        if not token or token[0].isdigit() or units.is_unit(token):
            continue
        suggestions = _suggest_units(token)
        looks_like_unit = "/" in token or any(
            token.lower().startswith(s.lower()[:2]) and len(token) <= len(s) + 2 for s in suggestions
        )
        if not suggestions or not looks_like_unit:
            continue
        span = Span(start=match.start(1), end=match.start(1) + len(token))
        found.append(UnknownUnit(node.span.start, quantity.value, span, token, suggestions[0]))
    return tuple(found)


def unknown_unit_starts(ctx: CriterionContext) -> set[int]:
    """Where the thresholds and the words of :func:`unknown_units` start."""
    return {start for u in ctx.derived(unknown_units) for start in (u.threshold_start, u.span.start)}


@criterion_rule(
    "A001",
    "unit-missing",
    "ambiguity",
    "warning",
    description="A threshold has no unit although its variable is measured in one.",
    example="Hemoglobin ≥ 9",
    fix="Hemoglobin ≥ 9 g/dL",
)
def unit_missing(ctx: CriterionContext) -> Iterator[Hit]:
    for diagnostic in ctx.criterion.diagnostics:
        if diagnostic.code == "unit-missing" and diagnostic.span.start not in ctx.derived(unknown_unit_starts):
            yield ctx.hit(diagnostic.span, diagnostic.message, diagnostic.suggestion)


@criterion_rule(
    "A002",
    "group-term",
    "ambiguity",
    "warning",
    description="A group term stands for several variables and leaves open whether all of them or any one must "
    'meet the threshold ("transaminase" = ALT and/or AST).',
    example="Transaminases ≤ 2.5 × ULN",
    fix="ALT ≤ 2.5 × ULN and AST ≤ 2.5 × ULN",
)
def group_term(ctx: CriterionContext) -> Iterator[Hit]:
    by_mention: dict[tuple[int, int], list[VariableRef]] = {}
    thresholds: dict[tuple[int, int], str] = {}
    for leaf in ctx.leaves:
        node = leaf.node
        if isinstance(node, Comparison | Range | ReferenceMultiple) and node.variable.group:
            key = (node.variable.span.start, node.variable.span.end)
            by_mention.setdefault(key, []).append(node.variable)
            thresholds.setdefault(key, threshold_text(node))
    lexicon = ctx.lexicon
    for (start, end), refs in by_mention.items():
        mention = refs[0].mention
        group = lexicon.lookup(refs[0].group or mention)
        # a pair read where its readings agree holds each member twice (in all(a, b) and any(a, b)): once each
        members = list(dict.fromkeys(r.id for r in refs if r.id)) or (
            list(lexicon.groups[group.id].members) if group and group.id in lexicon.groups else []
        )
        names = [short_name(m, lexicon) for m in members]
        if names and all(re.search(rf"\b{re.escape(n)}\b", mention) for n in names):
            continue  # the members are named ("ALT/AST"): nothing is left open
        threshold = thresholds[(start, end)]
        both = " and ".join(f"{n} {threshold}" for n in names)
        either = " or ".join(f"{n} {threshold}" for n in names)
        yield ctx.hit(
            Span(start=start, end=end),
            f"{mention!r} stands for {', '.join(names)}: must all of them meet the threshold, or any one? "
            f"(read as all)",
            f"{both}  (or, if any one suffices: {either})" if threshold else None,
        )


@criterion_rule(
    "A003",
    "normal-without-reference",
    "ambiguity",
    "warning",
    description='"Normal" or "abnormal" without a stated reference range or numeric limit.',
    example="Normal renal function",
    fix="Serum creatinine ≤ 1.5 × ULN (institutional reference range)",
)
def normal_without_reference(ctx: CriterionContext) -> Iterator[Hit]:
    local = ctx.criterion.text
    offset = ctx.criterion.span.start
    words = ctx.words
    for match in words.normal.finditer(local):
        if words.limit_of_normal.search(local, 0, match.start()):
            continue
        if words.stated_reference.search(local):
            continue
        yield ctx.hit(
            Span(start=offset + match.start(), end=offset + match.end()),
            f"{match.group(0)!r} has no stated reference: name the test and its limits",
            "state the limits, e.g. 'within the institutional reference range' or 'serum creatinine ≤ 1.5 × ULN'",
        )


@criterion_rule(
    "A004",
    "conditional-threshold",
    "ambiguity",
    "warning",
    description='A threshold that depends on a condition ("if", "unless", "for patients with"): a screening system '
    "needs the condition recorded, and the parser may not have captured it.",
    example="ALT ≤ 2.5 × ULN (≤ 5 × ULN if liver metastases are present)",
    fix="Split into one criterion per case, each stating its condition.",
)
def conditional_threshold(ctx: CriterionContext) -> Iterator[Hit]:
    # the guard around a partial reading is no condition of the author's (reported by N006)
    conditionals = [n for n in ctx.nodes if isinstance(n, Conditional) and not is_guard(n)]
    for node in conditionals:
        yield ctx.hit(
            node.span,
            f"the threshold depends on a condition ({render(node.when)}): a screening system needs it "
            "recorded for every patient; stating each case as its own criterion makes both explicit",
        )
    has_threshold = any(isinstance(n, Comparison | Range | ReferenceMultiple) for n in ctx.nodes)
    if conditionals or not has_threshold:
        return
    offset = ctx.criterion.span.start
    match = ctx.words.condition.search(ctx.criterion.text)
    if match is not None:
        yield ctx.hit(
            Span(start=offset + match.start(), end=offset + match.end()),
            f"{match.group(0)!r} makes a threshold conditional, but the condition was not captured: a screening "
            "system would apply the thresholds as if unconditional",
            "Write one criterion per case, e.g. 'ALT ≤ 5 × ULN in patients with liver metastases'",
        )


@criterion_rule(
    "A005",
    "vague-qualifier",
    "ambiguity",
    "warning",
    description="A vague qualifier (severe, serious, significant, uncontrolled, adequate...) without a definition.",
    example="Severe renal impairment",
    fix="Creatinine clearance < 30 mL/min (Cockcroft-Gault)",
)
def vague_qualifier(ctx: CriterionContext) -> Iterator[Hit]:
    local = ctx.criterion.text
    offset = ctx.criterion.span.start
    words = ctx.words
    hits: list[tuple[int, int, str, str]] = [
        (m.start(), m.end(), f"'{m.group(0)}'", m.group(0)) for m in words.vague.finditer(local)
    ]
    for diagnostic in ctx.criterion.diagnostics:
        if diagnostic.code == "misspelling" and diagnostic.suggestion in words.vague_spellings:
            written = diagnostic.span.slice(ctx.text)
            hits.append(
                (
                    diagnostic.span.start - offset,
                    diagnostic.span.end - offset,
                    f"'{written}' (read as '{diagnostic.suggestion}')",
                    diagnostic.suggestion or written,
                )
            )
    for start, end, shown, word in sorted(hits):
        if words.definition_after.match(local, end):
            continue
        yield ctx.hit(
            Span(start=offset + start, end=offset + end),
            f"{shown} is not defined: screening staff and systems may judge it differently",
            f"define it, e.g. '{word} (CTCAE grade ≥ 3)' or '{word} (requiring hospitalisation)'",
        )


@criterion_rule(
    "A006",
    "misspelling",
    "ambiguity",
    "warning",
    description="A misspelt clinical term or qualifier; the suggestion is the lexicon's spelling.",
    example="acute sever hepatitis",
    fix="acute severe hepatitis",
)
def misspelling(ctx: CriterionContext) -> Iterator[Hit]:
    for diagnostic in ctx.criterion.diagnostics:
        if diagnostic.code == "misspelling":
            word = diagnostic.span.slice(ctx.text)
            suggestion = diagnostic.suggestion
            yield ctx.hit(
                diagnostic.span,
                f"{word!r} is misspelt" + (f"; did you mean {suggestion!r}?" if suggestion else ""),
                suggestion,
            )


@criterion_rule(
    "A007",
    "unit-unknown",
    "ambiguity",
    "warning",
    description="A unit that is not known or is misspelt; the threshold was read without it.",
    example="Serum creatinine ≤ 1.5 mgs/dL",
    fix="Serum creatinine ≤ 1.5 mg/dL",
)
def unit_unknown(ctx: CriterionContext) -> Iterator[Hit]:
    for unknown in ctx.derived(unknown_units):
        yield ctx.hit(
            unknown.span,
            f"unknown unit {unknown.token!r}: the threshold {unknown.value:g} was read without a unit; "
            f"did you mean {unknown.suggestion!r}?",
            unknown.suggestion,
        )


@criterion_rule(
    "A008",
    "new-without-window",
    "ambiguity",
    "warning",
    description='"Newly diagnosed", "new onset" or "recent" without a time: no record can show how new a condition '
    "is, so every patient who has it goes to review.",
    example="Newly diagnosed hypertension",
    fix="Diagnosis of hypertension within the last 3 months",
)
def new_without_window(ctx: CriterionContext) -> Iterator[Hit]:
    from criteria_nlp.evaluate.qualifiers import new_qualifier  # the qualifiers' readings are the engine's data

    for node in ctx.nodes:
        if not isinstance(node, Presence) or node.window is not None:
            continue
        new = new_qualifier(node.concept.qualifiers)
        if new is None or new[1]:  # a default window in evaluation-qualifiers.tsv decides
            continue
        written = new[0].replace("_", " ")
        yield ctx.hit(
            node.span,
            f"{written!r} states no time: no record can show how new {node.concept.mention!r} is, so a patient who "
            "has it needs review; state the window",
            f"Diagnosis of {node.concept.mention} within the last 3 months",
        )


@criterion_rule(
    "A009",  # A008 is new-without-window on main (trust-known)
    "bare-value",
    "ambiguity",
    "warning",
    description="A value written with no comparator on a continuous variable: whether it is a lower or an upper "
    "limit was not written, so it decides no patient (read as an equality, it would clear every other value).",
    example="Systolic blood pressure 160 mmHg",
    fix="Systolic blood pressure ≥ 160 mmHg",
)
def bare_value(ctx: CriterionContext) -> Iterator[Hit]:
    for diagnostic in ctx.criterion.diagnostics:
        if diagnostic.code == BARE_DIAGNOSTIC:
            yield ctx.hit(diagnostic.span, diagnostic.message, diagnostic.suggestion)


@criterion_rule(
    "A010",
    "window-before-anchor",
    "ambiguity",
    "info",
    description='A time before an anchor with no "within" or "at least" ("6 months before enrollment"): read as the '
    "time up to the anchor (within 6 months), the common meaning; written so, it could also mean at least that long "
    "before.",
    example="Stroke 6 months before enrollment",
    fix="Stroke within 6 months before enrollment",
)
def window_before_anchor(ctx: CriterionContext) -> Iterator[Hit]:
    for node in ctx.nodes:
        window = node.window if isinstance(node, Presence) else None
        if window is None or window.anchor is None or window.min_ago is not None or window.max_ago is None:
            continue
        written = window.span.slice(ctx.text)
        if not written[:1].isdigit():
            continue  # "within 6 months before", "less than 6 months before": the comparator is written
        yield ctx.hit(
            window.span,
            f"{written!r} was read as within {window.max_ago} before {window.anchor}; write 'within' (or 'at least' "
            "if the time must have passed)",
            f"within {written}",
        )
