"""Stage 2: tokenizer rules and the rule-based annotation components."""

from __future__ import annotations

import pytest

from criteria_nlp.text.nlp import Cue, annotations_of, build_pipeline, default_pipeline


def _tokens(text: str) -> list[str]:
    return [t.text for t in default_pipeline().tokenizer(text)]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("≥50%", ["≥", "50", "%"]),
        ("<=1.5mg/dL", ["<=", "1.5", "mg", "/", "dL"]),
        ("2×ULN", ["2", "×", "ULN"]),
        ("2xULN", ["2", "x", "ULN"]),
        ("0~2", ["0", "~", "2"]),
        ("18-65", ["18", "-", "65"]),
        (">=18years", [">=", "18", "years"]),
        ("(LVEF)≥ 50%", ["(", "LVEF", ")", "≥", "50", "%"]),
        ("HbA1c:7.5%-11.0%", ["HbA1c", ":", "7.5", "%", "-", "11.0", "%"]),
        ("1.5x10^9/L", ["1.5", "x", "10", "^", "9", "/", "L"]),
        # spaCy's emoticon exceptions ("<3" is a heart) must not keep comparators and numbers together
        ("AST <3x ULN", ["AST", "<", "3", "x", "ULN"]),
        ("HAMA =3", ["HAMA", "=", "3"]),
        ("ratio 2:1", ["ratio", "2", ":", "1"]),
        # "=" glued to a word or number (criteria where "≥"/"≤" lost their bar keep a bare "=")
        ("Hb=100g/L", ["Hb", "=", "100", "g", "/", "L"]),
        ("(EF)=40%", ["(", "EF", ")", "=", "40", "%"]),
        ("KPS= 70", ["KPS", "=", "70"]),
        ("PSA<or=10", ["PSA", "<", "or", "=", "10"]),
        (">_70%", [">_", "70", "%"]),
        ("Age＜18y", ["Age", "＜", "18", "y"]),
        ("150m-550m", ["150", "m", "-", "550", "m"]),
        ("30- 65 years", ["30", "-", "65", "years"]),
        ("AST (SGOT)/ALT (SGPT)", ["AST", "(", "SGOT", ")", "/", "ALT", "(", "SGPT", ")"]),
        ("lesion(s) (are)", ["lesion", "(s)", "(", "are", ")"]),
        ("malignancy(ies)", ["malignancy", "(ies)"]),
    ],
)
def test_glued_tokens_are_split(text: str, tokens: list[str]) -> None:
    assert _tokens(text) == tokens


def test_a_sample_size_stays_one_word() -> None:
    assert _tokens("operated on (n=16)") == ["operated", "on", "(", "n=16", ")"]


@pytest.mark.parametrize("name", ["HbA1c", "COVID-19", "IL-6", "CD4+", "FEV1", "SARS-CoV-2", "A1C"])
def test_names_stay_whole(name: str) -> None:
    assert _tokens(f"{name} level") == [name, "level"]


def _kinds(text: str) -> dict[str, set[str]]:
    doc = default_pipeline()(text)
    found: dict[str, set[str]] = {}
    for a in annotations_of(doc):
        found.setdefault(doc[a.start : a.end].text, set()).add(f"{a.kind}:{a.value}")
    return found


def test_annotations_mark_variables_numbers_units_and_cues() -> None:
    kinds = _kinds("ALT more than twice the upper limit of normal and platelets ≥ 100 x 10^9/L")
    assert "VARIABLE:alt" in kinds["ALT"]
    assert "CMP_PRE:>" in kinds["more than"]
    assert "NUMWORD:2" in kinds["twice"]
    assert "REF:ULN" in kinds["upper limit of normal"]
    assert "NUM:100.0" in kinds["100"]
    assert "UNIT:10^9/L" in kinds["x 10^9/L"]


def test_negation_temporal_and_consent_cues() -> None:
    kinds = _kinds("No myocardial infarction within 6 months prior to screening; informed consent")
    assert "NEG:" in kinds["No"]
    assert "WITHIN:inclusive" in kinds["within"]  # "within" counts the day exactly that long before (cues.tsv)
    assert "BEFORE:" in kinds["prior to"]
    assert "UNIT:month" in kinds["months"]
    assert "NOTCOMP:consent" in kinds["informed consent"]


def test_thousands_written_with_a_space_are_one_number() -> None:
    kinds = _kinds("Platelets ≥ 100 000/mm3")
    assert "NUM:100000.0" in kinds["100 000"]


def test_a_lost_exponent_is_not_a_group_of_thousands() -> None:
    kinds = _kinds("Platelets > 100 109/l")
    assert "NUM:100.0" in kinds["100"]
    assert "UNIT:10^9/L" in kinds["109/l"]


@pytest.mark.parametrize(
    ("text", "unit", "canonical"),
    [
        ("AMH > 1.1 nanogram per milliliter (ng/mL)", "nanogram per milliliter (ng/mL)", "ng/mL"),
        ("jet > 3.0 meters per second [m/s]", "meters per second [m/s]", "m/s"),
        ("SBP > 180 millimeters of mercury (mmHg)", "millimeters of mercury (mmHg)", "mmHg"),
        ("valve area < 1.5 centimeters squared", "centimeters squared", "cm^2"),
        ("BMI 18-30 kilogram per square meter", "kilogram per square meter", "kg/m^2"),
        ("BMI <= 27 kilogram per meter square (kg/m^2)", "kilogram per meter square (kg/m^2)", "kg/m^2"),
    ],
)
def test_units_spelled_out_and_restated_in_brackets(text: str, unit: str, canonical: str) -> None:
    assert f"UNIT:{canonical}" in _kinds(text)[unit]


def test_a_bracketed_unit_that_differs_is_not_taken_as_a_restatement() -> None:
    kinds = _kinds("Creatinine > 1.5 mg/dL (133 umol/L)")
    assert "UNIT:mg/dL" in kinds["mg/dL"]
    assert "UNIT:umol/L" in kinds["umol/L"]


def test_a_word_after_a_number_is_not_a_unit_when_it_is_a_preposition() -> None:
    kinds = _kinds("at least 18 in the opinion of")
    assert not any(k.startswith("UNIT") for values in kinds.values() for k in values)


def test_short_abbreviations_match_case_sensitively() -> None:
    assert "VARIABLE:alt" in _kinds("ALT ≤ 3 x ULN")["ALT"]
    assert "alt" not in _kinds("alt ≤ 3 x ULN")


def test_each_pipeline_matches_the_phrases_it_was_initialised_with() -> None:
    own = build_pipeline(cues=[Cue("frobnication", "QUAL", "frob", False)])
    assert ("QUAL", "frob") in [(a.kind, a.value) for a in annotations_of(own("no frobnication"))]
    assert "QUAL" not in [a.kind for a in annotations_of(default_pipeline()("no frobnication"))]
