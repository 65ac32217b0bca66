"""The document level of parse_criteria: ids, sections, and sub-lists of alternatives."""

from __future__ import annotations

from criteria_nlp.ir import Any_, Presence, walk
from criteria_nlp.pipeline import parse_criteria

ALTERNATIVES = """Inclusion Criteria:
- Age 40 to 80 years
- Established cardiovascular disease, defined as:
    • prior myocardial infarction, or
    • prior ischemic stroke, or
    • peripheral artery disease
- Body mass index 25 to 45 kg/m2
Exclusion Criteria:
- Any of the following:
    • pregnancy
    • active tuberculosis
"""


def test_sub_items_ending_in_or_become_one_criterion_met_by_any() -> None:
    document = parse_criteria(ALTERNATIVES)
    inclusion = document.section("inclusion")
    assert len(inclusion) == 3
    joined = inclusion[1]
    assert isinstance(joined.expression, Any_) and len(joined.expression.children) == 3
    assert joined.lead_in is not None and joined.lead_in.startswith("Established cardiovascular disease")
    assert document.text[joined.span.start : joined.span.end] == joined.text
    assert joined.text.startswith("prior myocardial infarction") and joined.text.endswith("peripheral artery disease")


def test_exclusion_sub_items_stay_separate() -> None:
    exclusion = parse_criteria(ALTERNATIVES).section("exclusion")
    assert [{n.concept.id for n in walk(c.expression) if isinstance(n, Presence)} for c in exclusion] == [
        {"pregnancy"},
        {"tuberculosis"},
    ]


def test_ids_follow_section_and_label() -> None:
    document = parse_criteria(
        "Inclusion Criteria:\n1. Age ≥ 18 years\n2. ECOG 0-1\nExclusion Criteria:\n1. Pregnancy\n"
    )
    assert [c.id for c in document.criteria] == ["inc-1", "inc-2", "exc-1"]
