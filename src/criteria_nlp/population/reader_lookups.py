"""The patient readers' Python rules as small lookup tables, so that SQL readers apply them without a Python call
per row.

The one-patient readers decide, per observation, the lexicon variable (:meth:`Lexicon.by_loinc`), the normalised
unit (:func:`criteria_nlp.sources.fhir._normalized_unit`, pint and UCUM), whether a UCUM code contradicts its unit
text (:func:`criteria_nlp.sources.fhir.same_unit`) and which values cannot be trusted
(:func:`criteria_nlp.sources.check.check_observation`). Those rules depend on a handful of distinct values (codes,
unit spellings, variables), not on the millions of rows: a SQL reader selects the DISTINCT values found, each table
here is computed by calling the very same Python functions on them, and the reader joins it back in SQL. The SQL
part of :func:`checked_observations_sql` restates only what depends on the value itself (negative, above 100 %,
outside the physical range after the unit's affine conversion), in the order ``check_observation`` tests it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.knowledge.codes import LOINC_SYSTEM
from criteria_nlp.knowledge.lexicon import Lexicon

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

_LOINC_LIKE = (None, LOINC_SYSTEM, "loinc")


def _table(rows: list[dict[str, Any]], columns: dict[str, str]) -> pa.Table:
    import pyarrow as pa

    schema = pa.schema([(name, getattr(pa, kind)()) for name, kind in columns.items()])
    return pa.Table.from_pylist(rows, schema=schema)


def unit_table(pairs: Iterable[tuple[str | None, str | None]]) -> pa.Table:
    """(ucum, unit_text) -> unit_normalized and whether the UCUM code contradicts the text (FHIR valueQuantity)."""
    from criteria_nlp.sources.fhir import _normalized_unit, same_unit

    rows = []
    for ucum, text in pairs:
        rows.append(
            {
                "ucum": ucum,
                "unit_text": text,
                "unit_normalized": _normalized_unit(ucum, text),
                "contradicts": bool(ucum is not None and text and not same_unit(ucum, text)),
            }
        )
    return _table(rows, {"ucum": "string", "unit_text": "string", "unit_normalized": "string", "contradicts": "bool_"})


def same_unit_table(pairs: Iterable[tuple[str, str]]) -> pa.Table:
    """(first, second) -> whether the two spellings are one unit (a reference range's unit against the value's)."""
    from criteria_nlp.sources.fhir import same_unit

    rows = [{"first": a, "second": b, "same": same_unit(a, b)} for a, b in pairs]
    return _table(rows, {"first": "string", "second": "string", "same": "bool_"})


def variable_table(codes: Iterable[tuple[str | None, str | None]], lexicon: Lexicon) -> pa.Table:
    """(system, code) -> lexicon variable, for LOINC codes (or codes without a system, as check_patient reads them)."""
    rows = []
    for system, code in codes:
        variable = lexicon.by_loinc(code) if code and system in _LOINC_LIKE else None
        rows.append({"system": system, "code": code, "variable": variable.id if variable is not None else None})
    return _table(rows, {"system": "string", "code": "string", "variable": "string"})


def _fallback_unit(unit: str | None, unit_normalized: str | None) -> str | None:
    from criteria_nlp.knowledge.units import normalize_unit

    if unit is None or unit_normalized is not None:
        return None
    try:
        return normalize_unit(unit)
    except CriteriaSemanticError:
        return None


def _affine_to_variable(variable_id: str | None, unit: str | None, lexicon: Lexicon) -> tuple[float, float] | None:
    """(slope, offset) taking a value in ``unit`` to the variable's unit, when it has a physical range to test."""
    from criteria_nlp.knowledge.plausibility import has_plausible_range, in_variable_unit

    variable = lexicon.variables.get(variable_id or "")
    if variable is None or variable.id == "age" or not has_plausible_range(variable):
        return None
    zero, one = in_variable_unit(variable, 0.0, unit), in_variable_unit(variable, 1.0, unit)
    if zero is None or one is None:
        return None
    return one - zero, zero


