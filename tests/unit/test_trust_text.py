"""Issue 10, protocol structure and numbers: items 1, 2, 5, 6, 7 (one regression test or more per item)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from criteria_nlp.cli import cli
from criteria_nlp.errors import CriteriaInputError
from criteria_nlp.ir import render
from criteria_nlp.lint import lint
from criteria_nlp.pipeline import parse_criteria, parse_criterion
from criteria_nlp.screen import screen, screen_many
from criteria_nlp.sources.patient import Patient
from criteria_nlp.text.headers import classify_header, edits

PATIENT = Patient(id="p1")


# --- item 1: an empty or headers-only protocol is refused --------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n", "Inclusion Criteria:\n\nExclusion Criteria:\n"])
def test_item01_screen_refuses_a_protocol_without_criteria(text: str) -> None:
    document = parse_criteria(text)
    with pytest.raises(CriteriaInputError, match="no eligibility criteria"):
        screen(document, PATIENT, index_date="2026-01-01")
    with pytest.raises(CriteriaInputError):
        screen_many(document, [PATIENT], index_date="2026-01-01")


def test_item01_cli_screen_exits_2_on_headers_only(tmp_path: Path) -> None:
    trial = tmp_path / "trial.txt"
    trial.write_text("Inclusion Criteria:\nExclusion Criteria:\n", encoding="utf-8")
    patient = tmp_path / "p.json"
    patient.write_text('{"id": "p1"}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["screen", str(trial), str(patient), "--index-date", "2026-01-01"])
    assert result.exit_code == 2
    assert "no eligibility criteria" in result.output


# --- item 2: section headers read robustly ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Exlusion Criteria:",
        "Exlcusion criteria",
        "Exclu\u00adsion Criteria:",
        "Exc\u200blusion Criteria:",
        "Key Exclusion Criteria",
        "Patients must not have:",
        "Subjects meeting any of the following will be excluded:",
        "EXCLUSION CRITERIA",
    ],
)
def test_item02_exclusion_headers_are_recognised(header: str) -> None:
    document = parse_criteria(f"Inclusion Criteria:\nAge ≥ 18 years\n{header}\nPregnancy\n")
    assert [(c.section, c.text) for c in document.criteria] == [
        ("inclusion", "Age ≥ 18 years"),
        ("exclusion", "Pregnancy"),
    ]


def test_item02_unrecognised_header_gives_unknown_section_diagnostic_and_lint_finding() -> None:
    document = parse_criteria("Inclusion Criteria:\nAge ≥ 18 years\nKey criteria:\nPregnancy\n")
    assert [c.section for c in document.criteria] == ["inclusion", "unknown"]
    assert [d.code for d in document.diagnostics] == ["unknown-header"]
    assert "N005" in {f.rule for f in lint(document).findings}
    result = screen(document, Patient(id="p", birth_date="1980-01-01"), index_date="2026-01-01")
    assert result.decision == "needs_review"


def test_item02_ordinary_lead_ins_and_words_are_not_headers() -> None:
    assert classify_header("Laboratory criteria:") is None
    assert classify_header("Infection") is None
    assert classify_header("Occlusion") is None
    assert classify_header("Adequate organ function defined as:") is None
    assert edits("exlcusion", "exclusion") == 1


# --- item 7: spaced comparators and invisible format characters --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Hb > = 9 g/dL", "hemoglobin >= 9 g/dL"), ("Hb < = 9 g/dL", "hemoglobin <= 9 g/dL")],
)
def test_item07_spaced_comparators(text: str, expected: str) -> None:
    criterion = parse_criterion(text)
    assert render(criterion.expression) == expected


def test_item07_format_characters_removed_before_tokenising_spans_mapped_back() -> None:
    text = "Age \u2265 1\u200d8 years"
    criterion = parse_criterion(text)
    assert criterion.status == "computable"
    assert render(criterion.expression) == "age in [18, inf) year"
    assert criterion.text == text
    assert criterion.expression.span.end == len(text)
    soft = parse_criterion("hemo\u00adglobin >= 9 g/dL")
    assert render(soft.expression) == "hemoglobin >= 9 g/dL"
    variable = soft.expression.variable  # type: ignore[union-attr]
    assert variable.span.end == len("hemo\u00adglobin")


# --- item 5: European thousands separators decided by the plausible range ------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Platelets ≥ 100.000/µL", "platelets >= 100000 /µL"),
        ("Leukocytes ≥ 3.000/µl", "wbc >= 3000 /µl"),
        ("Creatinine ≤ 1.500 mg/dL", "creatinine <= 1.5 mg/dL"),
        ("Digoxin dose > 0.125 mg", None),
    ],
)
def test_item05_dotted_thousands_read_by_plausible_range(text: str, expected: str | None) -> None:
    criterion = parse_criterion(text)
    if expected is not None:
        assert render(criterion.expression) == expected
    else:
        assert "thousands separator" not in " ".join(d.message for d in criterion.diagnostics)


@pytest.mark.parametrize("text", ["CD4 ≥ 1.000 cells/µL", "IgG ≥ 1.000 mg/dL", "Platelets < 150.000"])
def test_item05_ambiguous_dotted_number_is_unparsed_with_the_reason(text: str) -> None:
    criterion = parse_criterion(text)
    assert criterion.expression.kind == "unparsed"
    assert "thousands separator" in criterion.expression.reason  # type: ignore[union-attr]


# --- item 6: scientific notation and absurd magnitudes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Viral load < 1e3 copies/mL", "viral_load_hiv < 1000 copies/mL"),
        ("Platelets ≥ 1.0e5/uL", "platelets >= 100000 /uL"),
        ("WBC < 1E+4/uL", "wbc < 10000 /uL"),
        ("ANC ≥ 1.5 x 10^9/L", "anc >= 1.5 x 10^9/L"),
    ],
)
def test_item06_scientific_notation(text: str, expected: str) -> None:
    assert render(parse_criterion(text).expression) == expected


@pytest.mark.parametrize(
    "text", ["age ≥ 1e199 years", "CD4 > 10^999 cells/uL", "HIV RNA < 1e308 copies/mL", "Hemoglobin > 10 mg/dL"]
)
def test_item06_absurd_thresholds_are_not_computable(text: str) -> None:
    criterion = parse_criterion(text)
    assert criterion.status == "not_computable"
    assert criterion.expression.kind == "unparsed"
