from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.knowledge.lexicon import (
    Lexicon,
    LexiconFileError,
    UnknownLexiconIdError,
    is_case_sensitive,
    load_lexicon,
)
from criteria_nlp.resources import corpus_path, shared_dir
from required_ids import REQUIRED_CONCEPTS as _REQUIRED_CONCEPTS
from required_ids import REQUIRED_GROUPS as _REQUIRED_GROUPS
from required_ids import REQUIRED_VARIABLES as _REQUIRED_VARIABLES

REQUIRED_VARIABLES = list(_REQUIRED_VARIABLES)
REQUIRED_GROUPS = list(_REQUIRED_GROUPS)
REQUIRED_CONCEPTS = list(_REQUIRED_CONCEPTS)

VARIABLES_HEADER = "id\tkind\tname\tsynonyms\tloinc\tunit\tmolar_mass\tref_low\tref_high\tref_unit"
GROUPS_HEADER = "id\tname\tsynonyms\tmembers"
CONCEPTS_HEADER = "id\tcategory\tname\tsynonyms\ticd10\tsnomed"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


def write_lexicon(
    directory: Path, variables: list[str], groups: list[str] | None = None, concepts: list[str] | None = None
) -> Path:
    (directory / "variables.tsv").write_text(
        "# test variables\n" + "\n".join([VARIABLES_HEADER, *variables]) + "\n", encoding="utf-8"
    )
    (directory / "groups.tsv").write_text("# test groups\n" + "\n".join([GROUPS_HEADER, *(groups or [])]) + "\n")
    (directory / "concepts.tsv").write_text("# c\n" + "\n".join([CONCEPTS_HEADER, *(concepts or [])]) + "\n")
    return directory


CREATININE_ROW = "creatinine\tlab\tCreatinine\tserum creatinine|Cr\t2160-0\tmg/dL\t113.12\t0.6\t1.2\tmg/dL"
ALT_ROW = "alt\tlab\tAlanine aminotransferase\tALT|SGPT\t1742-6\tU/L\t\t0\t40\tU/L"


def test_counts(lexicon: Lexicon) -> None:
    assert len(lexicon.variables) >= 170
    assert len(lexicon.concepts) >= 120
    assert len(lexicon.groups) >= 6


def test_required_ids_present(lexicon: Lexicon) -> None:
    assert [v for v in REQUIRED_VARIABLES if v not in lexicon.variables] == []
    assert [g for g in REQUIRED_GROUPS if g not in lexicon.groups] == []
    assert [c for c in REQUIRED_CONCEPTS if c not in lexicon.concepts] == []


def test_codes_are_well_formed(lexicon: Lexicon) -> None:
    for variable in lexicon.variables.values():
        for code in variable.loinc:
            assert re.fullmatch(r"\d+-\d", code), (variable.id, code)
    for concept in lexicon.concepts.values():
        for code in concept.snomed:
            assert re.fullmatch(r"[1-9]\d{5,17}", code), (concept.id, code)
        for code in concept.icd10:
            assert re.fullmatch(r"[A-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?(-[A-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?)?", code)


def test_loinc_check_digits(lexicon: Lexicon) -> None:
    """LOINC's last digit is a mod-10 check digit: a mistyped code fails it."""

    def check_digit(number: str) -> int:
        total = 0
        for position, char in enumerate(reversed(number)):
            digit = int(char) * (2 if position % 2 == 0 else 1)
            total += digit // 10 + digit % 10
        return (10 - total % 10) % 10

    bad = [
        (v.id, code)
        for v in lexicon.variables.values()
        for code in v.loinc
        if check_digit(code.split("-")[0]) != int(code.split("-")[1])
    ]
    assert bad == []


def test_kinds_categories_and_units(lexicon: Lexicon) -> None:
    assert {v.kind for v in lexicon.variables.values()} <= {
        "lab",
        "vital",
        "score",
        "anthropometric",
        "demographic",
        "other",
    }
    assert {c.category for c in lexicon.concepts.values()} == {"condition", "state", "medication", "procedure"}
    assert lexicon.variable("ecog").unit is None
    assert lexicon.variable("egfr").unit == "mL/min/1.73m^2"
    assert lexicon.variable("age").unit == "year"


