"""FHIR R4 Bundle -> :class:`~criteria_nlp.sources.patient.Patient`.

Two paths share one mapping:

* the **fast typed reader** (default): walks the bundle's JSON dictionaries with explicit type checks. It reads a
  0.8 MB Synthea bundle in a few milliseconds, which is what screening a directory of patients needs;
* ``validate=True`` first validates the whole bundle with ``fhir.resources`` (R4B models, which read R4 bundles
  such as Synthea's); that takes about 0.2 s per bundle and turns every schema violation into a
  :class:`~criteria_nlp.errors.PatientDataError`.

Mapping:

* ``Patient``: id, ``birthDate``, ``gender``.
* ``Observation``: LOINC code -> lexicon variable (``Lexicon.by_loinc``); ``valueQuantity`` (UCUM code through
  :func:`criteria_nlp.knowledge.units.from_ucum`, falling back to the printed unit), ``valueString`` /
  ``valueCodeableConcept`` as text; ``component`` values become observations of their own (blood pressure panels
  85354-9 and Synthea's 55284-4 give systolic 8480-6 and diastolic 8462-4) with ids ``<observation id>/<code>``;
  the first ``referenceRange`` low/high (dropped with a warning when its unit differs from the value's);
  ``effectiveDateTime`` / ``effectivePeriod.start`` / ``effectiveInstant``. Observations with status
  ``entered-in-error`` or ``cancelled`` are skipped.
* ``Condition``: SNOMED CT and ICD-10 codings (the first is primary, others in ``alternate_codes``), text,
  ``clinicalStatus``, ``verificationStatus``, onset / abatement (dateTime or Period).
* ``MedicationRequest`` / ``MedicationStatement``: ``medicationCodeableConcept`` or a resolvable
  ``medicationReference``; status; start from ``effectivePeriod`` / ``effectiveDateTime`` / ``authoredOn``.
* ``Procedure``: code, ``performedDateTime`` / ``performedPeriod``; ``entered-in-error`` and ``not-done`` skipped.

Anything unreadable in a resource the engine uses is a warning naming the resource (or, with ``strict=True``,
a :class:`~criteria_nlp.errors.PatientDataError`); resources the engine does not use (Claim, Encounter, ...) are not
read at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from criteria_nlp.errors import CriteriaSemanticError, PatientDataError
from criteria_nlp.knowledge.codes import ICD10_SYSTEMS, LOINC_SYSTEM, SNOMED_SYSTEM, UCUM_SYSTEM
from criteria_nlp.knowledge.lexicon import Lexicon, load_lexicon
from criteria_nlp.sources.check import check_patient
from criteria_nlp.sources.fhir_records import abated_without_date, foreign_resource, patient_range
from criteria_nlp.sources.patient import Condition, Medication, Observation, Patient, PatientSex, Procedure

CONDITION_SYSTEMS = (SNOMED_SYSTEM, *ICD10_SYSTEMS)
_SKIPPED_OBSERVATION_STATUS = frozenset({"entered-in-error", "cancelled"})
_SKIPPED_PROCEDURE_STATUS = frozenset({"entered-in-error", "not-done"})
_GENDERS: dict[str, PatientSex] = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}


class _ResourceReader:
    """Reads one bundle; collects warnings (or raises when strict)."""

    def __init__(self, source: str, strict: bool, lexicon: Lexicon) -> None:
        self.source = source
        self.strict = strict
        self.lexicon = lexicon
        self.warnings: list[str] = []
        self.sex: str | None = None  # the patient's, to choose among sex-specific reference ranges

    def problem(self, resource_type: str, resource_id: str, message: str) -> None:
        text = f"{self.source}: {resource_type} {resource_id}: {message}"
        if self.strict:
            raise PatientDataError(text)
        self.warnings.append(text)

    # --- primitives -------------------------------------------------------------------------------------------
    def datetime_of(self, value: Any, resource_type: str, resource_id: str, field: str) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(resource_type, resource_id, f"{field} is not a date string: {value!r}")
            return None
        parsed = parse_fhir_datetime(value)
        if parsed is None:
            self.problem(resource_type, resource_id, f"{field} {value!r} is not a FHIR date/dateTime")
        return parsed

    def codings(self, concept: Any) -> list[tuple[str, str, str | None]]:
        if not isinstance(concept, dict):
            return []
        result = []
        for coding in concept.get("coding") or ():
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                system = coding.get("system") if isinstance(coding.get("system"), str) else ""
                display = coding.get("display") if isinstance(coding.get("display"), str) else None
                result.append((system or "", coding["code"], display))
        return result

    @staticmethod
    def concept_text(concept: Any) -> str | None:
        if not isinstance(concept, dict):
            return None
        text = concept.get("text")
        if isinstance(text, str):
            return text
        for coding in concept.get("coding") or ():
            if isinstance(coding, dict) and isinstance(coding.get("display"), str):
                return str(coding["display"])
        return None

    @staticmethod
    def status_code(concept: Any) -> str | None:
        if isinstance(concept, str):
            return concept
        if isinstance(concept, dict):
            for coding in concept.get("coding") or ():
                if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                    return str(coding["code"])
        return None

    # --- resources --------------------------------------------------------------------------------------------
    def patient_fields(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        resource_id = str(resource.get("id") or "?")
        fields: dict[str, Any] = {"id": resource_id, "birth_date": None}
        birth = resource.get("birthDate")
        if birth is not None:
            parsed = parse_fhir_datetime(birth) if isinstance(birth, str) else None
            if parsed is not None and isinstance(birth, str) and len(birth.strip()) > 10:
                # a date of birth is the day as written where the person was born: a time zone after it (not FHIR's
                # date type, but exported) must not move it to the UTC day (born 23:30 -05:00 is not born tomorrow)
                parsed = parse_fhir_datetime(birth.strip()[:10])
            if parsed is None:
                self.problem("Patient", resource_id, f"birthDate {birth!r} is not a FHIR date")
            else:
                fields["birth_date"] = parsed.date()
                if isinstance(birth, str) and len(birth.strip()) < 10:
                    fields["birth_date_precision"] = "year" if len(birth.strip()) == 4 else "month"
        gender = resource.get("gender")
        fields["sex"] = _GENDERS.get(gender) if isinstance(gender, str) else None
        if gender is not None and fields["sex"] is None:
            self.problem("Patient", resource_id, f"gender {gender!r} is not a FHIR AdministrativeGender")
        if isinstance(resource.get("deceasedBoolean"), bool):
            fields["deceased"] = resource["deceasedBoolean"]
        elif "deceasedDateTime" in resource:
            died = self.datetime_of(resource["deceasedDateTime"], "Patient", resource_id, "deceasedDateTime")
            fields["deceased"] = True
            fields["deceased_date"] = died.date() if died is not None else None
        return fields

    def observations(self, resource: Mapping[str, Any]) -> list[Observation]:
        resource_id = str(resource.get("id") or "?")
        if resource.get("status") in _SKIPPED_OBSERVATION_STATUS:
            return []
        effective = self.effective(resource, "Observation", resource_id)
        result = []
        if any(key.startswith("value") for key in resource) or "component" not in resource:
            observation = self.observation(resource, resource_id, effective)
            if observation is not None:
                result.append(observation)
        for component in resource.get("component") or ():
            if not isinstance(component, dict):
                self.problem("Observation", resource_id, "component is not an object")
                continue
            codes = self.codings(component.get("code"))
            suffix = codes[0][1] if codes else str(len(result))
            observation = self.observation(component, f"{resource_id}/{suffix}", effective)
            if observation is not None:
                result.append(observation)
        return result

    def effective(self, resource: Mapping[str, Any], resource_type: str, resource_id: str) -> datetime | None:
        if "effectiveDateTime" in resource:
            return self.datetime_of(resource["effectiveDateTime"], resource_type, resource_id, "effectiveDateTime")
        period = resource.get("effectivePeriod")
        if isinstance(period, dict):
            return self.datetime_of(
                period.get("start") or period.get("end"), resource_type, resource_id, "effectivePeriod"
            )
        if "effectiveInstant" in resource:
            return self.datetime_of(resource["effectiveInstant"], resource_type, resource_id, "effectiveInstant")
        return None

    def observation(
        self, element: Mapping[str, Any], resource_id: str, effective: datetime | None
    ) -> Observation | None:
        codes = self.codings(element.get("code"))
        if not codes:
            self.problem("Observation", resource_id, "has no coded code; skipped")
            return None
        loinc = next(((system, code, display) for system, code, display in codes if system == LOINC_SYSTEM), None)
        system, code, display = loinc or codes[0]
        variable = self.lexicon.by_loinc(code) if system == LOINC_SYSTEM else None
        variable_id = variable.id if variable is not None else None
        what = variable_id or display or code
        fields: dict[str, Any] = {
            "id": resource_id,
            "variable": variable_id,
            "system": system or None,
            "code": code,
            "display": display or self.concept_text(element.get("code")),
            "effective": effective,
        }
        quantity = element.get("valueQuantity")
        if isinstance(quantity, dict):
            value = quantity.get("value")
            if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
                shown = (
                    f"of about {int(value.bit_length() * 0.30103)} digits" if isinstance(value, int) else repr(value)
                )
                self.problem("Observation", resource_id, f"{what}: valueQuantity.value {shown} is not a usable number")
            else:
                unit_text = quantity.get("unit") if isinstance(quantity.get("unit"), str) else None
                ucum = quantity.get("code") if quantity.get("system") in (UCUM_SYSTEM, None) else None
                fields["unit"] = unit_text or (ucum if isinstance(ucum, str) else None)
                fields["unit_normalized"] = _normalized_unit(ucum if isinstance(ucum, str) else None, unit_text)
                fields["value"] = float(value)
                fields.update(self.quantity_checks(quantity, resource_id, what, ucum, unit_text))
                if fields["unit"] is not None and fields["unit_normalized"] is None and variable_id is not None:
                    self.problem(
                        "Observation",
                        resource_id,
                        f"{what} has unknown unit {fields['unit']!r}; value {value} ignored",
                    )
                    fields["value"] = None
                fields.update(self.reference_range(element, resource_id, what, quantity))
        elif isinstance(element.get("valueString"), str):
            fields["value_text"] = element["valueString"]
        elif isinstance(element.get("valueCodeableConcept"), dict):
            fields["value_text"] = self.concept_text(element["valueCodeableConcept"])
        elif isinstance(element.get("valueBoolean"), bool):
            fields["value_text"] = str(element["valueBoolean"]).lower()
        elif isinstance(element.get("valueInteger"), int) and _finite(element["valueInteger"]):
            fields["value"] = float(element["valueInteger"])
        return Observation(**fields)

    def quantity_checks(
        self, quantity: Mapping[str, Any], resource_id: str, what: str, ucum: Any, unit_text: str | None
    ) -> dict[str, Any]:
        """The comparator ("<", ">=": the value is an interval) and a UCUM code that contradicts the unit text."""
        found: dict[str, Any] = {}
        comparator = quantity.get("comparator")
        if comparator in ("<", "<=", ">", ">="):
            found["comparator"] = comparator
        elif comparator is not None:
            self.problem(
                "Observation",
                resource_id,
                f"{what}: comparator {comparator!r} is not one of <, <=, >, >=; value ignored",
            )
            found["value"] = None
        if isinstance(ucum, str) and unit_text and not same_unit(ucum, unit_text):
            self.problem(
                "Observation",
                resource_id,
                f"{what}: UCUM code {ucum!r} contradicts the unit text {unit_text!r}; value ignored",
            )
            found["value"] = None
        return found

    def reference_range(
        self, element: Mapping[str, Any], resource_id: str, what: str, quantity: Mapping[str, Any]
    ) -> dict[str, float]:
        ranges = element.get("referenceRange")
        if not isinstance(ranges, list) or not ranges:
            return {}
        chosen, why_none = patient_range(ranges, self.sex)
        if chosen is None:
            if why_none is not None:
                self.problem("Observation", resource_id, f"{what}: {why_none}; range ignored")
            return {}
        found: dict[str, float] = {}
        for bound in ("low", "high"):
            limit = chosen.get(bound)
            if not isinstance(limit, dict) or not isinstance(limit.get("value"), int | float):
                continue
            limit_unit = limit.get("code") or limit.get("unit")
            value_unit = quantity.get("code") or quantity.get("unit")
            if limit_unit is not None and value_unit is not None and not same_unit(limit_unit, value_unit):
                self.problem(
                    "Observation",
                    resource_id,
                    f"{what}: reference range {bound} is in {limit_unit!r}, the value in {value_unit!r}; range ignored",
                )
                return {}
            found[f"reference_{bound}"] = float(limit["value"])
        return found

    def condition(self, resource: Mapping[str, Any]) -> Condition | None:
        resource_id = str(resource.get("id") or "?")
        verification = self.status_code(resource.get("verificationStatus"))
        if verification == "entered-in-error":
            return None
        codes = self.codings(resource.get("code"))
        known = [(s, c, d) for s, c, d in codes if s in CONDITION_SYSTEMS]
        text = self.concept_text(resource.get("code"))
        if not codes and text is None:
            self.problem("Condition", resource_id, "has neither a code nor text; skipped")
            return None
        if any(not system for system, _, _ in codes):
            self.problem("Condition", resource_id, "a code without a system is not matched by code (only its text)")
        primary = (known or codes or [("", "", None)])[0]
        alternates = tuple(
            (s, c) for s, c, _ in (known + [x for x in codes if x not in known]) if (s, c) != primary[:2]
        )
        onset = self.time_of(resource, "onset", "Condition", resource_id)
        abatement = self.time_of(resource, "abatement", "Condition", resource_id)
        clinical = self.status_code(resource.get("clinicalStatus"))
        if clinical is None and (ended := abated_without_date(resource)) is not None:
            self.problem("Condition", resource_id, f"{ended} says it has ended (no date): read as resolved")
            clinical = "resolved"
        if onset is not None and abatement is not None and _utc(abatement) < _utc(onset):
            self.problem(
                "Condition",
                resource_id,
                f"abatement {abatement.date()} is before onset {onset.date()}; the abatement is ignored",
            )
            abatement = None
        return Condition(
            id=resource_id,
            system=primary[0] or None,
            code=primary[1] or None,
            display=primary[2],
            text=text,
            onset=onset,
            abatement=abatement,
            clinical_status=clinical,
            verification_status=verification,
            alternate_codes=alternates,
        )

    def time_of(
        self, resource: Mapping[str, Any], prefix: str, resource_type: str, resource_id: str
    ) -> datetime | None:
        if f"{prefix}DateTime" in resource:
            return self.datetime_of(resource[f"{prefix}DateTime"], resource_type, resource_id, f"{prefix}DateTime")
        period = resource.get(f"{prefix}Period")
        if isinstance(period, dict):
            field = "start" if prefix in ("onset", "performed") else "end"
            value = period.get(field) or period.get("start") or period.get("end")
            return self.datetime_of(value, resource_type, resource_id, f"{prefix}Period")
        return None

    def medication(self, resource: Mapping[str, Any], contained: Mapping[str, Mapping[str, Any]]) -> Medication | None:
        resource_type = str(resource.get("resourceType"))
        resource_id = str(resource.get("id") or "?")
        if resource.get("status") == "entered-in-error":
            return None
        concept = resource.get("medicationCodeableConcept")
        if concept is None:
            reference = resource.get("medicationReference")
            target = reference.get("reference") if isinstance(reference, dict) else None
            medication = contained.get(target) if isinstance(target, str) else None
            concept = medication.get("code") if medication is not None else None
            if concept is None:
                self.problem(resource_type, resource_id, "medication cannot be resolved; skipped")
                return None
        codes = self.codings(concept)
        system, code, display = codes[0] if codes else ("", "", None)
        period = resource.get("effectivePeriod")
        start_value = resource.get("effectiveDateTime") or resource.get("authoredOn")
        end_value = None
        if isinstance(period, dict):
            start_value = period.get("start") or start_value
            end_value = period.get("end")
        status = resource.get("status")
        return Medication(
            id=resource_id,
            system=system or None,
            code=code or None,
            display=display,
            text=self.concept_text(concept),
            status=status if isinstance(status, str) else None,
            start=self.datetime_of(start_value, resource_type, resource_id, "start"),
            end=self.datetime_of(end_value, resource_type, resource_id, "end"),
        )

    def procedure(self, resource: Mapping[str, Any]) -> Procedure | None:
        resource_id = str(resource.get("id") or "?")
        if resource.get("status") in _SKIPPED_PROCEDURE_STATUS:
            return None
        codes = self.codings(resource.get("code"))
        if not codes:
            self.problem("Procedure", resource_id, "has no coded code; skipped")
            return None
        system, code, display = codes[0]
        start = self.time_of(resource, "performed", "Procedure", resource_id)
        period = resource.get("performedPeriod")
        end = (
            self.datetime_of(period.get("end"), "Procedure", resource_id, "performedPeriod.end")
            if isinstance(period, dict)
            else start
        )
        return Procedure(
            id=resource_id,
            system=system or None,
            code=code,
            display=display or self.concept_text(resource.get("code")),
            performed_start=start,
            performed_end=end,
        )


class FhirR4Reader:
    """A FHIR R4 Bundle or a bare Patient resource: any JSON object with a ``resourceType``."""

    name = "fhir-r4"
    expected = 'a FHIR R4 Bundle or Patient resource (a JSON object with "resourceType")'

    def accepts(self, data: object) -> bool:
        return isinstance(data, dict) and data.get("resourceType") is not None

    def describes_patient(self, data: Mapping[str, Any]) -> bool:
        return data.get("resourceType") != "Bundle" or _bundle_has_patient(data)

    def read(self, data: Mapping[str, Any], *, source: str, strict: bool, validate: bool, lexicon: Lexicon) -> Patient:
        return patient_from_fhir(data, source=source, validate=validate, strict=strict, lexicon=lexicon)


FHIR_R4 = FhirR4Reader()


def patient_from_fhir(
    data: Mapping[str, Any],
    *,
    source: str = "<bundle>",
    validate: bool = False,
    strict: bool = False,
    lexicon: Lexicon | None = None,
) -> Patient:
    """A :class:`Patient` from a FHIR R4 Bundle (or a bare Patient resource) already parsed from JSON."""
    lex = lexicon if lexicon is not None else load_lexicon()
    resource_type = data.get("resourceType")
    if resource_type == "Patient":
        data = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": dict(data)}]}
    elif resource_type != "Bundle":
        raise PatientDataError(f"{source}: FHIR resourceType {resource_type!r} is not a Bundle or Patient")
    if validate:
        validate_bundle(data, source=source)
    entries, resources = _entries(data, source)
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    if not patients:
        raise PatientDataError(f"{source}: the bundle holds no Patient resource")
    if len(patients) > 1:
        ids = ", ".join(str(p.get("id")) for p in patients)
        raise PatientDataError(f"{source}: the bundle holds {len(patients)} Patient resources ({ids}); expected one")
    reader = _ResourceReader(source, strict, lex)
    fields = reader.patient_fields(patients[0])
    reader.sex = fields["sex"]
    by_reference: dict[str, Mapping[str, Any]] = {}
    for entry, resource in zip(entries, resources, strict=True):
        if resource["resourceType"] == "Medication":
            if isinstance(entry.get("fullUrl"), str):
                by_reference[entry["fullUrl"]] = resource
            by_reference[f"Medication/{resource.get('id')}"] = resource
    own = [r for r in resources if not foreign_resource(r, patients[0], entries[resources.index(patients[0])], reader)]
    patient = Patient(
        **fields,
        **_records(reader, own, by_reference),
        source=source,
        warnings=tuple(reader.warnings),
    )
    return check_patient(patient, source=source, strict=strict, lexicon=lex)


def _entries(data: Mapping[str, Any], source: str) -> tuple[list[Any], list[Mapping[str, Any]]]:
    """The bundle's entries and the resource of each; an entry without a typed resource is an error."""
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise PatientDataError(f"{source}: Bundle {data.get('id', '?')} has no entry list")
    resources: list[Mapping[str, Any]] = []
    for position, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise PatientDataError(f"{source}: Bundle entry {position} has no resource with a resourceType")
        resources.append(resource)
    return entries, resources


