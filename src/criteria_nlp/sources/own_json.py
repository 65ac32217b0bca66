"""The library's own patient JSON: the fields of :class:`~criteria_nlp.sources.patient.Patient` as written by
``Patient.model_dump_json()`` (documented with examples in ``corpora/patients/README.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from criteria_nlp.errors import PatientDataError
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
        return check_patient(patient, source=source, strict=strict, lexicon=lexicon)


OWN_JSON = OwnJsonReader()


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
