"""Lookup tables computed when compiling, from the distinct values a population holds, by the Python engine's own
functions: so that what SQL cannot say the same way (unit conversion with pint, code systems named any way, ICD-10
ranges, word-boundary text matches, the lexicon's LOINC index) is decided once per distinct value, identically.

- ``cnl_obs``: (variable, system, code, unit, unit_normalized) of an observation -> the lexicon variable it counts
  for (as :class:`~criteria_nlp.evaluate.index.PatientIndex` files it) and, per conversion slot (a variable and a
  target unit), whether its value converts (``in_unit``) and the affine factors (the context's ``conversion``);
- ``cnl_recs``: (record kind, codes, text, display) of a condition, medication or procedure -> per presence slot,
  the verdict of the Python engine's own matching (``presence.candidates`` and the terminology rules of
  ``presence._with_terms``): a coded match, a text-only match (unknown at best), none; and whether the terminology
  cannot compare the record with the concept (absence then stays unknown). The rules (lexicon codes, ICD-10 ranges,
  word-boundary text matches, ids from codes or display text, ``is_a``, broader and cross-vocabulary records) are
  never written in SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from criteria_nlp.evaluate.measurements import in_unit
from criteria_nlp.evaluate.plan import MeasurementPlan, PresencePlan, ReferencePlan
from criteria_nlp.knowledge.codes import code_system
from criteria_nlp.sources.patient import Condition, Medication, Observation, Patient, Procedure

if TYPE_CHECKING:
    import pyarrow as pa

    from criteria_nlp.evaluate.context import EvaluationContext

Distinct = Callable[[str], list[tuple[Any, ...]]]
"""Runs a SELECT DISTINCT (DuckDB dialect) on the population and returns its rows."""

OBS_KEYS = ("variable", "system", "code", "unit", "unit_normalized")

DISTINCT_OBSERVATIONS = (
    "SELECT DISTINCT variable, system, code, unit, unit_normalized FROM observations WHERE effective IS NOT NULL"
)
DISTINCT_COMPARATORS = "SELECT DISTINCT comparator FROM observations WHERE comparator IS NOT NULL"
RECORD_KEYS = ("rtype", "codes_key", "text", "display")
# a record's codes in one string: its own code, then (a condition's) further codings, sorted (their order decides
# nothing: a record meets a concept when any code does, and its terminology ids are a set)
CODE_SEP, CODES_SEP, ALTERNATES_SEP = "\x1f", "\x1e", "\x1d"


def _code(at: str = "") -> str:
    return f"COALESCE({at}system, '') || CHR(31) || {at}code"


def _own(at: str = "") -> str:
    """A record's own code as written in ``codes_key`` ('' when it has none: ``PatientIndex`` skips an empty code)."""
    return f"COALESCE(CASE WHEN {at}code IS NOT NULL AND {at}code <> '' THEN {_code(at)} END, '')"


RECORD_CTES = [
    f"alt AS (SELECT patient_id, condition_id, ARRAY_TO_STRING(LIST_SORT(LIST({_code()})), CHR(30)) AS alts FROM "
    "condition_codes WHERE code IS NOT NULL AND code <> '' GROUP BY patient_id, condition_id)",
    "recs0 AS (SELECT c.patient_id, 'Condition' AS rtype, c.id, c.text, c.display, "
    f"{_own('c.')} || COALESCE(CHR(29) || a.alts, '') AS "
    "codes_key, CAST(c.onset AS DATE) AS start_day, CAST(c.abatement AS DATE) AS end_day, "
    "COALESCE(LOWER(c.clinical_status), '') AS status_l, COALESCE(LOWER(c.verification_status), '') AS verif_l "
    "FROM conditions c LEFT JOIN alt a ON a.patient_id = c.patient_id AND a.condition_id = c.id UNION ALL SELECT "
    f"patient_id, 'Medication' AS rtype, id, text, display, {_own()} AS codes_key, CAST(start AS DATE) AS start_day, "
    "CAST(\"end\" AS DATE) AS end_day, COALESCE(LOWER(status), '') AS status_l, '' AS verif_l FROM medications "
    f"UNION ALL SELECT patient_id, 'Procedure' AS rtype, id, CAST(NULL AS VARCHAR) AS text, display, {_own()} AS "
    "codes_key, COALESCE(CAST(performed_start AS DATE), CAST(performed_end AS DATE)) AS start_day, "
    "COALESCE(CAST(performed_end AS DATE), CAST(performed_start AS DATE)) AS end_day, '' AS status_l, "
    "'' AS verif_l FROM procedures)",
]
DISTINCT_RECORDS = f"WITH {', '.join(RECORD_CTES)} SELECT DISTINCT {', '.join(RECORD_KEYS)} FROM recs0"


@dataclass
class Slots:
    """Conversion slots (variable, target unit) and presence columns, numbered as the compiler asks for them."""

    units: dict[tuple[str, str | None], int] = field(default_factory=dict)
    unit_plans: dict[tuple[str, str | None], MeasurementPlan | ReferencePlan] = field(default_factory=dict)
    # presence slot (plan key, category, record kinds, terminology id) -> column of the record verdicts
    records: dict[tuple[str, str, tuple[str, ...], str | None], int] = field(default_factory=dict)
    record_plans: dict[tuple[str, str, tuple[str, ...], str | None], PresencePlan] = field(default_factory=dict)

    def unit(self, plan: MeasurementPlan | ReferencePlan, target: str | None) -> int:
        key = (plan.variable, target)
        if key not in self.units:
            self.units[key] = len(self.units)
            self.unit_plans[key] = plan
        return self.units[key]

    def record(self, plan: PresencePlan) -> int:
        key = (plan.key, plan.category, plan.text_kinds, plan.term_id)
        if key not in self.records:
            self.records[key] = len(self.records)
            self.record_plans[key] = plan
        return self.records[key]