def _records(
    reader: _ResourceReader, resources: list[Mapping[str, Any]], by_reference: Mapping[str, Mapping[str, Any]]
) -> dict[str, tuple[Any, ...]]:
    """The patient's observations, conditions, medications and procedures, in bundle order."""
    observations: list[Observation] = []
    conditions: list[Condition] = []
    medications: list[Medication] = []
    procedures: list[Procedure] = []
    for resource in resources:
        kind = resource["resourceType"]
        if kind == "Observation":
            observations.extend(reader.observations(resource))
        elif kind == "Condition":
            condition = reader.condition(resource)
            if condition is not None:
                conditions.append(condition)
        elif kind in ("MedicationRequest", "MedicationStatement"):
            contained = dict(by_reference)
            for inner in resource.get("contained") or ():
                if isinstance(inner, dict) and inner.get("resourceType") == "Medication":
                    contained[f"#{inner.get('id')}"] = inner
            medication = reader.medication(resource, contained)
            if medication is not None:
                medications.append(medication)
        elif kind == "Procedure":
            procedure = reader.procedure(resource)
            if procedure is not None:
                procedures.append(procedure)
    return {
        "observations": tuple(observations),
        "conditions": tuple(conditions),
        "medications": tuple(medications),
        "procedures": tuple(procedures),
    }


