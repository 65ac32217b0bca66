"""Not-understood rules (``N…``): the exact spans the parser did not understand, and why."""

from __future__ import annotations

from collections.abc import Iterator

from criteria_nlp.check.guard import DIAGNOSTIC as GUARD_DIAGNOSTIC
from criteria_nlp.lint.context import CriterionContext, DocumentContext
from criteria_nlp.lint.model import Hit
from criteria_nlp.lint.registry import criterion_rule, document_rule
from criteria_nlp.lint.rules.ambiguity import unknown_unit_starts

# how the builder's "not-understood" diagnostic begins when it is about unknown words (not a whole criterion)
_WORDS_NOT_UNDERSTOOD = "words not understood"


@criterion_rule(
    "N001",
    "unknown-term",
    "not-understood",
    "warning",
    description="Words the parser did not understand inside an otherwise understood criterion (unknown term).",
    example="Patients with allergic constitution",
)
def unknown_term(ctx: CriterionContext) -> Iterator[Hit]:
    for diagnostic in ctx.criterion.diagnostics:
        if diagnostic.code != "not-understood" or not diagnostic.message.startswith(_WORDS_NOT_UNDERSTOOD):
            continue
        span = diagnostic.span
        if any(span.start <= s < span.end for s in ctx.derived(unknown_unit_starts)):
            continue  # reported as an unknown unit (A007)
        yield ctx.hit(span, f"not understood: {span.slice(ctx.text)!r} (unknown term)")


@criterion_rule(
    "N002",
    "criterion-not-understood",
    "not-understood",
    "warning",
    description="A criterion of which no variable, threshold or condition was recognised.",
    example="At least one measurable lesion per RECIST v1.1",
)
def criterion_not_understood(ctx: CriterionContext) -> Iterator[Hit]:
    for diagnostic in ctx.criterion.diagnostics:
        if diagnostic.code == "not-understood" and not diagnostic.message.startswith(_WORDS_NOT_UNDERSTOOD):
            yield ctx.hit(diagnostic.span, f"not understood: {diagnostic.message}")
        elif diagnostic.code == "too-long":
            yield ctx.hit(diagnostic.span, diagnostic.message)


@criterion_rule(
    "N003",
    "unparsable-structure",
    "not-understood",
    "warning",
    description="Text that does not fit the threshold grammar (unparsable structure).",
    example="Platelets ≥ ≥ 100",
)
def unparsable_structure(ctx: CriterionContext) -> Iterator[Hit]:
    for diagnostic in ctx.criterion.diagnostics:
        if diagnostic.code == "syntax":
            yield ctx.hit(diagnostic.span, f"unparsable structure: {diagnostic.message}")


@document_rule(
    "N004",
    "no-criteria",
    "not-understood",
    "error",
    description="The text holds no eligibility criteria the segmenter could find.",
    example="(an empty file)",
)
def no_criteria(ctx: DocumentContext) -> Iterator[Hit]:
    for diagnostic in ctx.document.diagnostics:
        if diagnostic.code == "no-criteria":
            yield Hit(None, diagnostic.span, diagnostic.message)


@document_rule(
    "N005",
    "unknown-section-header",
    "not-understood",
    "warning",
    description="A line that looks like a section header but names no section; the criteria under it are never "
    "decided.",
    example="Key criteria:",
    fix="Exclusion Criteria:",
)
def unknown_section_header(ctx: DocumentContext) -> Iterator[Hit]:
    for diagnostic in ctx.document.diagnostics:
        if diagnostic.code == "unknown-header":
            yield Hit(None, diagnostic.span, diagnostic.message)


@criterion_rule(
    "N006",
    "meaning-not-read",
    "not-understood",
    "warning",
    description="A partial reading whose unread words hold a cue that may change its meaning (an exception, a "
    'condition, a qualifier, a relative clause: "unless", "only if", "other than", "without"): the criterion is '
    "unknown for every patient.",
    example="Hypertension provided that it is uncontrolled",
    fix="state the exception or condition in words the parser reads (a threshold, a named condition or treatment), "
    "or as a criterion of its own",
)
def meaning_not_read(ctx: CriterionContext) -> Iterator[Hit]:
    for diagnostic in ctx.criterion.diagnostics:
        if diagnostic.code == GUARD_DIAGNOSTIC:
            expected = f"expected: {diagnostic.suggestion}" if diagnostic.suggestion else None
            yield ctx.hit(diagnostic.span, diagnostic.message, expected)
