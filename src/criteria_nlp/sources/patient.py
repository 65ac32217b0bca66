"""Patient data as the rule engine sees it: frozen pydantic models and the loaders that build them.

Two input formats are read by :func:`load_patient`:

* a **FHIR R4 Bundle** (``"resourceType": "Bundle"``, or a bare FHIR ``Patient`` resource), read by
  :mod:`criteria_nlp.sources.fhir`;
* the library's **own JSON**: the fields of :class:`Patient` as written by ``Patient.model_dump_json()``
  (documented with examples in ``corpora/patients/README.md``).

Bad data never silently becomes a value. Malformed JSON, a file that is neither format, or a resource that cannot
be read at all raises :class:`~criteria_nlp.errors.PatientDataError` naming the file and the resource id. Values that
can be read but not trusted (a unit the registry does not know, a negative weight, a percentage above 100, a missing
date or birth date) are kept out of evaluation and recorded in ``Patient.warnings``, one sentence each naming the
resource; ``strict=True`` turns these warnings into errors.

Record completeness: a patient's problem list, medication list and procedure list are, by default, *not* assumed
complete (``conditions_complete`` etc. are False), so the absence of a record of tuberculosis is "unknown", not
"no tuberculosis" (see :mod:`criteria_nlp.evaluate.engine`). A data source that is known to be complete sets the flags.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from criteria_nlp.errors import CriteriaSemanticError, PatientDataError

if TYPE_CHECKING:
    from criteria_nlp.knowledge.lexicon import Lexicon

PatientSex = Literal["female", "male", "other", "unknown"]

LOINC_SYSTEM = "http://loinc.org"
SNOMED_SYSTEM = "http://snomed.info/sct"
ICD10_SYSTEMS = ("http://hl7.org/fhir/sid/icd-10", "http://hl7.org/fhir/sid/icd-10-cm")

# Units in which a value above 100 is impossible.
_PERCENT_UNITS = frozenset({"%", "percent"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Observation(_Frozen):
    """One measured value. ``unit`` is kept as given; ``unit_normalized`` is the pint spelling used for conversion.

    ``reference_low`` / ``reference_high`` are the observation's own reference range, in ``unit``.
    ``variable`` is the lexicon id ("creatinine"); the loaders fill it from the LOINC code when it is missing.
    """

    id: str
    variable: str | None = None
    system: str | None = None
    code: str | None = None
    display: str | None = None
    value: float | None = None
    unit: str | None = None
    unit_normalized: str | None = None
    value_text: str | None = None
    effective: datetime | None = None
    reference_low: float | None = None
    reference_high: float | None = None


class Condition(_Frozen):
    """A problem-list entry; ``clinical_status`` and ``verification_status`` use the FHIR codes ("active", ...)."""

    id: str
    system: str | None = None
    code: str | None = None
    display: str | None = None
    text: str | None = None
    onset: datetime | None = None
    abatement: datetime | None = None
    clinical_status: str | None = None
    verification_status: str | None = None
    alternate_codes: tuple[tuple[str, str], ...] = ()


class Medication(_Frozen):
    id: str
    system: str | None = None
    code: str | None = None
    display: str | None = None
    status: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    text: str | None = None


class Procedure(_Frozen):
    id: str
    system: str | None = None
    code: str | None = None
    display: str | None = None
    performed_start: datetime | None = None
    performed_end: datetime | None = None


class Patient(_Frozen):
    """Everything the rule engine reads about one patient.

    ``pregnant`` / ``breastfeeding``: True or False when recorded, None when not recorded.
    ``conditions_complete`` / ``medications_complete`` / ``procedures_complete``: the list is known to hold every
    relevant record, so a missing record means "absent" rather than "unknown".
    """

    id: str
    birth_date: date | None = None
    sex: PatientSex | None = None
    observations: tuple[Observation, ...] = ()
    conditions: tuple[Condition, ...] = ()
    medications: tuple[Medication, ...] = ()
    procedures: tuple[Procedure, ...] = ()
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    conditions_complete: bool = False
    medications_complete: bool = False
    procedures_complete: bool = False
    source: str | None = None
    warnings: tuple[str, ...] = Field(default=())


def load_patient(
    source: str | Path | Mapping[str, Any],
    *,
    validate: bool = False,
    strict: bool = False,
    lexicon: Lexicon | None = None,
) -> Patient:
    """Read one patient from a file path or an already-parsed JSON object.

    ``validate=True`` additionally validates FHIR input with fhir.resources (slow: about 0.2 s per bundle).
    ``strict=True`` raises :class:`PatientDataError` where the default records a warning.
    """
    name, data = _read_json(source)
    if not isinstance(data, dict):
        raise PatientDataError(f"{name}: expected a JSON object, found {type(data).__name__}")
    resource_type = data.get("resourceType")
    if resource_type is not None:
        from criteria_nlp.sources.fhir import patient_from_fhir

        return patient_from_fhir(data, source=name, validate=validate, strict=strict, lexicon=lexicon)
    try:
        patient = Patient.model_validate(data)
    except ValidationError as error:
        raise PatientDataError(f"{name}: not a criteria_nlp patient: {_describe_validation(error, data)}") from error
    return check_patient(patient, source=name, strict=strict, lexicon=lexicon)


def load_patients(
    directory: str | Path,
    *,
    validate: bool = False,
    strict: bool = False,
    lexicon: Lexicon | None = None,
) -> Iterator[Patient]:
    """Every patient in ``directory`` (``*.json``, sorted by name).

    FHIR bundles that describe no patient (Synthea's practitioner and hospital information bundles) are skipped;
    any other unreadable file raises :class:`PatientDataError`.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise PatientDataError(f"{folder}: not a directory")
    for path in sorted(folder.glob("*.json")):
        name, data = _read_json(path)
        if isinstance(data, dict) and data.get("resourceType") == "Bundle" and not _bundle_has_patient(data):
            continue
        yield load_patient(data, validate=validate, strict=strict, lexicon=lexicon).model_copy(update={"source": name})


def patient_files(directory: str | Path) -> list[Path]:
    """The ``*.json`` files :func:`load_patients` would read (including skipped non-patient bundles)."""
    return sorted(Path(directory).glob("*.json"))


def check_patient(
    patient: Patient, *, source: str | None = None, strict: bool = False, lexicon: Lexicon | None = None
) -> Patient:
    """Fill derived fields (lexicon variable, normalised unit) and move untrustworthy values into warnings.

    An observation whose value is impossible (negative, or above 100 %) or whose unit is unknown keeps its place in
    the record but loses its numeric value, with a warning that names it; nothing is silently dropped.
    """
    from criteria_nlp.knowledge.lexicon import load_lexicon

    lex = lexicon if lexicon is not None else load_lexicon()
    name = source or patient.source or patient.id
    warnings = list(patient.warnings)
    observations: list[Observation] = []
    for observation in patient.observations:
        checked, problems = check_observation(observation, lex)
        for problem in problems:
            message = f"{name}: Observation {observation.id}: {problem}"
            if strict:
                raise PatientDataError(message)
            warnings.append(message)
        observations.append(checked)
    if patient.birth_date is None:
        message = f"{name}: Patient {patient.id}: no birth date; age criteria cannot be decided"
        if strict:
            raise PatientDataError(message)
        warnings.append(message)
    return patient.model_copy(
        update={"observations": tuple(observations), "warnings": tuple(dict.fromkeys(warnings)), "source": name}
    )


def check_observation(observation: Observation, lexicon: Lexicon) -> tuple[Observation, list[str]]:
    """The observation with variable and normalised unit filled in, and the problems found (empty when fine)."""
    from criteria_nlp.knowledge.units import normalize_unit

    problems: list[str] = []
    update: dict[str, Any] = {}
    variable_id = observation.variable
    if variable_id is None and observation.code and (observation.system in (None, LOINC_SYSTEM, "loinc")):
        variable = lexicon.by_loinc(observation.code)
        if variable is not None:
            variable_id = variable.id
            update["variable"] = variable_id
    elif variable_id is not None and variable_id not in lexicon.variables:
        problems.append(f"unknown variable {variable_id!r}" + _did_you_mean(lexicon.suggest(variable_id)))
    what = variable_id or observation.display or observation.code or "value"
    if observation.value is not None:
        value = observation.value
        unit = observation.unit_normalized or observation.unit
        if not math.isfinite(value):
            problems.append(f"{what} value {value!r} is not a finite number; ignored")
            update["value"] = None
        elif value < 0 and variable_id is not None and variable_id in lexicon.variables:
            problems.append(f"{what} {value:g} {observation.unit or ''} is impossible (negative); ignored".strip())
            update["value"] = None
        elif value > 100 and observation.unit in _PERCENT_UNITS:
            problems.append(f"{what} {value:g} % is impossible (above 100 %); ignored")
            update["value"] = None
        elif observation.unit is not None and observation.unit_normalized is None:
            try:
                update["unit_normalized"] = normalize_unit(observation.unit)
            except CriteriaSemanticError as error:
                # Only values the engine could use are worth a warning; others are never read.
                if variable_id is not None:
                    problems.append(f"{what} has unknown unit {observation.unit!r} ({error.message}); value ignored")
                    update["value"] = None
        elif unit is None and variable_id is not None and variable_id in lexicon.variables:
            expected = lexicon.variables[variable_id].unit
            if expected is not None:
                problems.append(f"{what} {value:g} has no unit (expected a unit like {expected}); value ignored")
                update["value"] = None
    if observation.effective is None and observation.value is not None and variable_id is not None:
        problems.append(f"{what} has no date; it cannot be placed in a look-back window and is ignored")
    return (observation.model_copy(update=update) if update else observation), problems


def _did_you_mean(suggestions: list[str]) -> str:
    return f" (did you mean {', '.join(repr(s) for s in suggestions)}?)" if suggestions else ""


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


def _read_json(source: str | Path | Mapping[str, Any]) -> tuple[str, Any]:
    if isinstance(source, Mapping):
        return "<dict>", dict(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise PatientDataError(f"{path}: no such file") from error
    except (OSError, UnicodeDecodeError) as error:
        raise PatientDataError(f"{path}: cannot be read: {error}") from error
    try:
        return str(path), json.loads(text)
    except json.JSONDecodeError as error:
        raise PatientDataError(
            f"{path}: malformed JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from error


def _describe_validation(error: ValidationError, data: Mapping[str, Any]) -> str:
    """Pydantic's errors, each with the id of the resource it is about (``observations.3`` -> ``Observation o4``)."""
    messages = []
    for item in error.errors()[:5]:
        location = item["loc"]
        where = ".".join(str(part) for part in location)
        if len(location) >= 2 and isinstance(location[1], int) and isinstance(location[0], str):
            records = data.get(location[0])
            if isinstance(records, list) and location[1] < len(records) and isinstance(records[location[1]], dict):
                resource_id = records[location[1]].get("id")
                if resource_id is not None:
                    where += f" (id {resource_id})"
        messages.append(f"{where}: {item['msg']}")
    more = len(error.errors()) - len(messages)
    return "; ".join(messages) + (f"; and {more} more" if more > 0 else "")
