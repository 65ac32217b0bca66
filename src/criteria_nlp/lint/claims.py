"""The builder's ledger for the linter: the claims of each criterion, and how a document without them gets them.

A document parsed here carries its claims (``Criterion.claims``). A document loaded from JSON does not: claims are
parse-time data and are left out of the JSON. For such a document (criteria, none of them with a claim) the
linter parses the document's text again and takes each criterion's claims from the criterion of the new parse with
the same id, span and text. A criterion with no such twin (the JSON was edited, or written by another version) is
parsed on its own, its claims moved to its span in the document. A criterion whose span does not hold its text
gets no claims: rules that read claims find nothing on it (the reduced mode), rules that read only the IR are
unaffected.
"""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.ir import Claim, CriteriaDocument, Criterion, Span, span_at
from criteria_nlp.knowledge.lexicon import Lexicon, load_lexicon


def needs_claims(document: CriteriaDocument) -> bool:
    """Whether the document came without claims (loaded from JSON, or parsed with ``keep_claims=False``)."""
    return bool(document.criteria) and not any(criterion.claims for criterion in document.criteria)


def reparsed_claims(document: CriteriaDocument, lexicon: Lexicon | None = None) -> list[tuple[Claim, ...]]:
    """Each criterion's claims (in the document's order), from parsing its text again (see the module's docstring)."""
    from criteria_nlp.pipeline import CriteriaParser, default_parser

    custom = lexicon is not None and lexicon is not load_lexicon()
    parser = CriteriaParser(lexicon) if custom else default_parser()
    again = {c.id: c for c in parser.parse(document.text, source=document.source, claims=True).criteria}
    found: list[tuple[Claim, ...]] = []
    alone: dict[int, Criterion] = {}
    for position, criterion in enumerate(document.criteria):
        twin = again.get(criterion.id)
        if twin is not None and twin.span == criterion.span and twin.text == criterion.text:
            found.append(twin.claims)
            continue
        found.append(())
        if criterion.span.slice(document.text) == criterion.text:
            alone[position] = criterion
    records = [(c.id, c.text, c.section) for c in alone.values()]
    for (position, criterion), parsed in zip(alone.items(), parser.parse_many(records, claims=True), strict=True):
        found[position] = _moved(parsed.claims, criterion.span.start)
    return found


def _moved(claims: Sequence[Claim], offset: int) -> tuple[Claim, ...]:
    return tuple(
        Claim(span=span_at(c.span.start + offset, c.span.end + offset), reader=c.reader, role=c.role) for c in claims
    )


def claims_by_criterion(document: CriteriaDocument, lexicon: Lexicon | None = None) -> Sequence[tuple[Claim, ...]]:
    """Each criterion's claims, in the document's order: its own, or the fallback's when the document has none."""
    if needs_claims(document):
        return reparsed_claims(document, lexicon)
    return [criterion.claims for criterion in document.criteria]


def has_role(claim: Claim, role: str) -> bool:
    """``role`` names the claim's role, or its family: "cue" is "cue:condition", "cue:negation" ..."""
    return claim.role == role or (claim.role.startswith(role) and claim.role[len(role)] == ":")


def covers(claim: Claim, span: Span) -> bool:
    return claim.span.start <= span.start and span.end <= claim.span.end


__all__ = ["claims_by_criterion", "covers", "has_role", "needs_claims", "reparsed_claims"]
