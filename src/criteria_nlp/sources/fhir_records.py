"""What a FHIR resource says about whose it is, whether it is over, and which normal range applies to the patient.

Three places where a bundle can mean something other than what its first field says, each read here so that the
reader (:mod:`criteria_nlp.sources.fhir`) never decides on a record that does not mean what it seems to mean:

* a resource whose ``subject`` (or ``patient``) names another Patient is not this patient's record (a bundle put
  together from several sources may carry a relative's or another patient's resources);
* a Condition abated as a boolean, an age, a range or a string has ended, though no date says when: with no
  ``clinicalStatus`` it would otherwise read as active;
* an Observation may carry several reference ranges (one per sex, age band or meaning: normal, therapeutic, ...):
  the first one is not necessarily the patient's normal range, and "k × ULN" must not be computed on another
  population's limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

# Codes of appliesTo that name a sex (SNOMED CT and FHIR AdministrativeGender).
_SEX_CODES = {
    "248152002": "female",
    "248153007": "male",
    "female": "female",
    "male": "male",
}
# referenceRange.type codes (http://terminology.hl7.org/CodeSystem/referencerange-meaning) that are the normal range.
_NORMAL_RANGE_TYPES = frozenset({"normal"})
_ABATEMENT_WITHOUT_DATE = ("abatementBoolean", "abatementAge", "abatementRange", "abatementString")


class _Problems(Protocol):
    def problem(self, resource_type: str, resource_id: str, message: str) -> None: ...


def foreign_resource(
    resource: Mapping[str, Any], patient: Mapping[str, Any], patient_entry: Any, reader: _Problems
) -> bool:
    """True (with a warning through ``reader``) when the resource is surely about another patient: it is skipped."""
    patient_id = str(patient.get("id") or "?")
    url = patient_entry.get("fullUrl") if isinstance(patient_entry, dict) else None
    other = other_patient_reference(resource, patient_id, url if isinstance(url, str) else None)
    if other is None:
        return False
    reader.problem(
        str(resource["resourceType"]),
        str(resource.get("id") or "?"),
        f"is about {other}, not Patient {patient_id}; skipped",
    )
    return True


def other_patient_reference(resource: Mapping[str, Any], patient_id: str, patient_url: str | None) -> str | None:
    """The reference of the resource's ``subject`` / ``patient`` when it surely names another Patient, else None.

    A reference is surely another patient's when it is a relative or absolute ``Patient/<id>`` with another id, or a
    ``urn:uuid:`` other than the patient entry's ``fullUrl`` (and other than ``urn:uuid:<id>``) while that entry has
    a ``urn:uuid:`` ``fullUrl`` too. A reference that cannot be told apart (no such ``fullUrl`` to compare with)
    keeps the record.
    """
    for field in ("subject", "patient"):
        target = resource.get(field)
        reference = target.get("reference") if isinstance(target, dict) else None
        if not isinstance(reference, str) or not reference.strip():
            continue
        text = reference.strip()
        if text == patient_url:
            return None
        if text.startswith("urn:uuid:"):
            # only a bundle that names its patient by a urn:uuid too is sure that another one is someone else
            if patient_url is not None and patient_url.startswith("urn:uuid:") and text != f"urn:uuid:{patient_id}":
                return text
            return None
        parts = text.split("/")
        if len(parts) >= 2 and parts[-2] == "Patient" and parts[-1] != patient_id:
            return text
        if len(parts) >= 4 and parts[-4] == "Patient" and parts[-3] != patient_id and parts[-2] == "_history":
            return text
    return None


def abated_without_date(resource: Mapping[str, Any]) -> str | None:
    """The field that says the condition has ended without giving a date (``abatementBoolean: true``, an age, a
    range or a string), or None."""
    for field in _ABATEMENT_WITHOUT_DATE:
        value = resource.get(field)
        if field == "abatementBoolean":
            if value is True:
                return field
        elif value not in (None, "", {}):
            return field
    return None


def patient_range(ranges: Sequence[Any], sex: str | None) -> tuple[Mapping[str, Any] | None, str | None]:
    """The reference range that is this patient's normal range, and why none could be chosen (or None).

    Ranges of another meaning (``type`` other than normal: therapeutic, treatment, ...) are left out; of those left,
    the ones whose ``appliesTo`` names another sex are left out when the patient's sex is known. One range left, or
    several that agree, is the patient's; several that disagree (age bands, an unknown sex) are no range at all.
    """
    candidates = [item for item in ranges if isinstance(item, dict) and _is_normal(item)]
    if not candidates:
        dropped = [item for item in ranges if isinstance(item, dict)]
        return None, ("its reference ranges are not normal ranges" if dropped else None)
    if sex in ("female", "male"):
        fitting = [item for item in candidates if _range_sex(item) in (None, sex)]
        specific = [item for item in fitting if _range_sex(item) == sex]
        candidates = specific or fitting
    limits = {_limits(item) for item in candidates}
    if len(limits) == 1:
        return candidates[0], None
    if not candidates:
        return None, "no reference range applies to the patient's sex"
    return None, f"{len(candidates)} reference ranges disagree and none is surely the patient's"


def _is_normal(item: Mapping[str, Any]) -> bool:
    kind = item.get("type")
    if not isinstance(kind, dict):
        return True
    codes = [c.get("code") for c in kind.get("coding") or () if isinstance(c, dict)]
    return not codes or any(code in _NORMAL_RANGE_TYPES for code in codes)


def _range_sex(item: Mapping[str, Any]) -> str | None:
    sexes = set()
    for concept in item.get("appliesTo") or ():
        if not isinstance(concept, dict):
            continue
        for coding in concept.get("coding") or ():
            if isinstance(coding, dict) and coding.get("code") in _SEX_CODES:
                sexes.add(_SEX_CODES[str(coding["code"])])
    return sexes.pop() if len(sexes) == 1 else None


def _limits(item: Mapping[str, Any]) -> tuple[Any, ...]:
    found: list[Any] = []
    for bound in ("low", "high"):
        limit = item.get(bound)
        found.append((limit.get("value"), limit.get("code") or limit.get("unit")) if isinstance(limit, dict) else None)
    age = item.get("age")
    found.append(repr(age) if age is not None else None)
    return tuple(found)
