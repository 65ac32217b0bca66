from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from criteria_nlp.resources import corpus_path, shared_dir
from criteria_nlp.text.segment import Segment, segment


def texts(segments: list[Segment]) -> list[str]:
    return [s.text for s in segments]


def assert_offsets(document: str, segments: list[Segment]) -> None:
    previous_end = 0
    for s in segments:
        assert 0 <= s.start < s.end <= len(document)
        assert s.text == document[s.start : s.end]
        assert s.text == s.text.strip()
        assert s.start >= previous_end, "segments are in document order and do not overlap"
        previous_end = s.end


# -- the bundled protocol ------------------------------------------------------------------------------------------

NCT03219801_INCLUSION = [
    "Diagnosis of SLE(Systemic lupus erythematosus) from American College of Rheumatology(ACR) according to "
    "established criteria in 1997",
    "Age from 14 to 60 years",
    "No serious infection or acute hemorrhage",
    "Left ventricular ejection fraction (LVEF)≥ 50%",
    "Both transaminase and serum creatinine level are more than twice times the upper limit of normal",
    "No acute infectious diseases.",
    "Understanding and willingness to sign a written informed consent document.",
]
NCT03219801_EXCLUSION = [
    "SLE(Systemic lupus erythematosus) with severe infection.",
    "Severe heart attack, liver and kidney disease following serious complications",
    "Patients with allergic constitution.",
    "Pregnancy and breastfeeding women.",
    "Accompanied by malignant tumors or other malignant disease",
    "Patients as participant in the other clinical text",
    "Patients with active tuberculosis, acute sever hepatitis or infectious period of diseases.",
]


def test_bundled_protocol_gives_seven_inclusion_and_seven_exclusion_criteria() -> None:
    document = corpus_path("trials", "NCT03219801.txt").read_text(encoding="utf-8")
    segments = segment(document)
    assert_offsets(document, segments)
    inclusion = [s for s in segments if s.section == "inclusion"]
    exclusion = [s for s in segments if s.section == "exclusion"]
    assert len(segments) == 14
    assert texts(inclusion) == NCT03219801_INCLUSION
    assert texts(exclusion) == NCT03219801_EXCLUSION
    assert [s.label for s in inclusion] == [str(n) for n in range(1, 8)]
    assert [s.label for s in exclusion] == [str(n) for n in range(1, 8)]
    assert all(s.lead_in is None for s in segments)


@pytest.mark.parametrize(
    ("name", "expected_count", "sub_labels"),
    [
        ("example-oncology.txt", 20, ["5.a", "5.b", "5.c", "5.d", "5.e", "5.f", "5.g"]),
        ("example-cardiometabolic.txt", 14, []),
        ("example-mixed.txt", 16, ["4.i", "4.ii", "4.iii"]),
    ],
)
def test_example_protocols(name: str, expected_count: int, sub_labels: list[str]) -> None:
    document = corpus_path("trials", name).read_text(encoding="utf-8")
    segments = segment(document)
    assert_offsets(document, segments)
    assert len(segments) == expected_count
    assert {s.section for s in segments} == {"inclusion", "exclusion"}
    assert [s.label for s in segments if s.label and "." in s.label] == sub_labels
    assert not any(s.text.rstrip().endswith(":") for s in segments), "lead-ins are not criteria"


def test_example_cardiometabolic_sub_list_and_wrapping() -> None:
    document = corpus_path("trials", "example-cardiometabolic.txt").read_text(encoding="utf-8")
    segments = segment(document)
    sub_items = [s for s in segments if s.lead_in is not None]
    assert [s.lead_in for s in sub_items] == ["Established atherosclerotic cardiovascular disease, defined as:"] * 3
    assert sub_items[0].text == "prior myocardial infarction more than 90 days before randomization, or"
    wrapped = [s for s in segments if "\n" in s.text]
    assert [s.section for s in wrapped] == ["inclusion", "exclusion"]
    assert (
        wrapped[1].text
        == "Heart failure NYHA class IV, or hospitalization for heart failure within the previous\n  3 months"
    )


