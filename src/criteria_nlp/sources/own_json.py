"""The library's own patient JSON: the fields of :class:`~criteria_nlp.sources.patient.Patient` as written by
``Patient.model_dump_json()`` (documented with examples in ``corpora/patients/README.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from criteria_nlp.errors import CriteriaError, PatientDataError
from criteria_nlp.knowledge.lexicon import Lexicon
from criteria_nlp.sources.check import check_patient
from criteria_nlp.sources.patient import Patient


class OwnJsonReader:
    """A JSON object without ``resourceType``, validated by the pydantic model (unknown keys are an error)."""

    name = "own-json"
    expected = 'the library\'s own patient JSON (a JSON object with the Patient fields, "id" required)'

    def accepts(self, data: object) -> bool:
        return isinstance(data, dict) and data.get("resourceType") is None

    def describes_patient(self, data: Mapping[str, Any]) -> bool:
        return True

    def read(self, data: Mapping[str, Any], *, source: str, strict: bool, validate: bool, lexicon: Lexicon) -> Patient:
        try:
            patient = Patient.model_validate(data)
        except ValidationError as error:
            raise PatientDataError(
                f"{source}: not a criteria_nlp patient: {_describe_validation(error, data)}"
            ) from error
        patient = _without_contradicted_units(patient, source, strict)
        return check_patient(patient, source=source, strict=strict, lexicon=lexicon)


OWN_JSON = OwnJsonReader()


def _without_contradicted_units(patient: Patient, source: str, strict: bool) -> Patient:
    """Observations whose ``unit_normalized`` is not their ``unit`` ("g/dL" written, "g/L" given as normalized) lose
    their value with a warning: the engines convert from ``unit_normalized``, so a value tenfold off would decide."""
    problems: list[str] = []
    observations = []
    for observation in patient.observations:
        written, normalized = observation.unit, observation.unit_normalized
        if observation.value is not None and written and normalized and not _same_unit(written, normalized):
            problems.append(
                f"{source}: Observation {observation.id}: unit {written!r} and unit_normalized {normalized!r} "
                "disagree; value ignored"
            )
            observation = observation.model_copy(update={"value": None, "unit_normalized": None})
        observations.append(observation)
    if not problems:
        return patient
    if strict:
        raise PatientDataError(problems[0])
    return patient.model_copy(update={"observations": tuple(observations), "warnings": (*patient.warnings, *problems)})


def _same_unit(written: str, normalized: str) -> bool:
    """Whether both spellings name one unit (a unit the registry does not know is left to the checks)."""
    from criteria_nlp.knowledge.units import normalize_unit
    from criteria_nlp.knowledge.units.convert import convert

    try:
        return abs(convert(1.0, normalize_unit(written), normalized).value - 1.0) < 1e-9
    except CriteriaError:
        return True


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
