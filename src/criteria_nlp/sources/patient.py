"""The patient model: everything the rule engine reads about one patient, as frozen pydantic models.

Every reader in :mod:`criteria_nlp.sources` (the library's own JSON, FHIR R4) produces a :class:`Patient`; the
library's own JSON is exactly what ``Patient.model_dump_json()`` writes (documented in
``corpora/patients/README.md``).

Record completeness: a patient's problem list, medication list and procedure list are, by default, *not* assumed
complete (``conditions_complete`` etc. are False), so the absence of a record of tuberculosis is "unknown", not
"no tuberculosis" (see :mod:`criteria_nlp.evaluate.engine`). A data source that is known to be complete sets the flags.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

PatientSex = Literal["female", "male", "other", "unknown"]
Comparator = Literal["<", "<=", ">", ">="]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")


def _iso_only(value: Any) -> Any:
    """Dates are ISO 8601 strings ("2026-08-01", "2026-08-01T10:00:00Z"): a number or "20260801" would otherwise be
    read as a Unix timestamp, decades off."""
    if isinstance(value, date | datetime) or value is None:
        return value
    if not isinstance(value, str) or _ISO_DATE.fullmatch(value.strip()) is None:
        raise ValueError(f"dates are ISO 8601 strings (YYYY-MM-DD[Thh:mm:ss]), not {value!r}")
    return value


def _number_only(value: Any) -> Any:
    """A boolean is not a quantity (pydantic would read true as 1.0)."""
    if isinstance(value, bool):
        raise ValueError(f"a value is a number, not the boolean {value!r}")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_only)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]
Number = Annotated[float, BeforeValidator(_number_only)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Observation(_Frozen):
    """One measured value. ``unit`` is kept as given; ``unit_normalized`` is the pint spelling used for conversion.

    ``comparator`` (FHIR ``valueQuantity.comparator``): the value is an interval, ">10 U/L" is any value above 10.

    ``reference_low`` / ``reference_high`` are the observation's own reference range, in ``unit``.
    ``variable`` is the lexicon id ("creatinine"); the loaders fill it from the LOINC code when it is missing.
    """

    id: str
    variable: str | None = None
    system: str | None = None
    code: str | None = None
    display: str | None = None
    value: Number | None = None
    comparator: Comparator | None = None
    unit: str | None = None
    unit_normalized: str | None = None
    value_text: str | None = None
    effective: IsoDateTime | None = None
    reference_low: Number | None = None
    reference_high: Number | None = None


class Condition(_Frozen):
    """A problem-list entry; ``clinical_status`` and ``verification_status`` use the FHIR codes ("active", ...)."""

    id: str
    system: str | None = None
    code: str | None = None
    display: str | None = None
    text: str | None = None
    onset: IsoDateTime | None = None
    abatement: IsoDateTime | None = None
    clinical_status: str | None = None
    verification_status: str | None = None
    alternate_codes: tuple[tuple[str, str], ...] = ()


class Medication(_Frozen):
    id: str
    system: str | None = None
    code: str | None = None
    display: str | None = None
    status: str | None = None
    start: IsoDateTime | None = None
    end: IsoDateTime | None = None
    text: str | None = None


class Procedure(_Frozen):
    id: str
    system: str | None = None
    code: str | None = None
    display: str | None = None
    performed_start: IsoDateTime | None = None
    performed_end: IsoDateTime | None = None


class Patient(_Frozen):
    """Everything the rule engine reads about one patient.

    ``pregnant`` / ``breastfeeding``: True or False when recorded, None when not recorded.
    ``birth_date_precision``: "year" or "month" when only "2008" or "2008-12" was recorded (``birth_date`` is then
    the first day of that period, and age is an interval). ``deceased`` / ``deceased_date``: FHIR
    ``deceasedBoolean`` / ``deceasedDateTime``; a patient deceased at the index date is never eligible.
    ``conditions_complete`` / ``medications_complete`` / ``procedures_complete``: the list is known to hold every
    relevant record, so a missing record means "absent" rather than "unknown".
    """

    id: str
    birth_date: IsoDate | None = None
    birth_date_precision: Literal["year", "month", "day"] = "day"
    deceased: bool | None = None
    deceased_date: IsoDate | None = None
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
