"""Property-based tests (hypothesis): any text parses into a document whose spans lie inside the input.

Two text strategies: characters drawn from a broad alphabet weighted towards what criteria are made of
(comparators, digits, units, bullets, newlines), and sequences of real criteria fragments that reach deep into
the grammar (thresholds, ranges, reference multiples, negations, windows, section headers).
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from criteria_nlp.ir import CriteriaDocument
from criteria_nlp.pipeline import CriteriaParser
from criteria_nlp.text.format_chars import FORMAT_CHARS

SpanProblems = Callable[[CriteriaDocument], list[str]]

CRITERIA_CHARACTERS = (
    "<>=≥≤≦≧＞＜≠~–—-+±×x*^/%.,;:()[]{}\"' "  # comparators, ranges, multipliers, punctuation
    "0123456789"
    "µμ°²³⁹"
    "\n\n\n\t\r"
    "•·▪◦‣*-"
    "aeiolnrstuAEILNRSTU"
)

FRAGMENTS = (
    "Inclusion Criteria:",
    "Exclusion criteria",
    "Key exclusion criteria:",
    "any of the following:",
    "\n",
    "\n\n",
    "1.",
    "2)",
    "a.",
    "ii.",
    "-",
    "•",
    "*",
    "Age",
    "aged",
    "years",
    "or older",
    "ALT",
    "AST",
    "ALT/AST",
    "transaminases",
    "total bilirubin",
    "serum creatinine",
    "creatinine clearance",
    "HbA1c",
    "LVEF",
    "Hemoglobin",
    "platelets",
    "ECOG",
    "BMI",
    "QTc",
    "COVID-19",
    "≥",
    "≤",
    ">=",
    "<=",
    "<",
    ">",
    "=",
    "more than",
    "at least",
    "no less than",
    "not exceeding",
    "between",
    "and",
    "or",
    "to",
    "from",
    "up to",
    "above",
    "below",
    "0",
    "1",
    "1.5",
    "2.5",
    "18",
    "60",
    "100",
    "10^9/L",
    "×",
    "x",
    "times",
    "twice",
    "ULN",
    "LLN",
    "upper limit of normal",
    "mg/dL",
    "µmol/L",
    "g/L",
    "%",
    "mmHg",
    "mL/min/1.73 m²",
    "kg/m²",
    "U/L",
    "No",
    "not",
    "without",
    "history of",
    "active tuberculosis",
    "pregnancy",
    "breastfeeding",
    "hepatitis B",
    "HIV",
    "malignancy",
    "heart failure",
    "liver metastases",
    "if",
    "within",
    "6 months",
    "4 weeks",
    "prior to",
    "screening",
    "informed consent",
    "(",
    ")",
    ";",
    ",",
    ".",
    "~",
    "–",
)

broad_text = st.text(
    alphabet=st.one_of(st.sampled_from(CRITERIA_CHARACTERS), st.characters(exclude_categories=["Cs"])),
    max_size=300,
)
fragment_text = st.lists(
    st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(["", " ", " ", " ", "\n"])), max_size=60
).map(lambda parts: "".join(fragment + separator for fragment, separator in parts))
any_text = st.one_of(broad_text, fragment_text)

PROPERTY_SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same_text_but_cleaned(original: str, parsed: str) -> bool:
    """The parser may blank out control characters, but never moves or drops a character."""
    if len(original) != len(parsed):
        return False
    return all(a == b or (b == " " and not a.isprintable()) for a, b in zip(original, parsed, strict=True))


@PROPERTY_SETTINGS
@given(text=any_text)
def test_every_span_lies_inside_the_input(parser: CriteriaParser, span_problems: SpanProblems, text: str) -> None:
    document = parser.parse(text)
    assert same_text_but_cleaned(text, document.text)
    assert span_problems(document) == []
    for criterion in document.criteria:
        assert criterion.text == document.text[criterion.span.start : criterion.span.end]
    if not document.criteria:
        assert "no-criteria" in {diagnostic.code for diagnostic in document.diagnostics}


@PROPERTY_SETTINGS
@given(text=any_text)
def test_constraint_spans_lie_inside_the_input(parser: CriteriaParser, text: str) -> None:
    document = parser.parse(text)
    records = document.constraints()
    assert len(records) == len(document.criteria)
    for record in records:
        for constraint in record["constraints"]:
            start, end = constraint["span"]
            assert 0 <= start <= end <= len(text)


@PROPERTY_SETTINGS
@given(text=any_text)
def test_json_round_trip(parser: CriteriaParser, text: str) -> None:
    document = parser.parse(text)
    assert CriteriaDocument.model_validate_json(document.model_dump_json()) == document


@PROPERTY_SETTINGS
@given(text=any_text)
def test_parsing_is_deterministic(parser: CriteriaParser, text: str) -> None:
    first = parser.parse(text)
    second = parser.parse(text)
    assert first == second
    assert first.model_dump_json() == second.model_dump_json()


@PROPERTY_SETTINGS
@given(text=any_text, section=st.sampled_from(["inclusion", "exclusion", "unknown"]))
def test_single_criterion_spans_lie_inside_the_input(
    parser: CriteriaParser, span_problems: SpanProblems, text: str, section: str
) -> None:
    criterion = parser.parse_one(text, section=section, criterion_id="p")  # type: ignore[arg-type]
    assert criterion.id == "p"
    assert criterion.section == section
    # as the parser cleans: control characters become spaces, invisible format characters stay (spans map over them)
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t\r" or ch in FORMAT_CHARS else " " for ch in text)
    document = CriteriaDocument(text=cleaned, criteria=(criterion,))
    assert span_problems(document) == []
