from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.errors import CriteriaSemanticError, UnknownUnitError
from criteria_nlp.knowledge.units import (
    Conversion,
    IncompatibleUnitsError,
    compatible,
    convert,
    from_ucum,
    is_unit,
    normalize_unit,
    parse_unit,
    registry,
    suggest_units,
)
from criteria_nlp.knowledge.units.spelling import read_spellings, unit_spellings
from criteria_nlp.resources import corpus_path, shared_dir

SPELLINGS = [
    ("mg/dl", "mg/dL"),
    ("mg/dL", "mg/dL"),
    ("mg / dL", "mg/dL"),
    ("MG/DL", "mg/dL"),
    ("g/dl", "g/dL"),
    ("g/L", "g/L"),
    ("µmol/L", "umol/L"),
    ("umol/L", "umol/L"),
    ("μmol/l", "umol/L"),
    ("mmol/L", "mmol/L"),
    ("mEq/L", "mEq/L"),
    ("meq/l", "mEq/L"),
    ("U/L", "U/L"),
    ("IU/L", "IU/L"),
    ("IU/mL", "IU/mL"),
    ("U/mL", "U/mL"),
    ("ng/mL", "ng/mL"),
    ("ng/ml", "ng/mL"),
    ("pg/mL", "pg/mL"),
    ("µg/L", "ug/L"),
    ("mcg/L", "ug/L"),
    ("mIU/L", "mIU/L"),
    ("µIU/mL", "uIU/mL"),
    ("x10^9/L", "10^9/L"),
    ("×10^9/L", "10^9/L"),
    ("x 10^9/l", "10^9/L"),
    ("10^9/L", "10^9/L"),
    ("10*9/L", "10^9/L"),
    ("10⁹/L", "10^9/L"),
    ("10^9 cells/L", "10^9/L"),
    ("G/L", "10^9/L"),
    ("x10^3/µL", "10^3/uL"),
    ("10^3/uL", "10^3/uL"),
    ("10*3/uL", "10^3/uL"),
    ("K/uL", "10^3/uL"),
    ("x10^12/L", "10^12/L"),
    ("/mm3", "1/mm^3"),
    ("/mm^3", "1/mm^3"),
    ("cells/mm3", "1/mm^3"),
    ("cells/µL", "1/uL"),
    ("cells/mcL", "1/uL"),
    ("/µL", "1/uL"),
    ("/uL", "1/uL"),
    ("/mcL", "1/uL"),
    ("copies/mL", "1/mL"),
    ("mL/min", "mL/min"),
    ("ml/min", "mL/min"),
    ("mL/min/1.73m2", "mL/min/1.73m^2"),
    ("mL/min/1.73 m²", "mL/min/1.73m^2"),
    ("ml/min/1.73m^2", "mL/min/1.73m^2"),
    ("mL/min per 1.73 m2", "mL/min/1.73m^2"),
    ("mmHg", "mmHg"),
    ("mm Hg", "mmHg"),
    ("mm[Hg]", "mmHg"),
    ("bpm", "1/min"),
    ("beats/min", "1/min"),
    ("/min", "1/min"),
    ("breaths/min", "1/min"),
    ("%", "%"),
    ("percent", "%"),
    ("kg", "kg"),
    ("g", "g"),
    ("lb", "lb"),
    ("lbs", "lb"),
    ("cm", "cm"),
    ("m", "m"),
    ("in", "inch"),
    ("kg/m2", "kg/m^2"),
    ("kg/m^2", "kg/m^2"),
    ("kg/m²", "kg/m^2"),
    ("ms", "ms"),
    ("msec", "ms"),
    ("sec", "s"),
    ("s", "s"),
    ("min", "min"),
    ("hour(s)", "hour"),
    ("hours", "hour"),
    ("hr(s)", "hour"),
    ("hrs", "hour"),
    ("h", "hour"),
    ("day(s)", "day"),
    ("days", "day"),
    ("week(s)", "week"),
    ("wk(s)", "week"),
    ("month(s)", "month"),
    ("mo", "month"),
    ("year(s)", "year"),
    ("yr(s)", "year"),
    ("yrs", "year"),
    ("y", "year"),
    ("Years", "year"),
    ("years old", "year"),
    ("°C", "degC"),
    ("degC", "degC"),
    ("°F", "degF"),
    ("L", "L"),
    ("mL", "mL"),
    ("dL", "dL"),
    ("IU", "IU"),
    ("mg", "mg"),
    ("mg/kg", "mg/kg"),
    ("mg/m2", "mg/m^2"),
    ("mg/m^2", "mg/m^2"),
    ("mg/kg/day", "mg/kg/day"),
    ("Gy", "Gy"),
    ("cGy", "cGy"),
    ("ppm", "ppm"),
    ("mm", "mm"),
    ("cm3", "cm^3"),
    ("pack-years", "pack_year"),
    ("pack years", "pack_year"),
    ("mmol/mol", "mmol/mol"),
    ("pH", "pH"),
]


