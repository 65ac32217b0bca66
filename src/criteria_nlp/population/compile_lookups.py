"""Lookup tables computed when compiling, from the distinct values a population holds, by the Python engine's own
functions: so that what SQL cannot say the same way (unit conversion with pint, code systems named any way, ICD-10
ranges, word-boundary text matches, the lexicon's LOINC index) is decided once per distinct value, identically.

- ``cnl_obs``: (variable, system, code, unit, unit_normalized) of an observation -> the lexicon variable it counts
  for (as :class:`~criteria_nlp.evaluate.index.PatientIndex` files it) and, per conversion slot (a variable and a
  target unit), whether its value converts (``in_unit``) and the affine factors (the context's ``conversion``);
- ``cnl_codes``: (system, code) of a record -> which concepts' code sets it belongs to (SNOMED exact, ICD-10 by
  prefix or range);
- ``cnl_texts``: (record kind, text, display) -> which concepts' names its text matches (the text-only fallback).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from criteria_nlp.evaluate.index import _joined_text
from criteria_nlp.evaluate.measurements import in_unit
from criteria_nlp.evaluate.plan import CodeSet, MeasurementPlan, PresencePlan, ReferencePlan
from criteria_nlp.knowledge.codes import code_system, icd10_in_range, icd10_key
from criteria_nlp.sources.patient import Observation

if TYPE_CHECKING:
    import pyarrow as pa

    from criteria_nlp.evaluate.context import EvaluationContext

Distinct = Callable[[str], list[tuple[Any, ...]]]
"""Runs a SELECT DISTINCT (DuckDB dialect) on the population and returns its rows."""

OBS_KEYS = ("variable", "system", "code", "unit", "unit_normalized")

DISTINCT_OBSERVATIONS = (
    "SELECT DISTINCT variable, system, code, unit, unit_normalized FROM observations "
    "WHERE effective IS NOT NULL AND value IS NOT NULL"
)
DISTINCT_CODES = (
    "SELECT DISTINCT system, code FROM (SELECT system, code FROM conditions UNION ALL SELECT system, code FROM "
    "condition_codes UNION ALL SELECT system, code FROM medications UNION ALL SELECT system, code FROM procedures) "
    "AS c WHERE code IS NOT NULL AND code <> ''"
)
DISTINCT_TEXTS = (
    "SELECT DISTINCT kind, text, display FROM (SELECT 'Condition' AS kind, text, display FROM conditions UNION ALL "
    "SELECT 'Medication' AS kind, text, display FROM medications UNION ALL SELECT 'Procedure' AS kind, "
    "CAST(NULL AS VARCHAR) AS text, display FROM procedures) AS t WHERE text IS NOT NULL OR display IS NOT NULL"
)


@dataclass
class Slots:
    """Conversion slots (variable, target unit) and presence columns, numbered as the compiler asks for them."""

    units: dict[tuple[str, str | None], int] = field(default_factory=dict)
    unit_plans: dict[tuple[str, str | None], MeasurementPlan | ReferencePlan] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)  # plan key -> column
    code_sets: dict[str, CodeSet] = field(default_factory=dict)
    texts: dict[tuple[str, tuple[str, ...]], int] = field(default_factory=dict)  # (key, record kinds) -> column
    text_plans: dict[tuple[str, tuple[str, ...]], PresencePlan] = field(default_factory=dict)

    def unit(self, plan: MeasurementPlan | ReferencePlan, target: str | None) -> int:
        key = (plan.variable, target)
        if key not in self.units:
            self.units[key] = len(self.units)
            self.unit_plans[key] = plan
        return self.units[key]

    def code(self, plan: PresencePlan) -> int | None:
        if plan.codes is None:
            return None
        if plan.key not in self.codes:
            self.codes[plan.key] = len(self.codes)
            self.code_sets[plan.key] = plan.codes
        return self.codes[plan.key]

    def text(self, plan: PresencePlan) -> int | None:
        if plan.text_pattern is None:
            return None
        key = (plan.key, plan.text_kinds)
        if key not in self.texts:
            self.texts[key] = len(self.texts)
            self.text_plans[key] = plan
        return self.texts[key]


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


def _coded(codes: CodeSet, system: str | None, code: str) -> bool:
    """``PatientIndex.coded`` for one code: SNOMED exactly, ICD-10 by prefix or range."""
    short = code_system(system)
    if short == "snomed":
        return code in codes.snomed
    if short == "icd10" and codes.icd10:
        key = icd10_key(code)
        return any(icd10_in_range(pattern, key) for pattern in codes.icd10)
    return False


def code_table(rows: list[tuple[Any, ...]], slots: Slots) -> pa.Table:
    import pyarrow as pa

    keys = list(slots.codes)
    columns: dict[str, list[Any]] = {"system": [], "code": [], **{f"k_{n}": [] for n in range(len(keys))}}
    for system, code in rows:
        found = [_coded(slots.code_sets[key], system, code) for key in keys]
        if any(found):
            columns["system"].append(system)
            columns["code"].append(code)
            for n, value in enumerate(found):
                columns[f"k_{n}"].append(value)
    return pa.table(
        {
            name: pa.array(v, type=pa.string() if name in ("system", "code") else pa.bool_())
            for name, v in columns.items()
        }
    )


def text_table(rows: list[tuple[Any, ...]], slots: Slots) -> pa.Table:
    """Texts as ``PatientIndex`` builds them (a condition's or medication's text and display joined, a procedure's
    display), lower-cased, searched with each plan's pattern within the record kinds it names."""
    import pyarrow as pa

    keys = list(slots.texts)
    columns: dict[str, list[Any]] = {
        "kind": [],
        "text": [],
        "display": [],
        **{f"t_{n}": [] for n in range(len(keys))},
    }
    for kind, text, display in rows:
        joined = (display or "") if kind == "Procedure" else _joined_text(text, display)
        lower = joined.lower()
        found = []
        for key in keys:
            plan = slots.text_plans[key]
            pattern = plan.text_pattern
            found.append(
                bool(lower) and kind in plan.text_kinds and pattern is not None and bool(pattern.search(lower))
            )
        if any(found):
            for name, value in (("kind", kind), ("text", text), ("display", display)):
                columns[name].append(value)
            for n, value in enumerate(found):
                columns[f"t_{n}"].append(value)
    return pa.table(
        {
            name: pa.array(v, type=pa.string() if name in ("kind", "text", "display") else pa.bool_())
            for name, v in columns.items()
        }
    )
