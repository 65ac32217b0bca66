"""The linter's view of the builder's ledger: claims in the rule context, and the fallback for a document that
comes without claims (loaded from JSON)."""

from __future__ import annotations

from criteria_nlp.ir import CriteriaDocument
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.lint import lint
from criteria_nlp.lint.claims import claims_by_criterion, needs_claims
from criteria_nlp.lint.context import DocumentContext
from criteria_nlp.lint.words import lint_words
from criteria_nlp.pipeline import CriteriaParser, default_parser

TEXT = (
    "Inclusion Criteria:\n"
    "1. ALT ≤ 2.5 × ULN (≤ 5 × ULN if liver metastases are present)\n"
    "2. Severe renal impairment is acceptable\n"
    "Exclusion Criteria:\n"
    "1. Clinically significant heart disease, unless treated\n"
)


def parsed(text: str) -> CriteriaDocument:
    """As the linter's callers parse: with the builder's claims (off by default for speed)."""
    return default_parser().parse(text, claims=True)


def _context(document: CriteriaDocument) -> DocumentContext:
    return DocumentContext(document, load_lexicon(), lint_words())


def _read(document: CriteriaDocument, position: int, role: str | None = None, reader: str | None = None) -> set[str]:
    ctx = _context(document).criteria[position]
    return {claim.span.slice(document.text) for claim in ctx.claimed(role=role, reader=reader)}


def test_the_context_reads_the_claims_by_role_and_reader() -> None:
    document = parsed(TEXT)
    assert _read(document, 0, "cue:condition") == {"if"}
    assert _read(document, 0, "cue") == {"if"}  # a role's family
    assert {"ALT", "≤", "2.5"} <= _read(document, 0, reader="thresholds")
    assert _read(document, 0, "comparator", "thresholds") == {"≤"}
    assert _read(document, 0, "comparator", "concepts") == set()


def test_unclaimed_words_are_the_words_no_reader_took() -> None:
    document = parsed("Inclusion Criteria:\n1. Multivessel disease with at least 2 known frobnications\n")
    (ctx,) = _context(document).criteria
    claimed = [claim.span for claim in ctx.claims]
    words = [span.slice(document.text) for span in ctx.unclaimed_words]
    assert "known" in words  # a qualifier cue that names no state: structural, so no reader takes it
    assert all(not (c.start < w.end and w.start < c.end) for w in ctx.unclaimed_words for c in claimed)


def test_a_document_from_json_gets_its_claims_by_parsing_again() -> None:
    document = parsed(TEXT)
    loaded = CriteriaDocument.model_validate_json(document.model_dump_json())
    assert needs_claims(loaded) and not needs_claims(document)
    assert list(claims_by_criterion(loaded)) == [c.claims for c in document.criteria]
    assert lint(loaded) == lint(document)


def test_a_document_parsed_without_claims_is_linted_like_one_with_them() -> None:
    document = CriteriaParser(keep_claims=False).parse(TEXT)
    assert needs_claims(document)
    assert lint(document) == lint(parsed(TEXT))


def test_an_edited_criterion_is_parsed_alone_and_its_claims_moved_to_its_span() -> None:
    document = parsed(TEXT)
    loaded = CriteriaDocument.model_validate_json(document.model_dump_json())
    renamed = tuple(c.model_copy(update={"id": f"edited-{c.id}"}) for c in loaded.criteria)
    edited = loaded.model_copy(update={"criteria": renamed})
    claims = claims_by_criterion(edited)
    for criterion, found in zip(document.criteria, claims, strict=True):
        assert found == criterion.claims
        assert all(criterion.span.start <= c.span.start and c.span.end <= criterion.span.end for c in found)


def test_a_criterion_whose_span_does_not_hold_its_text_gets_no_claims() -> None:
    document = parsed(TEXT)
    loaded = CriteriaDocument.model_validate_json(document.model_dump_json())
    first = loaded.criteria[0].model_copy(update={"id": "other", "text": "something else entirely"})
    moved = loaded.model_copy(update={"criteria": (first, *loaded.criteria[1:])})
    claims = claims_by_criterion(moved)
    assert claims[0] == () and claims[1] == document.criteria[1].claims
    lint(moved)  # the reduced mode: rules that read claims find nothing on it, the others run


def test_a_permission_between_thresholds_is_claimed_as_a_cue_and_l001_reads_it() -> None:
    text = (
        "Inclusion Criteria:\n"
        "1. ALT and bilirubin ≤ 1.5 × ULN (isolated bilirubin > 1.5 × ULN is acceptable if bilirubin is fractionated "
        "and direct bilirubin < 35%)\n"
    )
    document = parsed(text)
    assert _read(document, 0, "cue:permission", "thresholds") == {"is acceptable"}
    assert "L001" not in lint(document).rule_ids()


def test_l001_reads_an_exception_word_among_the_words_the_parser_did_not_read() -> None:
    document = parsed("Inclusion Criteria:\n1. ALT > 2.5 × ULN allowed with liver metastases\n")
    (ctx,) = _context(document).criteria
    assert "allowed" in {span.slice(document.text) for span in ctx.unread}
    assert "L001" not in lint(document).rule_ids()
    assert "L001" in lint(parsed("Inclusion Criteria:\n1. ALT > 2.5 × ULN\n")).rule_ids()