@pytest.mark.parametrize(("written", "canonical"), SPELLINGS)
def test_normalize_unit_spellings(written: str, canonical: str) -> None:
    assert normalize_unit(written) == canonical
    assert is_unit(written)


@pytest.mark.parametrize("canonical", sorted({canonical for _, canonical in SPELLINGS}))
def test_canonical_spellings_are_fixed_points_and_parse_in_the_registry(canonical: str) -> None:
    assert normalize_unit(canonical) == canonical
    assert registry().parse_units(canonical) == parse_unit(canonical)


@pytest.mark.parametrize("word", ["MS", "PT", "ALT", "the", "cells", "a", "", "mg/", "ULN", "x ULN", "mgs/dL"])
def test_words_that_are_not_units(word: str) -> None:
    assert not is_unit(word)
    with pytest.raises(UnknownUnitError):
        normalize_unit(word)


def test_unknown_unit_carries_suggestions() -> None:
    with pytest.raises(UnknownUnitError) as caught:
        normalize_unit("mgs/dL")
    assert caught.value.suggestions[0] == "mg/dL"
    assert isinstance(caught.value, CriteriaSemanticError)
    assert "did you mean 'mg/dL'" in str(caught.value)


@pytest.mark.parametrize(
    ("typo", "expected"),
    [("mgs/dL", "mg/dL"), ("mmol/l", "mmol/L"), ("mmHG", "mmHg"), ("umol/liter", "umol/L"), ("ng/mLs", "ng/mL")],
)
def test_suggest_units(typo: str, expected: str) -> None:
    assert expected in suggest_units(typo)


def test_suggest_units_respects_n_and_returns_nothing_for_garbage() -> None:
    assert len(suggest_units("mg/dL", n=2)) <= 2
    assert suggest_units("qqqqqqqq") == []


# --- traps ---------------------------------------------------------------------------------------------------------


def test_capital_g_per_litre_is_giga_cells_not_gauss() -> None:
    assert str(parse_unit("G/L").dimensionality) == "1 / [length] ** 3"
    assert convert(1.5, "G/L", "/mm3").value == pytest.approx(1500)
    assert parse_unit("g/L").dimensionality == parse_unit("mg/dL").dimensionality


def test_body_surface_normalised_rate_is_its_own_dimension() -> None:
    assert parse_unit("mL/min/1.73m2").dimensionality != parse_unit("mL/min").dimensionality
    assert not compatible("mL/min/1.73 m²", "mL/min")
    with pytest.raises(IncompatibleUnitsError):
        convert(60, "mL/min/1.73m2", "mL/min")
    assert convert(60, "mL/min/1.73m2", "ml/min/1.73m^2").value == 60
    assert convert(1, "mL/s/1.73m2", "mL/min/1.73m2").value == pytest.approx(60)


def test_percent_to_mmol_per_mol_needs_the_hba1c_analyte() -> None:
    with pytest.raises(IncompatibleUnitsError) as caught:
        convert(7, "%", "mmol/mol")
    assert "hba1c" in str(caught.value)
    assert not compatible("%", "mmol/mol")
    assert compatible("%", "mmol/mol", analyte="hba1c")