# -- headers -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "section"),
    [
        ("Inclusion Criteria:", "inclusion"),
        ("INCLUSION CRITERIA", "inclusion"),
        ("Inclusion criteria", "inclusion"),
        ("Key inclusion criteria", "inclusion"),
        ("Key Inclusion Criteria:", "inclusion"),
        ("**Inclusion Criteria:**", "inclusion"),
        ("Inclusion:", "inclusion"),
        ("Criteria for inclusion:", "inclusion"),
        ("Eligibility criteria", "inclusion"),
        ("ELIGIBILITY CRITERIA:", "inclusion"),
        ("Patients are eligible if", "inclusion"),
        ("Subjects must meet all of the following inclusion criteria to be enrolled:", "inclusion"),
        ("Inclusion criteria for cohort A:", "inclusion"),
        ("Exclusion Criteria", "exclusion"),
        ("EXCLUSION CRITERIA:", "exclusion"),
        ("Main exclusion criteria:", "exclusion"),
        ("Key Exclusion Criteria", "exclusion"),
        ("Exclusions:", "exclusion"),
        ("Non-inclusion criteria:", "exclusion"),
        (
            "Patients with SLE have to be disqualified from this study if any of the following is applicable:",
            "exclusion",
        ),
        ("Subjects will be excluded if...", "exclusion"),
        ("Participants are not eligible if any of the following apply:", "exclusion"),
        ("Patients are eligible only if none of the following apply:", "exclusion"),
        ("Inclusion/Exclusion Criteria:", "unknown"),
    ],
)
def test_header_spellings(header: str, section: str) -> None:
    document = f"{header}\n  1. Age ≥ 18 years\n  2. Signed consent\n"
    segments = segment(document)
    assert texts(segments) == ["Age ≥ 18 years", "Signed consent"]
    assert [s.section for s in segments] == [section, section]
    assert [s.label for s in segments] == ["1", "2"]


def test_sections_switch() -> None:
    document = "Inclusion criteria:\n- Adults\nExclusion criteria:\n- Pregnancy\nInclusion:\n- Consent"
    assert [(s.section, s.text) for s in segment(document)] == [
        ("inclusion", "Adults"),
        ("exclusion", "Pregnancy"),
        ("inclusion", "Consent"),
    ]


def test_header_and_criterion_on_one_line() -> None:
    document = "Inclusion Criteria: Age ≥ 18\nExclusion criteria: 1. Pregnancy\n2. Active infection"
    segments = segment(document)
    assert_offsets(document, segments)
    assert [(s.section, s.label, s.text) for s in segments] == [
        ("inclusion", None, "Age ≥ 18"),
        ("exclusion", "1", "Pregnancy"),
        ("exclusion", "2", "Active infection"),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Inclusion in another clinical trial within 30 days",
        "Exclusion criteria of the previous study apply",
        "Patients previously included in this study",
        "Eligibility to immediate-release methylphenidate treatment",
        "Prior participation in this study",
    ],
)
def test_criteria_that_mention_inclusion_are_not_headers(line: str) -> None:
    document = f"Exclusion Criteria:\n{line}\nPregnancy"
    segments = segment(document)
    assert texts(segments) == [line, "Pregnancy"]
    assert {s.section for s in segments} == {"exclusion"}