def test_variable_details(lexicon: Lexicon) -> None:
    creatinine = lexicon.variable("creatinine")
    assert creatinine.name == "Creatinine"
    assert creatinine.molar_mass == pytest.approx(113.12)
    assert creatinine.unit == "mg/dL"
    assert creatinine.loinc[0] == "2160-0"
    assert {"Cr", "serum creatinine", "Creatinine"} <= set(creatinine.synonyms)
    assert creatinine.reference is not None
    assert (creatinine.reference.low, creatinine.reference.high, creatinine.reference.unit) == (0.6, 1.2, "mg/dL")
    alt = lexicon.variable("alt")
    assert alt.reference is not None and alt.reference.high == 40 and alt.reference.unit == "U/L"
    assert lexicon.variable("glucose").molar_mass == pytest.approx(180.16)
    assert lexicon.variable("bun").molar_mass == pytest.approx(28.02)


def test_groups(lexicon: Lexicon) -> None:
    transaminases = lexicon.group("transaminases")
    assert transaminases.members == ("alt", "ast")
    for form in ("transaminase", "transaminases", "aminotransferases", "liver enzymes"):
        entry = lexicon.lookup(form)
        assert entry is not None and (entry.label, entry.id) == ("GROUP", "transaminases"), form
    # explicit lists are not group names: the parser reads them as lists, so that "ALT or AST" keeps its "or"
    for form in ("ALT/AST", "ALT or AST", "ALT and AST"):
        assert lexicon.lookup(form) is None, form
    assert set(lexicon.group("liver_function_tests").members) >= {
        "alt",
        "ast",
        "total_bilirubin",
        "alkaline_phosphatase",
    }
    assert "creatinine" in lexicon.group("renal_function").members
    for group in lexicon.groups.values():
        assert all(member in lexicon.variables for member in group.members)


@pytest.mark.parametrize(
    ("text", "label", "entry_id"),
    [
        ("ALT", "VARIABLE", "alt"),
        ("SGPT", "VARIABLE", "alt"),
        ("alanine transaminase", "VARIABLE", "alt"),
        ("serum creatinine", "VARIABLE", "creatinine"),
        ("creatinine", "VARIABLE", "creatinine"),
        ("Cr", "VARIABLE", "creatinine"),
        ("haemoglobin", "VARIABLE", "hemoglobin"),
        ("Hb", "VARIABLE", "hemoglobin"),
        ("HbA1c", "VARIABLE", "hba1c"),
        ("HBA1C", "VARIABLE", "hba1c"),
        ("CrCl", "VARIABLE", "creatinine_clearance"),
        ("eGFR", "VARIABLE", "egfr"),
        ("QTcF", "VARIABLE", "qtc"),
        ("Body Mass Index", "VARIABLE", "bmi"),
        ("Eastern Cooperative Oncology Group performance status", "VARIABLE", "ecog"),
        ("KPS", "VARIABLE", "karnofsky"),
        ("transaminases", "GROUP", "transaminases"),
        ("Liver Enzymes", "GROUP", "transaminases"),
        ("LFTs", "GROUP", "liver_function_tests"),
        ("TB", "CONCEPT", "tuberculosis"),
        ("pulmonary tuberculosis", "CONCEPT", "tuberculosis"),
        ("breast-feeding", "CONCEPT", "breastfeeding"),
        ("lactating", "CONCEPT", "breastfeeding"),
        ("nursing", "CONCEPT", "breastfeeding"),
        ("pregnant", "CONCEPT", "pregnancy"),
        ("pregnancies", "CONCEPT", "pregnancy"),
        ("T2DM", "CONCEPT", "type_2_diabetes"),
        ("COPD", "CONCEPT", "copd"),
        ("SARS-CoV-2 infection", "CONCEPT", "covid_19"),
    ],
)
def test_synonyms_resolve(lexicon: Lexicon, text: str, label: str, entry_id: str) -> None:
    entry = lexicon.lookup(text)
    assert entry is not None, text
    assert (entry.label, entry.id) == (label, entry_id)


