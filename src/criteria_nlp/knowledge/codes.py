"""Code systems: one normaliser for the ways records and data files name a system, and ICD-10 code matching.

FHIR names a system by URL ("http://snomed.info/sct"), OIDs name it by number, the lexicon's files and the
library's own JSON by a short name ("SNOMED CT", "icd-10-cm"), OMOP by its vocabulary id ("SNOMED", "ICD10CM").
:func:`code_system` maps all of them to one short id: ``loinc``, ``snomed``, ``icd10`` (ICD-10 and its clinical
modifications such as ICD-10-CM: diagnoses), ``icd10pcs`` (ICD-10-PCS: procedures, never matched as diagnoses),
``rxnorm``, ``atc``, ``omop``; a system it does not know is returned lower-cased as written (None for none), never
guessed.
"""

from __future__ import annotations

from functools import lru_cache

LOINC_SYSTEM = "http://loinc.org"
SNOMED_SYSTEM = "http://snomed.info/sct"
ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC_SYSTEM = "http://www.whocc.no/atc"
UCUM_SYSTEM = "http://unitsofmeasure.org"
ICD10PCS_SYSTEM = "http://www.cms.gov/Medicare/Coding/ICD10"
ICD10_SYSTEMS = (ICD10_SYSTEM, ICD10CM_SYSTEM)

# exact spellings (lower case, without a trailing slash) first; then the words a longer name contains
_EXACT: dict[str, str] = {
    **dict.fromkeys(("loinc", LOINC_SYSTEM, "urn:oid:2.16.840.1.113883.6.1"), "loinc"),
    **dict.fromkeys(
        ("snomed", "snomedct", "snomed-ct", "snomed ct", "sct", SNOMED_SYSTEM, "urn:oid:2.16.840.1.113883.6.96"),
        "snomed",
    ),
    **dict.fromkeys(
        (
            "icd10",
            "icd-10",
            "icd10cm",
            "icd-10-cm",
            "icd10-cm",
            ICD10_SYSTEM,
            ICD10CM_SYSTEM,
            "urn:oid:2.16.840.1.113883.6.3",
            "urn:oid:2.16.840.1.113883.6.90",
        ),
        "icd10",
    ),
    # ICD-10-PCS's URL contains "icd10": named here so that the contained words below do not read it as ICD-10
    **dict.fromkeys(
        ("icd10pcs", "icd-10-pcs", "icd10-pcs", ICD10PCS_SYSTEM.lower(), "urn:oid:2.16.840.1.113883.6.4"), "icd10pcs"
    ),
    **dict.fromkeys(("rxnorm", RXNORM_SYSTEM, "urn:oid:2.16.840.1.113883.6.88"), "rxnorm"),
    **dict.fromkeys(("atc", ATC_SYSTEM, "urn:oid:2.16.840.1.113883.6.73"), "atc"),
    **dict.fromkeys(("omop", "omop concept id", "omop_concept_id", "concept_id"), "omop"),
}
_CONTAINED: tuple[tuple[str, str], ...] = (
    ("snomed", "snomed"),
    ("icd-10-pcs", "icd10pcs"),
    ("icd10pcs", "icd10pcs"),
    ("icd-10", "icd10"),
    ("icd10", "icd10"),
    ("loinc", "loinc"),
    ("rxnorm", "rxnorm"),
)


@lru_cache(maxsize=1024)
def code_system(system: str | None) -> str | None:
    """The short id of a code system named any way (URL, OID, short name); unknown systems lower-cased as written."""
    text = (system or "").strip().lower().rstrip("/")
    if not text:
        return None
    found = _EXACT.get(text)
    if found is not None:
        return found
    for word, short in _CONTAINED:
        if word in text:
            return short
    return text


def icd10_key(code: str) -> str:
    """An ICD-10 code as compared: upper case, without the dot ("e11.9" -> "E119")."""
    return code.strip().upper().replace(".", "")


def icd10_range(code: str) -> tuple[str, str]:
    """(low, high) keys of a code or a range ("A15-A19"); a plain code is the range from itself to itself."""
    low, _, high = code.partition("-")
    return icd10_key(low), icd10_key(high or low)


def icd10_in_range(pattern: tuple[str, str], key: str) -> bool:
    """Whether the code ``key`` (see :func:`icd10_key`) falls in ``pattern``, each end compared on its own length:
    "E11" covers "E119" (a prefix), "A15-A19" covers "A170"."""
    low, high = pattern
    return key[: len(low)] >= low and key[: len(high)] <= high