# -- labels and bullets --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "labels"),
    [
        ("1.", "2.", ["1", "2"]),
        ("1)", "2)", ["1", "2"]),
        ("(1)", "(2)", ["1", "2"]),
        ("a.", "b.", ["a", "b"]),
        ("a)", "b)", ["a", "b"]),
        ("(a)", "(b)", ["a", "b"]),
        ("A.", "B.", ["A", "B"]),
        ("i.", "ii.", ["i", "ii"]),
        ("ii)", "iii)", ["ii", "iii"]),
        ("(iv)", "(v)", ["iv", "v"]),
        ("-", "-", [None, None]),
        ("–", "–", [None, None]),
        ("•", "•", [None, None]),
        ("*", "*", [None, None]),
        ("·", "·", [None, None]),
        ("o", "o", [None, None]),
        ("\uf0b7", "\uf0b7", [None, None]),
        ("* 1)", "* 2)", ["1", "2"]),
    ],
)
def test_labels_and_bullets(first: str, second: str, labels: list[str | None]) -> None:
    document = f"Exclusion criteria:\n  {first} Pregnancy or lactation\n  {second} ALT > 3 x ULN\n"
    segments = segment(document)
    assert_offsets(document, segments)
    assert texts(segments) == ["Pregnancy or lactation", "ALT > 3 x ULN"]
    assert [s.label for s in segments] == labels


def test_bullet_glued_to_text() -> None:
    assert texts(segment("•Age ≥ 18\n•Consent\n1.Age ≥ 18")) == ["Age ≥ 18", "Consent", "Age ≥ 18"]


def test_letters_i_v_x_continue_a_letter_list() -> None:
    document = "\n".join(f"{letter}. item {letter}" for letter in "abcdefghij")
    segments = segment(document)
    assert [s.label for s in segments] == list("abcdefghij")
    assert all(s.lead_in is None for s in segments)


@pytest.mark.parametrize(
    "line",
    [
        "1.5 x ULN is the upper limit for bilirubin",
        "2. 5 x ULN for AST",
        "10^9/L platelets or more",
        "18 years or older",
        "18-65 years",
        "-10 °C storage",
        "e.g. metformin or insulin",
        "i.e. not pregnant",
        "3.5 g/dL albumin",
    ],
)
def test_numbers_and_abbreviations_are_not_labels(line: str) -> None:
    segments = segment(line)
    assert len(segments) == 1
    assert segments[0].label is None
    assert segments[0].text == line


def test_broken_decimal_inside_a_numbered_list_is_a_label_only_in_sequence() -> None:
    document = "1. Age ≥ 18\n2. 5 or more prior lines of therapy\n5. 5 mg/dL"
    segments = segment(document)
    assert [(s.label, s.text) for s in segments] == [
        ("1", "Age ≥ 18"),
        ("2", "5 or more prior lines of therapy"),
        (None, "5. 5 mg/dL"),
    ]


def test_semicolon_lists_are_not_split() -> None:
    document = "Inclusion:\n- ALT ≤ 2.5 × ULN; bilirubin ≤ 1.5 × ULN\n- Platelets ≥ 100 × 10^9/L"
    assert texts(segment(document)) == ["ALT ≤ 2.5 × ULN; bilirubin ≤ 1.5 × ULN", "Platelets ≥ 100 × 10^9/L"]


# -- wrapped lines and sub-lists -----------------------------------------------------------------------------------


def test_wrapped_item_spans_both_lines() -> None:
    document = (
        "Inclusion Criteria:\n"
        "  1. Histologically confirmed adenocarcinoma of the\n"
        "     pancreas, stage III or IV\n"
        "  2. ECOG 0-1\n"
    )
    segments = segment(document)
    assert_offsets(document, segments)
    assert texts(segments) == [
        "Histologically confirmed adenocarcinoma of the\n     pancreas, stage III or IV",
        "ECOG 0-1",
    ]
    assert segments[0].start == document.index("Histologically")
    assert segments[0].end == document.index("IV") + 2


def test_continuation_of_unlabelled_line_needs_deeper_indentation() -> None:
    document = "Exclusion criteria\nActive infection requiring\n   intravenous antibiotics\nPregnancy"
    assert texts(segment(document)) == ["Active infection requiring\n   intravenous antibiotics", "Pregnancy"]


