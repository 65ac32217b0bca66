"""The checks every reader applies to the patient it read: derived fields filled, untrustworthy values set aside.

Bad data never silently becomes a value. Values that can be read but not trusted (a unit the registry does not know,
a negative weight, a percentage above 100, a missing date or birth date) are kept out of evaluation and recorded in
``Patient.warnings``, one sentence each naming the resource; ``strict=True`` turns these warnings into
:class:`~criteria_nlp.errors.PatientDataError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from criteria_nlp.errors import CriteriaSemanticError, PatientDataError
from criteria_nlp.knowledge.codes import LOINC_SYSTEM
from criteria_nlp.knowledge.lexicon import Lexicon
from criteria_nlp.sources.patient import Condition, Medication, Observation, Patient

# Birth dates that systems write when the real one is unknown.
_SENTINEL_BIRTH_DATES = frozenset({date(1, 1, 1), date(1900, 1, 1), date(1800, 1, 1)})
_EARLIEST_BIRTH_YEAR = 1890

# Units in which a value above 100 is impossible.
_PERCENT_UNITS = frozenset({"%", "percent"})


def check_patient(patient: Patient, *, source: str, strict: bool, lexicon: Lexicon) -> Patient:
    """Fill derived fields (lexicon variable, normalised unit, ``deceased`` from a date of death) and move
    untrustworthy values into warnings.

    An observation whose value is impossible (negative where the variable cannot be, see
    :func:`~criteria_nlp.knowledge.plausibility.may_be_negative`; or above 100 %) or whose unit is unknown keeps its
    place in the record but loses its numeric value, with a warning that names it; nothing is silently dropped.
    """
    name = source or patient.source or patient.id
    warnings = list(patient.warnings)
    observations: list[Observation] = []
    for observation in patient.observations:
        checked, problems = check_observation(observation, lexicon)
        for problem in problems:
            message = f"{name}: Observation {observation.id}: {problem}"
            if strict:
                raise PatientDataError(message)
            warnings.append(message)
        observations.append(checked)
    update: dict[str, Any] = {"observations": tuple(observations), "source": name}
    update.update(_checked_spans(patient, name, strict, warnings))
    birth = patient.birth_date
    if birth is not None and (birth in _SENTINEL_BIRTH_DATES or birth.year < _EARLIEST_BIRTH_YEAR):
        message = f"{name}: Patient {patient.id}: birth date {birth} is a placeholder, not a date; age unknown"
        if strict:
            raise PatientDataError(message)
        warnings.append(message)
        update["birth_date"] = None
    elif birth is None:
        message = f"{name}: Patient {patient.id}: no birth date; age criteria cannot be decided"
        if strict:
            raise PatientDataError(message)
        warnings.append(message)
    update.update(_checked_death(patient, name, strict, warnings))
    update["warnings"] = tuple(dict.fromkeys(warnings))
    return patient.model_copy(update=update)


def _checked_death(patient: Patient, name: str, strict: bool, warnings: list[str]) -> dict[str, Any]:
    """A date of death records a death, as FHIR's ``deceasedDateTime`` does: without ``deceased`` it sets it (the
    engines read ``deceased``; a patient dead before the index date was screened as alive). ``deceased: false`` with
    a date contradicts it: the date is kept (a warning), never a dead patient screened as eligible."""
    if patient.deceased_date is None or patient.deceased is True:
        return {}
    if patient.deceased is False:
        message = (
            f"{name}: Patient {patient.id}: deceased is false but a deceased_date ({patient.deceased_date}) is "
            "recorded; read as deceased on that date"
        )
        if strict:
            raise PatientDataError(message)
        warnings.append(message)
    return {"deceased": True}


def _checked_spans(patient: Patient, name: str, strict: bool, warnings: list[str]) -> dict[str, tuple[Any, ...]]:
    """The conditions and medications with every end before its start set aside (a warning each)."""
    update: dict[str, tuple[Any, ...]] = {}
    for field, records in (("conditions", patient.conditions), ("medications", patient.medications)):
        kept: list[Any] = []
        for record in records:
            checked, issue = _end_before_start(record)
            if issue is not None:
                message = f"{name}: {type(record).__name__} {record.id}: {issue}"
                if strict:
                    raise PatientDataError(message)
                warnings.append(message)
            kept.append(checked)
        update[field] = tuple(kept)
    return update


def _end_before_start(record: Condition | Medication) -> tuple[Condition | Medication, str | None]:
    """The record without an end that comes before its start (a data error: the end is not trusted, so the record is
    not read as over), and the problem found, or None. Days are compared: a date-only end on the day of a timed
    start is no error."""
    start, end, end_field = (
        (record.onset, record.abatement, "abatement")
        if isinstance(record, Condition)
        else (record.start, record.end, "end")
    )
    if start is None or end is None or _naive_utc(end).date() >= _naive_utc(start).date():
        return record, None
    problem = f"{end_field} {end.date()} is before its start {start.date()}; the {end_field} is ignored"
    return record.model_copy(update={end_field: None}), problem


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def check_observation(observation: Observation, lexicon: Lexicon) -> tuple[Observation, list[str]]:
    """The observation with variable and normalised unit filled in, and the problems found (empty when fine)."""
    # pint loads on the first observation with a unit, not when the package is imported
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
        elif value < 0 and variable_id is not None and _never_negative(lexicon, variable_id):
            problems.append(f"{what} {value:g} {observation.unit or ''} is impossible (negative); ignored".strip())
            update["value"] = None
        elif value > 100 and _percent(observation.unit):
            problems.append(f"{what} {value:g} % is impossible (above 100 %); ignored")
            update["value"] = None
        elif (reason := _implausible(variable_id, value, unit, lexicon)) is not None:
            problems.append(reason)
            update["value"] = None
        elif observation.unit is not None and observation.unit_normalized is None:
            try:
                update["unit_normalized"] = _unit_or_ucum(observation.unit, normalize_unit)
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
    problems.extend(_fixed_unit_and_reference(observation, update, what))
    if observation.effective is None and observation.value is not None and variable_id is not None:
        problems.append(f"{what} has no date; it cannot be placed in a look-back window and is ignored")
    return (observation.model_copy(update=update) if update else observation), problems


def _percent(unit: str | None) -> bool:
    """A percentage, also as the UCUM code with an annotation ("%{HemoglobinSaturation}")."""
    return unit is not None and (unit in _PERCENT_UNITS or unit.startswith("%{"))


def _unit_or_ucum(unit: str, normalize_unit: Callable[[str], str]) -> str:
    """The unit as printed, or else read as the UCUM code that records often copy ("{score}", "mg/dL{calc}",
    "{cells}/uL"): a printed spelling wins, the UCUM reading is only a fallback."""
    from criteria_nlp.knowledge.units import from_ucum

    try:
        return normalize_unit(unit)
    except CriteriaSemanticError as printed_error:
        try:
            return from_ucum(unit)
        except CriteriaSemanticError:
            raise printed_error from None


def _fixed_unit_and_reference(observation: Observation, update: dict[str, Any], what: str) -> list[str]:
    """The unit a LOINC code fixes (eGFR per 1.73 m²), and a reference range that cannot be real set aside."""
    from criteria_nlp.knowledge.plausibility import unit_fixed_by_code

    if observation.system in (None, LOINC_SYSTEM, "loinc"):
        fixed = unit_fixed_by_code(observation.code, update.get("unit_normalized", observation.unit_normalized))
        if fixed is not None:
            update["unit_normalized"] = fixed[0]
    low, high = observation.reference_low, observation.reference_high
    bad = (
        (low is not None and (low < 0 or not math.isfinite(low)))
        or (high is not None and (high <= 0 or not math.isfinite(high)))
        or (low is not None and high is not None and low > high)
    )
    if not bad:
        return []
    update["reference_low"] = update["reference_high"] = None
    shown = f"{'' if low is None else f'{low:g}'}-{'' if high is None else f'{high:g}'}"
    return [f"{what} reference range {shown} cannot be real (negative, high ≤ 0 or low > high); range ignored"]


def _implausible(variable_id: str | None, value: float, unit: str | None, lexicon: Lexicon) -> str | None:
    """Why a value cannot be real for its variable (haemoglobin 0 g/dL, platelets 10^7/µL), or None."""
    from criteria_nlp.knowledge.plausibility import plausible, range_text

    variable = lexicon.variables.get(variable_id or "")
    if variable is None or variable.id == "age":
        return None
    if plausible(variable, value, unit) is not False:
        return None
    return (
        f"{variable.id} {value:g} {unit or ''} is outside what {variable.name} can physically take "
        f"({range_text(variable)}); a data error: value ignored, never decided on"
    ).replace("  ", " ")


def _never_negative(lexicon: Lexicon, variable_id: str) -> bool:
    """A lexicon variable that cannot be below zero (base excess and T-scores can)."""
    from criteria_nlp.knowledge.plausibility import may_be_negative

    variable = lexicon.variables.get(variable_id)
    return variable is not None and not may_be_negative(variable)


def _did_you_mean(suggestions: list[str]) -> str:
    return f" (did you mean {', '.join(repr(s) for s in suggestions)}?)" if suggestions else ""