def test_ph_is_not_picohenry() -> None:
    assert str(parse_unit("pH").dimensionality) == "[acidity]"
    assert not compatible("pH", "%")


def test_meq_needs_a_valence() -> None:
    with pytest.raises(IncompatibleUnitsError, match="valence"):
        convert(4, "mEq/L", "mmol/L")
    assert convert(4, "mEq/L", "mmol/L", analyte="potassium").value == pytest.approx(4)
    assert convert(5, "mEq/L", "mmol/L", analyte="calcium").value == pytest.approx(2.5)


def test_mass_and_substance_need_a_molar_mass() -> None:
    with pytest.raises(IncompatibleUnitsError, match="molar_mass") as caught:
        convert(1, "mg/dL", "mmol/L")
    assert caught.value.from_dimension == "[mass] / [length] ** 3"
    assert caught.value.to_dimension == "[substance] / [length] ** 3"
    assert "[mass] / [length] ** 3" in str(caught.value)
    assert "[substance] / [length] ** 3" in str(caught.value)


def test_incompatible_units_name_both_dimensions() -> None:
    with pytest.raises(IncompatibleUnitsError) as caught:
        convert(70, "kg", "cm")
    assert isinstance(caught.value, CriteriaSemanticError)
    assert "[mass]" in str(caught.value)
    assert "[length]" in str(caught.value)


def test_convert_rejects_unknown_units() -> None:
    with pytest.raises(UnknownUnitError):
        convert(1, "mgs/dL", "mg/dL")


# --- conversions ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "source", "target", "options", "expected"),
    [
        (132, "µmol/L", "mg/dL", {"molar_mass": 113.12}, 1.4932),
        (1.493, "mg/dL", "umol/L", {"molar_mass": 113.12}, 131.98),
        (5.5, "mmol/L", "mg/dL", {"molar_mass": 180.16}, 99.088),
        (126, "mg/dl", "mmol/L", {"molar_mass": 180.16}, 6.9938),
        (1, "x10^9/L", "/mm3", {}, 1000),
        (1500, "cells/mm3", "10^9/L", {}, 1.5),
        (100, "K/uL", "x10^9/L", {}, 100),
        (4.5, "x10^12/L", "10^6/uL", {}, 4.5),
        (200, "cells/µL", "/mm^3", {}, 200),
        (98.6, "°F", "°C", {}, 37.0),
        (0, "degC", "degF", {}, 32.0),
        (40, "U/L", "IU/L", {}, 40),
        (2.5, "mIU/L", "µIU/mL", {}, 2.5),
        (150, "lbs", "kg", {}, 68.0389),
        (70, "in", "cm", {}, 177.8),
        (12, "g/dL", "g/L", {}, 120),
        (500, "ms", "s", {}, 0.5),
        (6, "months", "years", {}, 0.5),
        (2, "weeks", "days", {}, 14),
        (60, "mL/min", "mL/s", {}, 1),
        (5, "mEq/L", "mg/dL", {"analyte": "calcium", "molar_mass": 40.08}, 10.02),
        (50, "%", "1", {}, 0.5),
        (53, "mmol/mol", "mol/mol", {}, 0.053),
    ],
)
def test_convert_values(value: float, source: str, target: str, options: dict[str, Any], expected: float) -> None:
    result = convert(value, source, target, **options)
    assert result.value == pytest.approx(expected, rel=1e-4)
    assert result.unit == normalize_unit(target)
    assert compatible(source, target, **options)


def test_creatinine_steps_are_readable() -> None:
    result = convert(132, "µmol/L", "mg/dL", molar_mass=113.12)
    assert result.value == pytest.approx(1.493184)
    assert result.unit == "mg/dL"
    assert result.steps == ("132 umol/L × 113.12 g/mol = 1.493 mg/dL",)
    named = convert(132, "umol/L", "mg/dL", molar_mass=113.12, analyte="creatinine")
    assert named.steps == ("132 umol/L × 113.12 g/mol (creatinine) = 1.493 mg/dL",)


def test_cell_count_steps_are_readable() -> None:
    assert convert(1, "10^9/L", "/mm^3").steps == ("1 × 10^9/L = 1000/mm^3",)