def test_blank_line_stops_wrapping() -> None:
    document = "  - Prior chemotherapy\n\n    Hormonal therapy is allowed\n  - ECOG 0-1"
    segments = segment(document)
    assert texts(segments) == ["Prior chemotherapy", "Hormonal therapy is allowed", "ECOG 0-1"]
    assert all(s.lead_in is None for s in segments)


def test_sub_list_with_lettered_items() -> None:
    document = (
        "Inclusion Criteria:\n"
        "  1. Age ≥ 18\n"
        "  2. Adequate organ function as defined by the following:\n"
        "     a. ANC ≥ 1.5 × 10^9/L\n"
        "     b. Platelets ≥ 100 × 10^9/L\n"
        "  3. ECOG 0-1\n"
    )
    segments = segment(document)
    assert_offsets(document, segments)
    assert [(s.label, s.text, s.lead_in) for s in segments] == [
        ("1", "Age ≥ 18", None),
        ("2.a", "ANC ≥ 1.5 × 10^9/L", "Adequate organ function as defined by the following:"),
        ("2.b", "Platelets ≥ 100 × 10^9/L", "Adequate organ function as defined by the following:"),
        ("3", "ECOG 0-1", None),
    ]


def test_flat_sub_list_nests_by_style_after_a_lead_in() -> None:
    document = "1. Age ≥ 18\n2. Laboratory values defined as:\na. ANC ≥ 1500/mm3\nb. Hb ≥ 9 g/dL\n3. Consent"
    assert [(s.label, s.lead_in) for s in segment(document)] == [
        ("1", None),
        ("2.a", "Laboratory values defined as:"),
        ("2.b", "Laboratory values defined as:"),
        ("3", None),
    ]


def test_unlabelled_lead_in_with_bullets_and_blank_lines() -> None:
    document = (
        "Exclusion Criteria:\n\n"
        "  - Pregnancy\n\n"
        "  - Any of the following cardiac conditions:\n\n"
        "      - NYHA class III or IV heart failure\n\n"
        "      - Myocardial infarction within 6 months\n\n"
        "  - Active hepatitis B\n"
    )
    segments = segment(document)
    assert_offsets(document, segments)
    lead_in = "Any of the following cardiac conditions:"
    assert [(s.section, s.text, s.lead_in) for s in segments] == [
        ("exclusion", "Pregnancy", None),
        ("exclusion", "NYHA class III or IV heart failure", lead_in),
        ("exclusion", "Myocardial infarction within 6 months", lead_in),
        ("exclusion", "Active hepatitis B", None),
    ]


def test_unbulleted_indented_sub_items_under_a_lead_in() -> None:
    document = "Laboratory values:\n    Hemoglobin ≥ 9 g/dL\n    Platelets ≥ 100,000/µL\nSigned consent"
    assert [(s.text, s.lead_in) for s in segment(document)] == [
        ("Hemoglobin ≥ 9 g/dL", "Laboratory values:"),
        ("Platelets ≥ 100,000/µL", "Laboratory values:"),
        ("Signed consent", None),
    ]


def test_lead_in_without_sub_items_is_kept_as_a_criterion() -> None:
    assert texts(segment("1. Prior therapy with:\n2. Consent")) == ["Prior therapy with:", "Consent"]


def test_label_alone_on_its_line() -> None:
    document = "1.\nAge ≥ 18\n2.\nConsent"
    assert [(s.label, s.text) for s in segment(document)] == [("1", "Age ≥ 18"), ("2", "Consent")]


# -- line endings, whitespace, no headers --------------------------------------------------------------------------


def test_windows_line_endings_and_tabs() -> None:
    document = (
        "Inclusion Criteria:\r\n\t1. Age ≥ 18 \r\n\t2. Adequate renal function\r\n\t   (creatinine ≤ 1.5 mg/dL)\r\n"
    )
    segments = segment(document)
    assert_offsets(document, segments)
    assert texts(segments) == ["Age ≥ 18", "Adequate renal function\r\n\t   (creatinine ≤ 1.5 mg/dL)"]
    assert all(not s.text.endswith(("\r", " ")) for s in segments)