def test_case_rule(lexicon: Lexicon) -> None:
    assert is_case_sensitive("ALT") and is_case_sensitive("Mg") and is_case_sensitive("PT")
    assert not is_case_sensitive("creatinine") and not is_case_sensitive("hba1c") and not is_case_sensitive("NT-proBNP")
    assert lexicon.lookup("alt") is None  # "alt" is not ALT
    assert lexicon.lookup("mg") is None  # the unit, not magnesium
    assert lexicon.lookup("pt") is None
    entries = {(e.text, e.id): e for e in lexicon.phrase_entries()}
    assert entries[("ALT", "alt")].case_sensitive
    assert entries[("PT", "pt")].case_sensitive
    assert not entries[("Alanine aminotransferase", "alt")].case_sensitive
    assert not entries[("Age", "age")].case_sensitive  # display names match in any case
    assert lexicon.lookup("AGE") is not None


def test_phrase_entries_cover_all_ids_without_ambiguity(lexicon: Lexicon) -> None:
    entries = lexicon.phrase_entries()
    labels = {e.label for e in entries}
    assert labels == {"VARIABLE", "GROUP", "CONCEPT"}
    ids = {e.id for e in entries}
    assert set(lexicon.variables) | set(lexicon.groups) | set(lexicon.concepts) == ids
    meaning: dict[str, tuple[str, str]] = {}
    for entry in entries:
        key = entry.text if entry.case_sensitive else entry.text.casefold()
        assert meaning.setdefault(key, (entry.label, entry.id)) == (entry.label, entry.id), entry
    insensitive = {e.text.casefold(): e for e in entries if not e.case_sensitive}
    for entry in entries:
        if entry.case_sensitive and entry.text.casefold() in insensitive:
            assert insensitive[entry.text.casefold()].id == entry.id, entry


def test_by_loinc(lexicon: Lexicon) -> None:
    expected = {
        "8302-2": "height",
        "29463-7": "weight",
        "39156-5": "bmi",
        "8480-6": "systolic_bp",
        "8462-4": "diastolic_bp",
        "8867-4": "heart_rate",
        "9279-1": "respiratory_rate",
        "718-7": "hemoglobin",
        "4544-3": "hematocrit",
        "777-3": "platelets",
        "6690-2": "wbc",
        "2339-0": "glucose",
        "2160-0": "creatinine",
        "38483-4": "creatinine",
        "33914-3": "egfr",
        "48643-1": "egfr",
        "98979-8": "egfr",
        "4548-4": "hba1c",
        "2093-3": "total_cholesterol",
        "18262-6": "ldl_cholesterol",
        "13457-7": "ldl_cholesterol",
        "2085-9": "hdl_cholesterol",
        "2571-8": "triglycerides",
        "2951-2": "sodium",
        "6298-4": "potassium",
        "2823-3": "potassium",
        "17861-6": "calcium",
        "49765-1": "calcium",
        "2075-0": "chloride",
        "20565-8": "co2",
        "6299-2": "bun",
        "3094-0": "bun",
        "1742-6": "alt",
        "1920-8": "ast",
        "1975-2": "total_bilirubin",
        "1751-7": "albumin",
        "6768-6": "alkaline_phosphatase",
        "10230-1": "lvef",
        "8806-2": "lvef",
        "18043-0": "lvef",
        "2708-6": "oxygen_saturation",
        "59408-5": "oxygen_saturation",
        "8310-5": "temperature",
        "8636-3": "qtc",
        "72106-8": "mmse",
        "33762-6": "nt_probnp",
    }
    found = {code: (v.id if (v := lexicon.by_loinc(code)) else None) for code in expected}
    assert found == expected
    assert lexicon.by_loinc("0000-0") is None


def test_concepts_for_code(lexicon: Lexicon) -> None:
    def ids(system: str, code: str) -> set[str]:
        return {c.id for c in lexicon.concepts_for_code(system, code)}

    assert {"diabetes_mellitus", "type_2_diabetes"} <= ids("snomed", "44054006")
    assert ids("http://snomed.info/sct", "44054006") == ids("snomed", "44054006")
    assert ids("snomed", "15777000").isdisjoint({"diabetes_mellitus", "type_1_diabetes", "type_2_diabetes"})
    assert "hypertension" in ids("snomed", "38341003")
    assert "kidney_disease" in ids("snomed", "431855005")
    assert "pregnancy" in ids("snomed", "72892002")
    assert "type_2_diabetes" in ids("icd10", "E11.9")
    assert "type_2_diabetes" in ids("http://hl7.org/fhir/sid/icd-10-cm", "E1165")
    assert "type_2_diabetes" in ids("http://hl7.org/fhir/sid/icd-10", "E11")
    assert "type_2_diabetes" not in ids("icd10", "E10.9")
    assert "malignancy" in ids("icd10", "C50.911")  # inside the C00-C96 range
    assert "malignancy" not in ids("icd10", "D50.0")
    assert "pregnancy" in ids("ICD-10-CM", "O9A.11")
    assert "liver_metastases" in ids("icd10", "C78.7")
    assert lexicon.concepts_for_code("http://www.nlm.nih.gov/research/umls/rxnorm", "860975") == []
    assert lexicon.concepts_for_code("snomed", "1") == []
    with pytest.raises(CriteriaSemanticError):
        lexicon.concepts_for_code("snomd", "44054006")