def check_table(
    keys: Iterable[tuple[str | None, str | None, str | None, str | None, str | None]], lexicon: Lexicon
) -> pa.Table:
    """(variable, system, code, unit, unit_normalized) -> what check_observation needs beyond the value itself."""
    from criteria_nlp.knowledge.plausibility import may_be_negative, unit_fixed_by_code

    rows = []
    for variable_id, system, code, unit, normalized in keys:
        variable = lexicon.variables.get(variable_id or "")
        fallback = _fallback_unit(unit, normalized)
        affine = _affine_to_variable(variable_id, normalized or unit, lexicon)
        loinc_like = system in _LOINC_LIKE
        fixed = unit_fixed_by_code(code, normalized) if loinc_like else None
        fixed_fallback = unit_fixed_by_code(code, fallback) if loinc_like else None
        low, high = variable.plausible if variable is not None else (None, None)
        rows.append(
            {
                "variable": variable_id,
                "system": system,
                "code": code,
                "unit": unit,
                "unit_normalized": normalized,
                "known_variable": variable is not None,
                "never_negative": variable is not None and not may_be_negative(variable),
                "expects_unit": variable is not None and variable.unit is not None,
                "fallback_unit": fallback,
                "fixed_unit": fixed[0] if fixed else None,
                "fixed_fallback_unit": fixed_fallback[0] if fixed_fallback else None,
                "slope": affine[0] if affine else None,
                "offset": affine[1] if affine else None,
                "plausible_low": low if affine else None,
                "plausible_high": high if affine else None,
            }
        )
    kinds = {
        **dict.fromkeys(("variable", "system", "code", "unit", "unit_normalized"), "string"),
        **dict.fromkeys(("known_variable", "never_negative", "expects_unit"), "bool_"),
        **dict.fromkeys(("fallback_unit", "fixed_unit", "fixed_fallback_unit"), "string"),
        **dict.fromkeys(("slope", "offset", "plausible_low", "plausible_high"), "float64"),
    }
    return _table(rows, kinds)


def register_check_table(con: duckdb.DuckDBPyConnection, raw: str, name: str, lexicon: Lexicon) -> None:
    """Compute :func:`check_table` over the distinct keys of relation ``raw`` and store it as temp table ``name``."""
    keys = con.sql(f"SELECT DISTINCT variable, system, code, unit, unit_normalized FROM {raw}").fetchall()
    store(con, name, check_table(keys, lexicon))


def store(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """An Arrow table as a temp table of ``con`` (copied: the connection outlives the Python object)."""
    view = f"_arrow_{name}"
    con.register(view, table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")
    con.unregister(view)


def checked_observations_sql(raw: str, checks: str) -> str:
    """SELECT over relation ``raw`` (the observation columns of the long table, value as read) that applies
    check_observation: untrustworthy values set to NULL, the unit completed or fixed by the code, impossible
    reference ranges dropped. ``checks`` is the table :func:`register_check_table` made from ``raw``."""
    keys = " AND ".join(
        f"o.{column} IS NOT DISTINCT FROM k.{column}"
        for column in ("variable", "system", "code", "unit", "unit_normalized")
    )
    return f"""
    WITH joined AS (
      SELECT o.*, k.*  EXCLUDE (variable, system, code, unit, unit_normalized),
        coalesce(o.value < 0 AND k.never_negative, false)
          OR coalesce(o.value > 100 AND o.unit IN ('%', 'percent'), false)
          OR coalesce(k.slope IS NOT NULL AND (o.value * k.slope + k.offset < k.plausible_low
                                               OR o.value * k.slope + k.offset > k.plausible_high), false)
          AS rejected,
        o.unit IS NOT NULL AND o.unit_normalized IS NULL AS completes_unit
      FROM {raw} o LEFT JOIN {checks} k ON {keys}
    ), decided AS (
      SELECT *,
        CASE
          WHEN value IS NULL OR NOT isfinite(value) OR rejected THEN NULL
          WHEN completes_unit THEN CASE WHEN fallback_unit IS NULL AND known_variable THEN NULL ELSE value END
          WHEN unit_normalized IS NULL AND unit IS NULL AND expects_unit THEN NULL
          ELSE value
        END AS checked_value,
        value IS NOT NULL AND isfinite(value) AND NOT rejected AND completes_unit AS used_fallback,
        coalesce(reference_low < 0 OR NOT isfinite(reference_low), false)
          OR coalesce(reference_high <= 0 OR NOT isfinite(reference_high), false)
          OR coalesce(reference_low > reference_high, false) AS bad_range
      FROM joined
    )
    SELECT patient_id, id, variable, system, code, display, checked_value AS value, comparator, unit,
      CASE WHEN used_fallback THEN coalesce(fixed_fallback_unit, fallback_unit)
           ELSE coalesce(fixed_unit, unit_normalized) END AS unit_normalized,
      value_text, effective,
      CASE WHEN bad_range THEN NULL ELSE reference_low END AS reference_low,
      CASE WHEN bad_range THEN NULL ELSE reference_high END AS reference_high
    FROM decided
    """