def _bundle_has_patient(bundle: Mapping[str, Any]) -> bool:
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return False
    return any(
        isinstance(entry, dict)
        and isinstance(entry.get("resource"), dict)
        and entry["resource"].get("resourceType") == "Patient"
        for entry in entries
    )


def validate_bundle(data: Mapping[str, Any], *, source: str = "<bundle>") -> None:
    """Validate with fhir.resources (R4B models); a schema violation raises :class:`PatientDataError`."""
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        Bundle.model_validate(dict(data))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PatientDataError(
            f"{source}: not a valid FHIR R4 Bundle: {error.error_count()} problem(s), first at {where}: {first['msg']}"
        ) from error


def parse_fhir_datetime(value: str) -> datetime | None:
    """A FHIR date/dateTime/instant; partial dates ("2019", "2019-05") become the first day of the period."""
    text = value.strip()
    try:
        if len(text) == 4:
            return datetime(int(text), 1, 1)
        if len(text) == 7:
            return datetime(int(text[:4]), int(text[5:7]), 1)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed


def _finite(value: float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer of hundreds of digits
        return False


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


@cache
def same_unit(first: str, second: str) -> bool:
    """Two unit spellings (UCUM or printed) of one unit: equal after normalising, or converting by a factor of 1
    ("IU/L" and "U/L"). Spellings that cannot be read are compared as written."""
    if first == second:
        return True
    from criteria_nlp.knowledge.units import convert

    a = _normalized_unit(first, first)
    b = _normalized_unit(second, second)
    if a is None or b is None:
        return False
    if a == b:
        return True
    try:
        return abs(convert(1.0, a, b).value - 1.0) < 1e-9
    except CriteriaSemanticError:
        return False


@cache
def _normalized_unit(ucum: str | None, printed: str | None) -> str | None:
    from criteria_nlp.knowledge.units import from_ucum, normalize_unit

    if ucum:
        try:
            return from_ucum(ucum)
        except CriteriaSemanticError:
            pass
    if printed:
        try:
            return normalize_unit(printed)
        except CriteriaSemanticError:
            return None
    return None