def test_synthea_snomed_codes_map() -> None:
    shared = shared_dir()
    if shared is None or not (shared / "fhir" / "synthea-r4").is_dir():
        pytest.skip("shared Synthea bundles not available")
    lexicon = load_lexicon()
    wanted = {"44054006": "diabetes_mellitus", "38341003": "hypertension", "15777000": "prediabetes"}
    seen: dict[str, set[str]] = {}
    for bundle in sorted((shared / "fhir" / "synthea-r4").glob("*.json"))[:40]:
        for entry in json.loads(bundle.read_text(encoding="utf-8")).get("entry", []):
            resource = entry.get("resource", {})
            if resource.get("resourceType") != "Condition":
                continue
            for coding in resource.get("code", {}).get("coding", []):
                if coding.get("code") in wanted:
                    found = lexicon.concepts_for_code(coding["system"], coding["code"])
                    seen[coding["code"]] = {c.id for c in found}
    assert seen, "no expected codes found in the bundles"
    for code, concept_ids in seen.items():
        assert wanted[code] in concept_ids


def test_unknown_ids_raise_with_suggestions(lexicon: Lexicon) -> None:
    with pytest.raises(UnknownLexiconIdError) as caught:
        lexicon.variable("creatinin")
    assert "creatinine" in caught.value.suggestions
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, CriteriaSemanticError)
    with pytest.raises(KeyError):
        lexicon.concept("diabetes")
    with pytest.raises(KeyError):
        lexicon.group("transaminase")


def test_suggest(lexicon: Lexicon) -> None:
    assert "creatinine" in lexicon.suggest("creatinin")
    assert "haemoglobin" in [s.lower() for s in lexicon.suggest("haemoglobn")]
    assert len(lexicon.suggest("creatinin", n=2)) <= 2
    assert lexicon.suggest("zzqxv") == []


def test_default_lexicon_is_cached() -> None:
    assert load_lexicon() is load_lexicon()


def test_units_are_canonical(lexicon: Lexicon) -> None:
    units = pytest.importorskip("criteria_nlp.knowledge.units")
    for variable in lexicon.variables.values():
        for unit in (variable.unit, variable.reference.unit if variable.reference else None):
            if unit:
                assert units.normalize_unit(unit) == unit, (variable.id, unit)
        if variable.unit and variable.reference and variable.reference.unit:
            assert units.compatible(variable.reference.unit, variable.unit), variable.id


def test_small_lexicon_loads(tmp_path: Path) -> None:
    directory = write_lexicon(
        tmp_path,
        [CREATININE_ROW, ALT_ROW],
        ["liver\tLiver tests\tliver panel\talt"],
        ["tb\tcondition\tTuberculosis\tTB\tA15-A19\t56717001"],
    )
    lexicon = load_lexicon(directory)
    assert set(lexicon.variables) == {"creatinine", "alt"}
    assert lexicon.by_loinc("1742-6") is not None
    assert [c.id for c in lexicon.concepts_for_code("icd10", "A16.2")] == ["tb"]
    assert lexicon is not load_lexicon()