def test_no_headers_every_line_is_an_item() -> None:
    document = "Age 18 to 75 years\n\nBMI < 35 kg/m2\nNA\n- Signed consent\n"
    segments = segment(document)
    assert texts(segments) == ["Age 18 to 75 years", "BMI < 35 kg/m2", "NA", "Signed consent"]
    assert {s.section for s in segments} == {"unknown"}


def test_empty_and_blank_inputs() -> None:
    assert segment("") == []
    assert segment(" \n\t\r\n  ") == []
    assert segment("Inclusion Criteria:\n\nExclusion Criteria:\n") == []


def test_pathological_inputs_segment_correctly() -> None:
    spaces = " " * 100_000
    assert segment(spaces) == []
    assert texts(segment(spaces + "x" + spaces)) == ["x"]
    long_line = "ALT ≤ 2.5 × ULN; " * 300
    assert texts(segment(long_line)) == [long_line.strip()]
    nested = "".join(" " * depth + "- item\n" for depth in range(3000))
    segments = segment(nested)
    assert len(segments) >= 1
    assert_offsets(nested, segments)
    bullets = "- " * 20_000 + "x"
    assert_offsets(bullets, segment(bullets))
    colons = ":\n" * 20_000
    assert_offsets(colons, segment(colons))
    headers = "Inclusion criteria " * 5_000
    assert_offsets(headers, segment(headers))


# -- properties ----------------------------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "\n", "\r\n", "\r", " ", "  ", "\t", "1.", "2)", "(a)", "ii.", "-", "•", "* ", "o ", "Inclusion criteria:",
        "Exclusion Criteria", "Subjects will be excluded if:", "Age ≥ 18", "1.5 × ULN", "the following:", ":",
        "\u00a0", "\ufeff", "x",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(_PIECES, max_size=40).map("".join)))
def test_offsets_property(document: str) -> None:
    segments = segment(document)
    for s in segments:
        assert 0 <= s.start <= s.end <= len(document)
        assert s.text == document[s.start : s.end]
    assert_offsets(document, segments)


# -- the Chia corpus: one criterion a line -------------------------------------------------------------------------

# Lines that segment() may leave out: headers ("General Inclusion") and lead-ins ("... as follows:", "... arm if")
_CHIA_HEADER_ONLY = re.compile(r"^\W*(?:\w+ )?(?:inclusion|exclusion|eligibility)\b", re.IGNORECASE)
_LEAD_IN_ENDINGS = (":", " if", "...")
# a header run into the end of a line ("... cryoglobulinaemia. General exclusion criteria") is not in its segment
_CHIA_INLINE_HEADER_END = re.compile(r"[.;!?]\s+(?:\w+ )?(?:inclusion|exclusion) criteri\w*\s*$", re.IGNORECASE)


def _chia_files() -> list[Path]:
    shared = shared_dir()
    if shared is None or not (shared / "corpora" / "chia").is_dir():
        return []
    return sorted((shared / "corpora" / "chia").glob("*_[ie][nx][c].txt"))


