from __future__ import annotations

import pytest

from criteria_nlp.knowledge.codes import (
    ATC_SYSTEM,
    ICD10_SYSTEM,
    ICD10CM_SYSTEM,
    ICD10PCS_SYSTEM,
    LOINC_SYSTEM,
    RXNORM_SYSTEM,
    SNOMED_SYSTEM,
    code_system,
    icd10_in_range,
    icd10_key,
    icd10_range,
)


@pytest.mark.parametrize(
    ("system", "short"),
    [
        # FHIR URLs, with and without a trailing slash
        (LOINC_SYSTEM, "loinc"),
        (SNOMED_SYSTEM, "snomed"),
        ("http://snomed.info/sct/", "snomed"),
        (ICD10_SYSTEM, "icd10"),
        (ICD10CM_SYSTEM, "icd10"),
        (RXNORM_SYSTEM, "rxnorm"),
        (ATC_SYSTEM, "atc"),
        # a longer name that contains the system's name: a SNOMED CT edition, a national ICD-10
        ("http://snomed.info/sct/731000124108", "snomed"),
        ("http://hl7.org/fhir/sid/icd-10-nl", "icd10"),
        # OIDs
        ("urn:oid:2.16.840.1.113883.6.1", "loinc"),
        ("urn:oid:2.16.840.1.113883.6.96", "snomed"),
        ("urn:oid:2.16.840.1.113883.6.3", "icd10"),
        ("urn:oid:2.16.840.1.113883.6.90", "icd10"),
        ("urn:oid:2.16.840.1.113883.6.88", "rxnorm"),
        ("urn:oid:2.16.840.1.113883.6.73", "atc"),
        # short names as the lexicon, the library's JSON and people write them
        ("SNOMED CT", "snomed"),
        ("snomed-ct", "snomed"),
        ("SCT", "snomed"),
        (" LOINC ", "loinc"),
        ("ICD-10", "icd10"),
        ("icd-10-cm", "icd10"),
        ("ICD10CM", "icd10"),
        ("RxNorm", "rxnorm"),
        ("ATC", "atc"),
        # OMOP: concept ids and vocabulary ids
        ("OMOP", "omop"),
        ("concept_id", "omop"),
        ("SNOMED", "snomed"),
        ("ICD10", "icd10"),
        ("RxNorm Extension", "rxnorm"),
    ],
)
def test_code_system_reads_urls_oids_and_short_names(system: str, short: str) -> None:
    assert code_system(system) == short


@pytest.mark.parametrize(
    "system", [ICD10PCS_SYSTEM, "ICD10PCS", "ICD-10-PCS", "urn:oid:2.16.840.1.113883.6.4", "icd-10-pcs 2024"]
)
def test_icd10_procedure_codes_are_not_read_as_diagnoses(system: str) -> None:
    assert code_system(system) == "icd10pcs"


@pytest.mark.parametrize(
    ("system", "short"),
    [
        ("http://example.org/codes", "http://example.org/codes"),
        ("urn:oid:1.2.3", "urn:oid:1.2.3"),
        ("MedDRA", "meddra"),  # lower-cased, never guessed
        ("snomd", "snomd"),
    ],
)
def test_unknown_systems_are_returned_as_written(system: str, short: str) -> None:
    assert code_system(system) == short


@pytest.mark.parametrize("system", [None, "", "  "])
def test_no_system_is_none(system: str | None) -> None:
    assert code_system(system) is None


def test_icd10_key_ignores_case_dots_and_spaces() -> None:
    assert icd10_key(" e11.9 ") == "E119"
    assert icd10_key("O9A.11") == "O9A11"


@pytest.mark.parametrize(
    ("pattern", "code", "inside"),
    [
        ("E11", "E11.9", True),  # a category covers its subcodes
        ("E11", "E11", True),
        ("E11.9", "E11", False),  # a subcode does not cover its category
        ("E11", "E10.9", False),
        ("E11", "E111", True),
        ("A15-A19", "A17.0", True),  # a range covers the subcodes of each category in it
        ("A15-A19", "A15", True),
        ("A15-A19", "A19.9", True),
        ("A15-A19", "A14.9", False),
        ("A15-A19", "A20", False),
        ("C00-C96", "C50.911", True),
        ("C00-C96", "D50.0", False),
        ("C00-C96", "C97", False),
        ("c00-c96", "c50.911", True),
    ],
)
def test_icd10_prefix_and_range_matching(pattern: str, code: str, inside: bool) -> None:
    assert icd10_in_range(icd10_range(pattern), icd10_key(code)) is inside


def test_icd10_range_of_a_plain_code_is_itself() -> None:
    assert icd10_range("E11.9") == ("E119", "E119")
    assert icd10_range("A15-A19") == ("A15", "A19")
