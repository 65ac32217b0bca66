"""The patient model: everything the rule engine reads about one patient, as frozen pydantic models.

Every reader in :mod:`criteria_nlp.sources` (the library's own JSON, FHIR R4) produces a :class:`Patient`; the
library's own JSON is exactly what ``Patient.model_dump_json()`` writes (documented in
``corpora/patients/README.md``).

Record completeness: a patient's problem list, medication list and procedure list are, by default, *not* assumed
complete (``conditions_complete`` etc. are False), so the absence of a record of tuberculosis is "unknown", not
"no tuberculosis" (see :mod:`criteria_nlp.evaluate.engine`). A data source that is known to be complete sets the flags.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PatientSex = Literal["female", "male", "other", "unknown"]


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