@pytest.mark.shared
def test_chia_every_line_is_segmented_within_its_line() -> None:
    files = _chia_files()
    if not files:
        pytest.skip("../shared/corpora/chia is not available")
    uncovered: list[str] = []
    for path in files:
        document = path.read_text(encoding="utf-8")
        segments = segment(document)
        assert_offsets(document, segments)
        for s in segments:
            assert "\n" not in s.text and "\r" not in s.text, f"{path.name}: segment crosses a line: {s.text!r}"
        starts = [s.start for s in segments]
        position = 0
        index = 0
        for line in document.splitlines(keepends=True):
            line_end = position + len(line)
            content = line.strip()
            inside: list[Segment] = []
            while index < len(starts) and starts[index] < line_end:
                inside.append(segments[index])
                index += 1
            if content:
                if inside:
                    header = _CHIA_INLINE_HEADER_END.search(line)
                    line_end_text = position + (len(line.rstrip()) if header is None else header.start() + 1)
                    assert inside[-1].end == line_end_text, f"{path.name}: {line!r}"
                elif not (
                    content.endswith(_LEAD_IN_ENDINGS) or (_CHIA_HEADER_ONLY.match(content) and len(content) <= 60)
                ):
                    uncovered.append(f"{path.name}: {content!r}")
            position = line_end
    assert uncovered == []


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            "Inclusion Criteria:\nAge ≥ 18 years Exclusion Criteria: Pregnancy\n",
            [("inclusion", "Age ≥ 18 years"), ("exclusion", "Pregnancy")],
        ),
        (
            "Inclusion Criteria:\n- Age 18–75 years; stable disease Exclusion Criteria: pregnancy; ALT > 3 × ULN",
            [("inclusion", "Age 18–75 years; stable disease"), ("exclusion", "pregnancy; ALT > 3 × ULN")],
        ),
        (
            "Inclusion criteria:\n1. adequate organ function. Exclusion criteria: - prior chemotherapy\n- HIV",
            [("inclusion", "adequate organ function."), ("exclusion", "prior chemotherapy"), ("exclusion", "HIV")],
        ),
        (
            "Inclusion Criteria: Age ≥ 18 • Key Exlusion Critera: pregnancy",
            [("inclusion", "Age ≥ 18"), ("exclusion", "pregnancy")],
        ),
        (
            "Exclusion criteria:\n- pregnancy. Inclusion criteria\n- Age ≥ 18",
            [("exclusion", "pregnancy."), ("inclusion", "Age ≥ 18")],
        ),
        (
            "Inclusion criteria:\n1. patients meeting the exclusion criteria of study X\n"
            "2. patients meeting the Exclusion Criteria of study X: none",
            [
                ("inclusion", "patients meeting the exclusion criteria of study X"),
                ("inclusion", "patients meeting the Exclusion Criteria of study X: none"),
            ],
        ),
        (
            "Inclusion criteria:\n- Subjects who meet the Exclusion Criteria\n- adults exclusion criteria: none",
            [
                ("inclusion", "Subjects who meet the Exclusion Criteria"),
                ("inclusion", "adults exclusion criteria: none"),
            ],
        ),
        ("Inclusion/Exclusion Criteria:\nPregnancy", [("unknown", "Pregnancy")]),
        ("Inclusion and Exclusion Criteria: Pregnancy", [("unknown", "Pregnancy")]),
    ],
)
def test_inline_header_starts_its_section(document: str, expected: list[tuple[str, str]]) -> None:
    segments = segment(document)
    assert_offsets(document, segments)
    assert [(s.section, s.text) for s in segments] == expected


@pytest.mark.parametrize(
    ("line", "section"),
    [
        ("Adequate organ function within 14 days prior to enrollment:", "inclusion"),
        ("Laboratory values obtained within 7 days before enrolment:", "inclusion"),
        ("Subjects will be excluded if they received within 30 days:", "exclusion"),
    ],
)
def test_a_sentence_header_with_a_number_stays_the_lead_in_of_its_items(line: str, section: str) -> None:
    # the number is content (a window): the sentence opens its section and its items carry it, nothing is lost
    segments = segment(f"{line}\n- hemoglobin >= 9 g/dL\n- platelets >= 100,000/mm3\n")
    assert [s.text for s in segments] == ["hemoglobin >= 9 g/dL", "platelets >= 100,000/mm3"]
    assert {s.section for s in segments} == {section}
    assert {s.lead_in for s in segments} == {line}


def test_a_sentence_header_without_a_number_is_no_lead_in() -> None:
    segments = segment("Patients will be excluded if:\n- pregnancy\n")
    assert [(s.text, s.section, s.lead_in) for s in segments] == [("pregnancy", "exclusion", None)]