@pytest.mark.parametrize(
    ("variables", "groups", "concepts", "file_name", "line", "fragment"),
    [
        ([CREATININE_ROW, "alt\tlab\tALT only three fields"], None, None, "variables.tsv", 4, "fields"),
        ([CREATININE_ROW, ALT_ROW.replace("1742-6", "1742")], None, None, "variables.tsv", 4, "LOINC"),
        ([ALT_ROW.replace("\tlab\t", "\tlabs\t")], None, None, "variables.tsv", 3, "kind"),
        ([ALT_ROW.replace("U/L\t\t0", "U/L\tabc\t0")], None, None, "variables.tsv", 3, "molar_mass"),
        ([ALT_ROW.replace("\t0\t40", "\t40\t0")], None, None, "variables.tsv", 3, "backwards"),
        ([ALT_ROW.replace("ALT|SGPT", "ALT||SGPT")], None, None, "variables.tsv", 3, "empty item"),
        ([ALT_ROW.replace("alt\t", "Alt\t", 1)], None, None, "variables.tsv", 3, "snake_case"),
        ([CREATININE_ROW, ALT_ROW.replace("ALT|SGPT", "ALT|Cr")], None, None, "variables.tsv", 4, "ambiguous"),
        (
            [CREATININE_ROW, ALT_ROW.replace("ALT|SGPT", "ALT|SERUM CREATININE")],
            None,
            None,
            "variables.tsv",
            4,
            "ambiguous",
        ),
        ([CREATININE_ROW, ALT_ROW.replace("1742-6", "2160-0")], None, None, "variables.tsv", 4, "2160-0"),
        ([CREATININE_ROW, CREATININE_ROW], None, None, "variables.tsv", 4, "already defined"),
        ([ALT_ROW], ["liver\tLiver tests\t\talt|ast"], None, "groups.tsv", 3, "'ast'"),
        ([ALT_ROW], ["liver\tLiver tests\tSGPT\talt"], None, "groups.tsv", 3, "ambiguous"),
        ([ALT_ROW], None, ["tb\tdisease\tTuberculosis\tTB\t\t"], "concepts.tsv", 3, "category"),
        ([ALT_ROW], None, ["tb\tcondition\tTuberculosis\tTB\tA15.\t"], "concepts.tsv", 3, "ICD-10"),
        ([ALT_ROW], None, ["tb\tcondition\tTuberculosis\tTB\t\t5671700x"], "concepts.tsv", 3, "SNOMED"),
        ([ALT_ROW], None, ["alt\tcondition\tSomething\t\t\t"], "concepts.tsv", 3, "already defined"),
    ],
)
def test_malformed_files_name_file_and_line(
    tmp_path: Path,
    variables: list[str],
    groups: list[str] | None,
    concepts: list[str] | None,
    file_name: str,
    line: int,
    fragment: str,
) -> None:
    directory = write_lexicon(tmp_path, variables, groups, concepts)
    with pytest.raises(LexiconFileError) as caught:
        load_lexicon(directory)
    error = caught.value
    assert isinstance(error, CriteriaSemanticError)
    assert error.path.name == file_name
    assert error.line_number == line
    assert f"{file_name} line {line}" in str(error)
    assert fragment in str(error)


def test_case_sensitive_forms_may_differ_only_in_case(tmp_path: Path) -> None:
    """Two short all-caps/mixed-case forms that differ in case are distinct ("Mg" vs "MG"), not ambiguous."""
    magnesium = "magnesium\tlab\tMagnesium\tMg\t19123-9\tmg/dL\t24.305\t\t\t"
    directory = write_lexicon(tmp_path, [magnesium], None, ["myasthenia\tcondition\tMyasthenia gravis\tMG\t\t"])
    lexicon = load_lexicon(directory)
    assert lexicon.lookup("Mg") is not None and lexicon.lookup("Mg").id == "magnesium"  # type: ignore[union-attr]
    assert lexicon.lookup("MG") is not None and lexicon.lookup("MG").id == "myasthenia"  # type: ignore[union-attr]


def test_missing_header_and_file(tmp_path: Path) -> None:
    write_lexicon(tmp_path, [ALT_ROW])
    (tmp_path / "groups.tsv").write_text("# only comments\n")
    with pytest.raises(LexiconFileError, match=r"groups\.tsv"):
        load_lexicon(tmp_path)
    (tmp_path / "groups.tsv").unlink()
    with pytest.raises(LexiconFileError, match="not found"):
        load_lexicon(tmp_path)


def test_data_files_start_with_a_format_header() -> None:
    for name in ("variables.tsv", "groups.tsv", "concepts.tsv"):
        lines = corpus_path("lexicon", name).read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("#") and sum(line.startswith("#") for line in lines[:5]) == 5, name