def test_same_unit_is_returned_unchanged_without_steps() -> None:
    assert convert(3.2, "mg/dl", "mg/dL") == Conversion(3.2, "mg/dL", ())


def test_temperature_uses_the_offset() -> None:
    assert convert(100, "degC", "degF").value == pytest.approx(212)
    assert convert(32, "°F", "°C").value == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize(("ngsp", "ifcc"), [(7.0, 53.0), (6.5, 47.5), (5.0, 31.1), (9.0, 74.9)])
def test_hba1c_affine_relation(ngsp: float, ifcc: float) -> None:
    forward = convert(ngsp, "%", "mmol/mol", analyte="hba1c")
    assert forward.value == pytest.approx(10.929 * (ngsp - 2.15))
    assert forward.value == pytest.approx(ifcc, abs=0.1)
    assert forward.unit == "mmol/mol"
    backward = convert(forward.value, "mmol/mol", "%", analyte="hba1c")
    assert backward.value == pytest.approx(ngsp)


def test_hba1c_steps_show_the_formula() -> None:
    result = convert(7, "%", "mmol/mol", analyte="hba1c")
    assert result.steps == ("HbA1c NGSP 7 % -> IFCC: 10.929 × (7 − 2.15) = 53.01 mmol/mol",)


def test_hba1c_analyte_does_not_change_plain_percent_conversions() -> None:
    assert convert(7, "%", "1", analyte="hba1c").value == pytest.approx(0.07)


# --- UCUM ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "canonical"),
    [
        ("mg/dL", "mg/dL"),
        ("mm[Hg]", "mmHg"),
        ("kg/m2", "kg/m^2"),
        ("10*3/uL", "10^3/uL"),
        ("10*6/uL", "10^6/uL"),
        ("10*9/L", "10^9/L"),
        ("mL/min/{1.73_m2}", "mL/min/1.73m^2"),
        ("/min", "1/min"),
        ("{beats}/min", "1/min"),
        ("%", "%"),
        ("g/dL", "g/dL"),
        ("g/L", "g/L"),
        ("fL", "fL"),
        ("pg", "pg"),
        ("{score}", "1"),
        ("1", "1"),
        ("Cel", "degC"),
        ("[degF]", "degF"),
        ("[IU]/L", "IU/L"),
        ("m[IU]/L", "mIU/L"),
        ("meq/L", "mEq/L"),
        ("umol/L", "umol/L"),
        ("a", "year"),
        ("mo", "month"),
        ("wk", "week"),
        ("[lb_av]", "lb"),
        ("[in_i]", "inch"),
        ("pH", "pH"),
        ("mL/min/kg", "mL/min/kg"),
    ],
)
def test_from_ucum(code: str, canonical: str) -> None:
    assert from_ucum(code) == canonical


@pytest.mark.parametrize("code", ["not-a-unit", "[foo]", "mg/"])
def test_from_ucum_rejects_what_it_cannot_read(code: str) -> None:
    with pytest.raises(UnknownUnitError):
        from_ucum(code)


def _synthea_quantities() -> list[tuple[str | None, str | None]]:
    shared = shared_dir()
    folder = shared / "fhir" / "synthea-r4" if shared is not None else None
    if folder is None or not folder.is_dir():
        pytest.skip("../shared/fhir/synthea-r4 is not available")
    found: set[tuple[str | None, str | None]] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            quantity = node.get("valueQuantity")
            if isinstance(quantity, dict):
                found.add((quantity.get("unit"), quantity.get("code")))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for path in sorted(folder.glob("*.json")):
        walk(json.loads(Path(path).read_text(encoding="utf-8")))
    assert found, "no valueQuantity in the Synthea bundles"
    return sorted(found, key=str)


@pytest.mark.shared
def test_every_synthea_quantity_unit_is_convertible() -> None:
    for unit, code in _synthea_quantities():
        for spelling in {unit, code} - {None}:
            assert spelling is not None
            canonical = from_ucum(spelling)
            parse_unit(canonical)
            assert convert(2.5, canonical, canonical).value == 2.5
            assert compatible(canonical, canonical)
        if unit is not None and code is not None:
            assert from_ucum(unit) == from_ucum(code)


