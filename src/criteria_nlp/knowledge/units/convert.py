"""Conversion between clinical units, with the steps taken for explanations.

Conversions that look possible but are not:

* ``%`` and ``mmol/mol`` are both dimensionless. HbA1c is reported in NGSP % and IFCC mmol/mol, related by the
  affine ``IFCC = 10.929 * (NGSP - 2.15)``; :func:`convert` applies it only for ``analyte="hba1c"`` and otherwise
  refuses to turn a ratio of amounts (mol/mol) into a plain ratio (%), instead of silently multiplying by 10.
* mass <-> amount of substance (mg/dL <-> mmol/L) needs ``molar_mass`` in g/mol.
* equivalents <-> moles (mEq/L <-> mmol/L) needs the valence, known for ``analyte`` in :data:`VALENCES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NoReturn

import pint

from criteria_nlp.errors import CriteriaSemanticError, UnknownUnitError
from criteria_nlp.knowledge.units.normalize import normalize_unit, parse_unit
from criteria_nlp.knowledge.units.registry import registry

HBA1C_IFCC_PER_NGSP = 10.929
HBA1C_NGSP_OFFSET = 2.15

VALENCES: Mapping[str, int] = {
    "sodium": 1,
    "potassium": 1,
    "chloride": 1,
    "bicarbonate": 1,
    "calcium": 2,
    "magnesium": 2,
}
"""Charge of the ion per analyte id, used to convert mEq <-> mmol."""


class IncompatibleUnitsError(CriteriaSemanticError):
    """Two units that cannot be converted into each other (with the information given)."""

    def __init__(
        self,
        message: str,
        *,
        from_unit: str | None = None,
        to_unit: str | None = None,
        from_dimension: str | None = None,
        to_dimension: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.from_unit = from_unit
        self.to_unit = to_unit
        self.from_dimension = from_dimension
        self.to_dimension = to_dimension
        super().__init__(message, **kwargs)


@dataclass(frozen=True)
class Conversion:
    """A converted value in ``unit`` (canonical spelling) and the steps that got there, for explanations."""

    value: float
    unit: str
    steps: tuple[str, ...]


def _number(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e15 else f"{value:.4e}"


def _show(value: float, unit: str) -> str:
    """A value with its unit as a reader writes it: "1 × 10^9/L", "1000/mm^3", "7 %"."""
    number = _number(value)
    if unit == "1":
        return number
    if unit.startswith("10^"):
        return f"{number} × {unit}"
    if unit.startswith("1/"):
        return f"{number}/{unit[2:]}"
    return f"{number} {unit}"


def _dimension(unit: pint.Unit) -> str:
    return str(unit.dimensionality) or "dimensionless"


def _is_amount_ratio(canonical: str) -> bool:
    """mmol/mol and the like: dimensionless, but a ratio of amounts rather than a plain fraction.

    Read from the canonical spelling because pint cancels "mol/mol" to a bare dimensionless unit.
    """
    numerator, *denominators = canonical.split("/")

    def has_substance(factors: list[str]) -> bool:
        return any("[substance]" in parse_unit(factor).dimensionality for factor in factors if factor != "1")

    return (
        parse_unit(canonical).dimensionless
        and has_substance(numerator.split("*"))
        and has_substance([factor for part in denominators for factor in part.split("*")])
    )


@dataclass(frozen=True)
class _Request:
    """The units of one :func:`convert` call as the caller wrote them and as pint reads them, for its errors."""

    from_unit: str
    to_unit: str
    source: pint.Unit
    target: pint.Unit

    def refuse(self, hint: str) -> NoReturn:
        from_dimension, to_dimension = _dimension(self.source), _dimension(self.target)
        raise IncompatibleUnitsError(
            f"cannot convert {self.from_unit!r} ({from_dimension}) to {self.to_unit!r} ({to_dimension})"
            + (f": {hint}" if hint else ""),
            from_unit=self.from_unit,
            to_unit=self.to_unit,
            from_dimension=from_dimension,
            to_dimension=to_dimension,
        )


def _hba1c(value: float, source: str, target: str) -> Conversion:
    ureg = registry()
    if _is_amount_ratio(target):
        ngsp = ureg.Quantity(value, source).to("%").magnitude
        ifcc = HBA1C_IFCC_PER_NGSP * (ngsp - HBA1C_NGSP_OFFSET)
        steps = [
            f"HbA1c NGSP {_show(ngsp, '%')} -> IFCC: {HBA1C_IFCC_PER_NGSP} × ({_number(ngsp)} − {HBA1C_NGSP_OFFSET})"
            f" = {_show(ifcc, 'mmol/mol')}"
        ]
        result = float(ureg.Quantity(ifcc, "mmol/mol").to(target).magnitude)
        if target != "mmol/mol":
            steps.append(f"{_show(ifcc, 'mmol/mol')} = {_show(result, target)}")
    else:
        ifcc = ureg.Quantity(value, source).to("mmol/mol").magnitude
        ngsp = ifcc / HBA1C_IFCC_PER_NGSP + HBA1C_NGSP_OFFSET
        steps = [
            f"HbA1c IFCC {_show(ifcc, 'mmol/mol')} -> NGSP: {_number(ifcc)} / {HBA1C_IFCC_PER_NGSP} + "
            f"{HBA1C_NGSP_OFFSET} = {_show(ngsp, '%')}"
        ]
        result = float(ureg.Quantity(ngsp, "%").to(target).magnitude)
        if target != "%":
            steps.append(f"{_show(ngsp, '%')} = {_show(result, target)}")
    return Conversion(result, target, tuple(steps))


def _same_kind(
    value: float, unit: str, target: str, molar_mass: float | None, analyte: str | None, request: _Request
) -> tuple[float, list[str]]:
    """``value`` in ``unit`` expressed in ``target`` (equivalents already bridged), by molar mass where needed."""
    ureg = registry()
    quantity = ureg.Quantity(value, unit)
    target_unit = parse_unit(target)
    ratio = quantity.dimensionality / target_unit.dimensionality
    mass_per_substance = {"[mass]": 1, "[substance]": -1}
    if ratio in ({"[substance]": 1, "[mass]": -1}, mass_per_substance):
        if molar_mass is None or molar_mass <= 0:
            request.refuse("mass and amount of substance need a molar mass: pass molar_mass= in g/mol")
        molar = ureg.Quantity(molar_mass, "g/mol")
        by_mass = ratio != mass_per_substance
        converted = (quantity * molar if by_mass else quantity / molar).to(target_unit).magnitude
        operator = "×" if by_mass else "÷"
        named = f" ({analyte})" if analyte else ""
        step = f"{_show(value, unit)} {operator} {molar_mass:g} g/mol{named} = {_show(converted, target)}"
        return float(converted), [step]
    if quantity.dimensionality != target_unit.dimensionality:
        request.refuse("")
    try:
        converted = float(quantity.to(target_unit).magnitude)
    except (pint.DimensionalityError, pint.OffsetUnitCalculusError):
        # a temperature difference combined with another unit ("% °F") has the dimension of a temperature but no
        # absolute scale: pint cannot place it, and neither can we
        request.refuse("a temperature combined with another unit has no absolute scale")
    return converted, [f"{_show(value, unit)} = {_show(converted, target)}"] if target != unit else []


def convert(
    value: float,
    from_unit: str,
    to_unit: str,
    *,
    molar_mass: float | None = None,
    analyte: str | None = None,
) -> Conversion:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (both any known spelling), with the steps taken.

    ``molar_mass`` (g/mol) bridges mass and amount of substance; ``analyte`` (a lexicon variable id) enables the
    HbA1c NGSP/IFCC relation ("hba1c") and mEq <-> mmol for ions in :data:`VALENCES`. Raises UnknownUnitError or
    IncompatibleUnitsError; never returns a value computed from a guess.
    """
    source, target = normalize_unit(from_unit), normalize_unit(to_unit)
    source_unit, target_unit = parse_unit(source), parse_unit(target)
    request = _Request(from_unit, to_unit, source_unit, target_unit)
    analyte_id = analyte.strip().lower().replace("-", "_").replace(" ", "_") if analyte else None
    if source == target:
        return Conversion(float(value), target, ())

    source_ratio, target_ratio = _is_amount_ratio(source), _is_amount_ratio(target)
    if source_unit.dimensionless and target_unit.dimensionless and source_ratio != target_ratio:
        if analyte_id in ("hba1c", "hemoglobin_a1c", "a1c"):
            return _hba1c(float(value), source, target)
        request.refuse(
            "a ratio of amounts (mol/mol) is not a plain fraction (%); for HbA1c NGSP % <-> IFCC mmol/mol "
            "pass analyte='hba1c'"
        )

    steps: list[str] = []
    current_value, current_unit = float(value), source
    valence = VALENCES.get(analyte_id or "")
    source_eq = "[equivalent]" in source_unit.dimensionality
    target_eq = "[equivalent]" in target_unit.dimensionality
    middle_target = target
    if source_eq != target_eq:
        if valence is None:
            request.refuse(
                "equivalents and moles need the ion's valence: pass analyte= one of " + ", ".join(sorted(VALENCES))
            )
        if source_eq:
            moles_unit = source.replace("Eq", "mol")
            moles = current_value / valence
            steps.append(
                f"{_show(current_value, source)} ÷ {valence} ({analyte_id} valence) = {_show(moles, moles_unit)}"
            )
            current_value, current_unit = moles, moles_unit
        else:
            middle_target = target.replace("Eq", "mol")

    current_value, middle_steps = _same_kind(current_value, current_unit, middle_target, molar_mass, analyte, request)
    steps.extend(middle_steps)
    if middle_target != target:
        assert valence is not None
        equivalents = current_value * valence
        steps.append(
            f"{_show(current_value, middle_target)} × {valence} ({analyte_id} valence) = {_show(equivalents, target)}"
        )
        current_value = equivalents
    return Conversion(float(current_value), target, tuple(steps))


@lru_cache(maxsize=4096)
def compatible(unit: str, target_unit: str, *, molar_mass: float | None = None, analyte: str | None = None) -> bool:
    """Whether :func:`convert` would convert ``unit`` to ``target_unit`` with the same arguments (never raises)."""
    try:
        convert(1.0, unit, target_unit, molar_mass=molar_mass, analyte=analyte)
    except (IncompatibleUnitsError, UnknownUnitError):
        return False
    return True


def exceeds(value: float, unit: str, other: float, other_unit: str) -> bool:
    """Whether ``value`` in ``unit`` is more than ``other`` in ``other_unit`` ("20/50" is more than "20/320", "65
    years" more than "6 months"); False when the two cannot be compared (never raises)."""
    if not compatible(unit, other_unit):
        return False
    return convert(value, unit, other_unit).value > other