def variable_of(row: Sequence[Any], ctx: EvaluationContext) -> str | None:
    """The variable an observation is filed under (``PatientIndex.__init__``)."""
    variable, system, code = row[0], row[1], row[2]
    if variable is None and code and code_system(system) in (None, "loinc"):
        found = ctx.lexicon.by_loinc(code)
        return found.id if found is not None else None
    return variable  # type: ignore[no-any-return]


def _unit_rule(
    unit: str | None, normalized: str | None, target: str | None, plan: MeasurementPlan | ReferencePlan, ctx: Any
) -> tuple[bool, float | None, float | None]:
    """(converts, slope, offset) of a value in ``unit`` to ``target``, by ``in_unit`` itself."""
    probe = Observation(id="probe", value=1.0, unit=unit, unit_normalized=normalized)
    if isinstance(in_unit(probe, None, target, plan, ctx), str):
        return False, None, None
    source = normalized if normalized is not None or unit is None else ctx.normalized_unit(unit)
    if target is None or source is None or source == target:
        return True, 1.0, 0.0
    conversion = ctx.conversion(source, target, ctx.lexicon.variables.get(plan.variable))
    return True, conversion.slope, conversion.offset


def observation_table(
    rows: list[tuple[Any, ...]], slots: Slots, variables: set[str], ctx: EvaluationContext
) -> pa.Table:
    import pyarrow as pa

    columns: dict[str, list[Any]] = {name: [] for name in (*OBS_KEYS, "var_id")}
    for slot in range(len(slots.units)):
        for prefix in ("ok", "slope", "offset"):
            columns[f"{prefix}_{slot}"] = []
    for row in rows:
        variable = variable_of(row, ctx)
        if variable is None or variable not in variables:
            continue
        for name, value in zip(OBS_KEYS, row, strict=True):
            columns[name].append(value)
        columns["var_id"].append(variable)
        for (slot_variable, target), slot in slots.units.items():
            rule = (
                _unit_rule(row[3], row[4], target, slots.unit_plans[(slot_variable, target)], ctx)
                if slot_variable == variable
                else (None, None, None)
            )
            for prefix, value in zip(("ok", "slope", "offset"), rule, strict=True):
                columns[f"{prefix}_{slot}"].append(value)
    types = {"ok": pa.bool_(), "slope": pa.float64(), "offset": pa.float64()}
    return pa.table(
        {name: pa.array(values, type=types.get(name.split("_")[0], pa.string())) for name, values in columns.items()}
    )


def record_verdicts(rows: list[tuple[Any, ...]], slots: Slots, ctx: EvaluationContext) -> pa.Table:
    """Per distinct record (kind, codes key, text, display) and presence slot, the Python engine's own verdict:
    ``rc_n`` 1 when ``presence.candidates`` and ``_with_terms`` put it among the coded matches (the lexicon's codes,
    or terminology ids from a code or a display text named whole), 2 among the text-only ones (the concept's names,
    terminology ids from a display text with words left out, a record naming only a broader concept), else 0;
    ``ru_n`` when the terminology cannot compare it with the concept (``_unmapped``: absence stays unknown).

    The records are put in ONE patient, indexed by ``PatientIndex``: every rule the engine applies to a record
    depends on that record alone, so one index answers for all the distinct records at once."""
    import pyarrow as pa

    from criteria_nlp.evaluate.index import PatientIndex
    from criteria_nlp.evaluate.presence import _unmapped, _with_terms, candidates

    index = PatientIndex(_lookup_patient(rows), ctx.lexicon)
    verdicts: list[tuple[list[int], list[bool]]] = []
    for plan in slots.record_plans.values():
        classes, unmapped = [0] * len(rows), [False] * len(rows)
        coded, texts = candidates(plan, index)
        if plan.term_id is not None:
            coded, texts = _with_terms(plan, index, coded, texts, {})
        for records, value in ((texts, 2), (coded, 1)):
            for record in records:
                classes[int(record.id)] = value
        for record in _unmapped(plan, index):
            unmapped[int(record.id)] = True
        verdicts.append((classes, unmapped))
    keep = [n for n in range(len(rows)) if any(c[n] or u[n] for c, u in verdicts)]
    columns: dict[str, pa.Array] = {
        name: pa.array([rows[n][i] for n in keep], type=pa.string()) for i, name in enumerate(RECORD_KEYS)
    }
    for slot, (classes, unmapped) in enumerate(verdicts):
        columns[f"rc_{slot}"] = pa.array([classes[n] for n in keep], type=pa.int8())
        columns[f"ru_{slot}"] = pa.array([unmapped[n] for n in keep], type=pa.bool_())
    return pa.table(columns)


def _lookup_patient(rows: list[tuple[Any, ...]]) -> Patient:
    """One patient holding each distinct record once, its id the row number (flattened by ``PatientIndex``)."""
    conditions, medications, procedures = [], [], []
    for n, (kind, key, record_text, display) in enumerate(rows):
        own, _, alternates = key.partition(ALTERNATES_SEP)
        system, _, code = own.partition(CODE_SEP)
        common = {"id": str(n), "system": system or None, "code": code or None, "display": display}
        if kind == "Condition":
            further = tuple(_code_pair(part) for part in alternates.split(CODES_SEP) if part)
            conditions.append(Condition(**common, text=record_text, alternate_codes=further))
        elif kind == "Medication":
            medications.append(Medication(**common, text=record_text))
        else:
            procedures.append(Procedure(**common))
    return Patient(id="lookup", conditions=conditions, medications=medications, procedures=procedures)


def _code_pair(part: str) -> tuple[str, str]:
    system, _, code = part.partition(CODE_SEP)
    return system, code