@pytest.mark.shared
def test_synthea_codes_convert_to_the_units_criteria_use() -> None:
    codes = {code for _, code in _synthea_quantities()}
    expectations = {
        "10*3/uL": ("10^9/L", 1.0),
        "mm[Hg]": ("mm Hg", 1.0),
        "mL/min/{1.73_m2}": ("mL/min/1.73 m2", 1.0),
        "kg/m2": ("kg/m²", 1.0),
        "g/dL": ("g/L", 10.0),
        "Cel": ("°C", 1.0),
    }
    for code, (criteria_unit, factor) in expectations.items():
        if code in codes:
            assert convert(1, from_ucum(code), criteria_unit).value == pytest.approx(factor)


def test_clinical_units_file_has_a_header_and_loads() -> None:
    path = corpus_path("units", "clinical_units.txt")
    assert path.read_text(encoding="utf-8").startswith("#")
    assert "bsa_1_73m2" in registry()


def _spelling_rows() -> list[tuple[str, str, str]]:
    """(table, written, canonical) of every row of spellings.tsv, as the file writes them."""
    lines = corpus_path("units", "spellings.tsv").read_text(encoding="utf-8").splitlines()
    rows = [tuple(line.split("\t")) for line in lines if line.strip() and not line.startswith("#")]
    assert rows[0] == ("table", "written", "canonical")
    return [(table, written, canonical) for table, written, canonical in rows[1:]]


@pytest.mark.parametrize(("table", "written", "canonical"), _spelling_rows())
def test_every_spelling_normalises_to_a_unit_pint_parses(table: str, written: str, canonical: str) -> None:
    if canonical == "-":  # a count word dropped from a unit: "cells/mm3"
        assert table == "factor"
        assert normalize_unit(f"{written}/mm3") == "1/mm^3"
        return
    registry().parse_units(canonical)
    if table == "ucum" or table == "ucum_atom":
        assert normalize_unit(canonical) == canonical
        if table == "ucum":
            assert from_ucum(written) == canonical
    elif canonical != "1.73m^2":  # only ever a denominator: "mL/min/1.73m^2"
        assert normalize_unit(written) == canonical
        assert parse_unit(written) == registry().parse_units(canonical)


def test_spelling_file_is_read_once_into_its_tables() -> None:
    spellings = unit_spellings()
    assert unit_spellings() is spellings
    assert spellings.exact["G/L"] == "10^9/L"
    assert spellings.factors["cells"] == ""
    assert spellings.factors_lower["l"] == "L"
    assert ("G/L", "10^9/L") in spellings.suggestions
    assert corpus_path("units", "spellings.tsv").read_text(encoding="utf-8").startswith("# ")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("factor\tmg", "expected 3 tab-separated fields"),
        ("unit\tmg\tmg", "unknown table 'unit'"),
        ("exact\tcells\t-", "only a factor can be dropped"),
        ("factor\tmg\tmg\nfactor\tmg\tg", "'mg' is already in the factor table"),
    ],
)
def test_spelling_file_errors_name_the_line(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "spellings.tsv"
    path.write_text(f"# header\ntable\twritten\tcanonical\n{line}\n", encoding="utf-8")
    with pytest.raises(CriteriaSemanticError, match=problem) as raised:
        read_spellings(path)
    assert "spellings.tsv line " in str(raised.value)


def test_of_after_a_percent_is_not_degrees_fahrenheit() -> None:
    # "50% of time": "of" is a word, not the "oF" spelling of °F, which counts only as a whole unit
    with pytest.raises(UnknownUnitError):
        normalize_unit("% of")
    assert normalize_unit("oF") == "degF"


def test_a_temperature_combined_with_another_unit_is_incompatible_not_a_crash() -> None:
    # pint gives "% * delta_degF" the dimension of a temperature but cannot place it on a scale
    assert not compatible("%*degF", "degC")
    with pytest.raises(IncompatibleUnitsError):
        convert(1, "%*degF", "degC")
