"""Clinical units: one pint registry, normalisation of the spellings met in criteria and patient data, UCUM, conversion.

Canonical spellings
-------------------
:func:`normalize_unit` turns a clinical spelling into one canonical string that ``registry().parse_units`` reads.
The canonical form is ASCII, without spaces, factors joined with ``*``, every denominator factor written after its
own ``/`` and exponents as ``^N``:

==========================  ==========================================================================
written                     canonical
==========================  ==========================================================================
mg/dl, mg / dL, MG/DL       ``mg/dL``   (likewise ``g/dL``, ``g/L``, ``ng/mL``, ``pg/mL``, ``ug/L``)
µmol/L, umol/l, μmol/L      ``umol/L``  (micro is always ``u``; mcg -> ``ug``, mcL -> ``uL``)
mEq/L, meq/l                ``mEq/L``
U/L, IU/L, mIU/L, µIU/mL    ``U/L``, ``IU/L``, ``mIU/L``, ``uIU/mL`` (IU equals U, see below)
x10^9/L, 10*9/L, 10⁹/L, G/L ``10^9/L``  (``G/L`` is giga-cells per litre, never gauss per litre)
x10^3/µL, K/uL, 10*3/uL     ``10^3/uL``; x10^12/L -> ``10^12/L``; 10*6/uL, M/uL -> ``10^6/uL``
/mm3, cells/mm^3            ``1/mm^3``  (cells, copies, beats and breaths are counts and are dropped)
cells/µL, /mcL              ``1/uL``;   copies/mL -> ``1/mL``
bpm, beats/min, /min        ``1/min``
mL/min/1.73 m²              ``mL/min/1.73m^2`` (a body-surface-normalised rate, its own dimension)
mmHg, mm Hg, mm[Hg]         ``mmHg``
%, percent                  ``%``
kg/m2, kg/m², kg/m^2        ``kg/m^2``;  mg/m2 -> ``mg/m^2``;  cm3 -> ``cm^3``;  cc -> ``mL``
years old, yrs, y, year(s)  ``year``;  months, mo -> ``month``;  wks -> ``week``;  days -> ``day``
hours, hrs, hr, h           ``hour``;  minutes -> ``min``;  sec, seconds -> ``s``;  msec -> ``ms``
°C, degC / °F, degF         ``degC`` / ``degF``
lbs, in                     ``lb``, ``inch``
pack-years                  ``pack_year``
==========================  ==========================================================================

Spellings are matched case-sensitively first ("G/L" is not "g/L"). A unit made of several factors ("MG/DL") is
also matched case-insensitively; a single factor only when it is a word of three letters or more ("Years"), so
that abbreviations in running text ("MS", "PT") are not mistaken for units.

The registry
------------
:func:`registry` is pint's default registry plus ``corpora/units/clinical_units.txt`` and a preprocessor that
rewrites the canonical spellings pint cannot read by itself: a leading ``10^N`` becomes the named scale unit
``ten_pow_N``, ``1.73m^2`` becomes ``bsa_1_73m2`` and a bare ``pH`` becomes ``pH_value``.

Conversions that look possible but are not
------------------------------------------
* ``%`` and ``mmol/mol`` are both dimensionless. HbA1c is reported in NGSP % and IFCC mmol/mol, related by the
  affine ``IFCC = 10.929 * (NGSP - 2.15)``; :func:`convert` applies it only for ``analyte="hba1c"`` and otherwise
  refuses to turn a ratio of amounts (mol/mol) into a plain ratio (%), instead of silently multiplying by 10.
* mass <-> amount of substance (mg/dL <-> mmol/L) needs ``molar_mass`` in g/mol.
* equivalents <-> moles (mEq/L <-> mmol/L) needs the valence, known for ``analyte`` in :data:`VALENCES`.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, NoReturn

import pint

from criteria_nlp.errors import CriteriaSemanticError, UnknownUnitError
from criteria_nlp.resources import corpus_path

__all__ = [
    "HBA1C_IFCC_PER_NGSP",
    "HBA1C_NGSP_OFFSET",
    "VALENCES",
    "Conversion",
    "IncompatibleUnitsError",
    "compatible",
    "convert",
    "from_ucum",
    "is_unit",
    "normalize_unit",
    "parse_unit",
    "registry",
    "suggest_units",
]

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


# --- the registry -------------------------------------------------------------------------------------------------

_BSA_IN_PINT = re.compile(r"1\.73\s*m\s*(?:\^|\*\*)\s*2")
_SCALE_IN_PINT = re.compile(r"(?<![\w.])10\s*(?:\^|\*\*)\s*(\d{1,2})(?![\d.])")


def _pint_preprocessor(text: str) -> str:
    text = _BSA_IN_PINT.sub("bsa_1_73m2", text)
    text = _SCALE_IN_PINT.sub(r"ten_pow_\1", text)
    return "pH_value" if text.strip() == "pH" else text


@cache
def registry() -> pint.UnitRegistry[Any]:
    """The one pint registry of criteria_nlp: pint's defaults plus ``corpora/units/clinical_units.txt``."""
    ureg: pint.UnitRegistry[Any] = pint.UnitRegistry(preprocessors=[_pint_preprocessor])
    ureg.load_definitions(str(corpus_path("units", "clinical_units.txt")))
    return ureg


# --- normalisation tables -----------------------------------------------------------------------------------------

# One factor of a unit (no "/" inside) -> canonical factor; "" marks a count word that is dropped ("cells").
_FACTORS: dict[str, str] = {
    # mass
    "g": "g",
    "gm": "g",
    "gram": "g",
    "grams": "g",
    "mg": "mg",
    "milligram": "mg",
    "milligrams": "mg",
    "ug": "ug",
    "mcg": "ug",
    "microgram": "ug",
    "micrograms": "ug",
    "ng": "ng",
    "nanogram": "ng",
    "nanograms": "ng",
    "pg": "pg",
    "picogram": "pg",
    "picograms": "pg",
    "fg": "fg",
    "kg": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "lb": "lb",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
    # volume
    "L": "L",
    "l": "L",
    "liter": "L",
    "litre": "L",
    "liters": "L",
    "litres": "L",
    "dL": "dL",
    "dl": "dL",
    "deciliter": "dL",
    "deciliters": "dL",
    "decilitre": "dL",
    "decilitres": "dL",
    "mL": "mL",
    "ml": "mL",
    "cc": "mL",
    "milliliter": "mL",
    "milliliters": "mL",
    "millilitre": "mL",
    "millilitres": "mL",
    "uL": "uL",
    "ul": "uL",
    "mcL": "uL",
    "mcl": "uL",
    "microliter": "uL",
    "microliters": "uL",
    "microlitre": "uL",
    "microlitres": "uL",
    "nL": "nL",
    "fL": "fL",
    "fl": "fL",
    # amount of substance
    "mol": "mol",
    "mmol": "mmol",
    "millimole": "mmol",
    "millimoles": "mmol",
    "umol": "umol",
    "micromole": "umol",
    "micromoles": "umol",
    "mcmol": "umol",
    "nmol": "nmol",
    "nanomole": "nmol",
    "nanomoles": "nmol",
    "pmol": "pmol",
    "Eq": "Eq",
    "eq": "Eq",
    "mEq": "mEq",
    "meq": "mEq",
    "mEQ": "mEq",
    "uEq": "uEq",
    "ueq": "uEq",
    # enzyme activity and international units
    "U": "U",
    "unit": "U",
    "units": "U",
    "mU": "mU",
    "milliunit": "mU",
    "milliunits": "mU",
    "kU": "kU",
    "IU": "IU",
    "iu": "IU",
    "mIU": "mIU",
    "uIU": "uIU",
    "kIU": "kIU",
    "international_unit": "IU",
    # length
    "m": "m",
    "meter": "m",
    "metre": "m",
    "meters": "m",
    "metres": "m",
    "cm": "cm",
    "centimeter": "cm",
    "centimeters": "cm",
    "centimetre": "cm",
    "centimetres": "cm",
    "mm": "mm",
    "millimeter": "mm",
    "millimeters": "mm",
    "millimetre": "mm",
    "millimetres": "mm",
    "um": "um",
    "micron": "um",
    "microns": "um",
    "micrometer": "um",
    "micrometers": "um",
    "micrometre": "um",
    "micrometres": "um",
    "km": "km",
    "in": "inch",
    "inch": "inch",
    "inches": "inch",
    "ft": "ft",
    "feet": "ft",
    "foot": "ft",
    # pressure
    "mmHg": "mmHg",
    "mmHG": "mmHg",
    "mm[Hg]": "mmHg",
    "mm_Hg": "mmHg",
    "cmH2O": "cmH2O",
    "kPa": "kPa",
    "kilopascal": "kPa",
    "kilopascals": "kPa",
    "Pa": "Pa",
    # time
    "ms": "ms",
    "msec": "ms",
    "msecs": "ms",
    "millisecond": "ms",
    "milliseconds": "ms",
    "s": "s",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "min": "min",
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "h": "hour",
    "hr": "hour",
    "hrs": "hour",
    "hour": "hour",
    "hours": "hour",
    "d": "day",
    "day": "day",
    "days": "day",
    "wk": "week",
    "wks": "week",
    "week": "week",
    "weeks": "week",
    "mo": "month",
    "mos": "month",
    "mth": "month",
    "mths": "month",
    "month": "month",
    "months": "month",
    "y": "year",
    "yr": "year",
    "yrs": "year",
    "year": "year",
    "years": "year",
    # temperature
    "degC": "degC",
    "°C": "degC",
    "degF": "degF",
    "°F": "degF",
    # radiation dose
    "Gy": "Gy",
    "cGy": "cGy",
    "mGy": "mGy",
    # ratios
    "%": "%",
    "percent": "%",
    "ppm": "ppm",
    "1": "",
    # energy
    "kcal": "kcal",
    # other
    "pack_year": "pack_year",
    "1.73m^2": "1.73m^2",
    # counted things: "cells/mm3" is a count per volume
    "cell": "",
    "cells": "",
    "copy": "",
    "copies": "",
    "beat": "",
    "beats": "",
    "breath": "",
    "breaths": "",
    "drink": "",
    "drinks": "",
    "cigarette": "",
    "cigarettes": "",
}
_FACTORS_LOWER: dict[str, str] = {}
for _spelling, _canonical in _FACTORS.items():
    _FACTORS_LOWER.setdefault(_spelling.lower(), _canonical)

# Whole spellings that the factor-by-factor reading would get wrong or cannot read (after _clean()).
_WHOLE_EXACT: dict[str, str] = {
    "G/L": "10^9/L",
    "mM": "mmol/L",  # molar concentrations: millimolar, micromolar, nanomolar
    "uM": "umol/L",
    "nM": "nmol/L",
    "T/L": "10^12/L",
    "K/uL": "10^3/uL",
    "K/mcL": "10^3/uL",
    "K/mm^3": "10^3/mm^3",
    "K/mm3": "10^3/mm^3",
    "M/uL": "10^6/uL",
    "M/mcL": "10^6/uL",
    "1": "1",
    "pH": "pH",
}
_WHOLE_ANY_CASE: dict[str, str] = {
    "bpm": "1/min",
    "mm hg": "mmHg",
    "millimeters of mercury": "mmHg",
    "millimetres of mercury": "mmHg",
    "mm of mercury": "mmHg",
    "cm h2o": "cmH2O",
    "years old": "year",
    "year old": "year",
    "yrs old": "year",
    "yr old": "year",
    "years of age": "year",
    "pack-years": "pack_year",
    "pack-year": "pack_year",
    "pack years": "pack_year",
    "pack year": "pack_year",
    "packyears": "pack_year",
    "pack-yrs": "pack_year",
    "pack-yr": "pack_year",
    "pack_years": "pack_year",
    "° c": "degC",
    "deg c": "degC",
    "degrees c": "degC",
    "degrees celsius": "degC",
    "celsius": "degC",
    "° f": "degF",
    "deg f": "degF",
    "degrees f": "degF",
    "degrees fahrenheit": "degF",
    "fahrenheit": "degF",
}

# The spellings offered by suggest_units (canonical forms are added automatically).
_KNOWN_SPELLINGS: tuple[str, ...] = (
    "mg/dL", "g/dL", "g/L", "umol/L", "µmol/L", "mmol/L", "mEq/L", "U/L", "IU/L", "IU/mL", "U/mL", "ng/mL",
    "pg/mL", "µg/L", "mcg/L", "ug/mL", "mIU/L", "mIU/mL", "µIU/mL", "nmol/L", "pmol/L", "x10^9/L", "10^9/L", "G/L",
    "x10^3/µL", "10^3/uL", "K/uL", "10^6/uL", "x10^12/L", "/mm3", "cells/mm3", "cells/µL", "copies/mL", "mL/min",
    "mL/min/1.73m2", "mmHg", "bpm", "beats/min", "breaths/min", "/min", "%", "percent", "kg", "g", "lb", "cm", "m",
    "inch", "kg/m2", "ms", "msec", "sec", "min", "hours", "days", "weeks", "months", "years", "years old", "°C",
    "°F", "L", "mL", "dL", "IU", "mg", "mg/kg", "mg/m2", "Gy", "cGy", "ppm", "mm", "cm3", "pack-years", "mmol/mol",
    "mg/g", "fL", "pg", "kU/L", "mm/h", "mL/kg/min", "ug/kg/min", "mg/kg/day", "mg/day",
)  # fmt: skip

_SUPERSCRIPT_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+")
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_BSA_WRITTEN = re.compile(r"\(?\s*1\.73\s*m\s*(?:\^|\*\*)?\s*2\s*\)?")
_PLURAL_PARENS = re.compile(r"\(s\)$")
_SPACE_AROUND_OPERATOR = re.compile(r"\s*([/*^])\s*")
_PER_WORD = re.compile(r"\s+per\s+", re.IGNORECASE)
_A_PERIOD = re.compile(r"\s+an?\s+(?=(?:day|week|month|year|hour)\b)", re.IGNORECASE)  # "10 cigarettes a day"
_SQUARE_BEFORE = re.compile(r"\bsquare\s+([A-Za-z]+)", re.IGNORECASE)  # "square meter"
_POWER_WORD = re.compile(r"\s+(squared|square|cubed)\b", re.IGNORECASE)
_LEADING_SCALE = re.compile(r"^(?:[xX*]\s*)?10\s*(?:\^|\*\*|\*|[eE])\s*(\d{1,2})(?![\d.])\s*\*?\s*(.*)$")
_EXPONENT = re.compile(r"^(.*?[A-Za-z%])\^?([1-4])$")
_WORD = re.compile(r"^[A-Za-z]{3,}$")


_LOST_EXPONENT = re.compile(r"^(?:[x*]\s*)?10(3|6|9|12)\s*/(?=\s*(?:u|m|mc|n)?[lL]\b|\s*mm\^?3\b)")


def _clean(text: str) -> str:
    """Unify the typography of a unit: micro signs, superscripts, multiplication signs, spaces, "(s)", "per"."""
    text = text.strip()
    if len(text) > 1 and text.endswith(".") and text[-2].isalpha():
        text = text[:-1]  # "yrs.", "lbs.": an abbreviation's full stop
    text = _SUPERSCRIPT_RUN.sub(lambda match: "^" + match.group().translate(_SUPERSCRIPT_DIGITS), text)
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("µ", "u").replace("μ", "u").replace("×", "x").replace("·", "*").replace("⋅", "*")
    text = " ".join(text.split())
    # "x 109/L", "1.5 109/l": a superscript exponent lost in copy-paste; only before a volume, where a count of 109
    # per litre makes no sense
    text = _LOST_EXPONENT.sub(r"10^\1/", text)
    text = _PLURAL_PARENS.sub("s", text)
    text = _PER_WORD.sub("/", text)
    text = _A_PERIOD.sub("/", text)
    text = _SQUARE_BEFORE.sub(r"\1^2", text)
    text = _POWER_WORD.sub(lambda match: "^3" if match.group(1).lower() == "cubed" else "^2", text)
    text = _BSA_WRITTEN.sub("1.73m^2", text)
    return _SPACE_AROUND_OPERATOR.sub(r"\1", text)


def _canonical_factor(factor: str, any_case: bool) -> str | None:
    for candidate in (factor, factor.replace(" ", "")):
        if candidate in _FACTORS:
            return _FACTORS[candidate]
        if any_case and candidate.lower() in _FACTORS_LOWER:
            return _FACTORS_LOWER[candidate.lower()]
    match = _EXPONENT.match(factor)
    if match is None:
        return None
    base = _FACTORS.get(match.group(1))
    if base is None and any_case:
        base = _FACTORS_LOWER.get(match.group(1).lower())
    if not base or base.startswith("1.73"):
        return None
    return f"{base}^{match.group(2)}"


def _factors(part: str) -> list[str]:
    if part in ("", "1"):
        return []
    return [factor for factor in part.split("*") if factor] if "*" in part else part.split(" ")


def _compose(text: str) -> str | None:
    """Read ``text`` (already cleaned) factor by factor; None when some factor is not a unit."""
    scale = ""
    match = _LEADING_SCALE.match(text)
    if match is not None:
        scale = f"10^{int(match.group(1))}"
        text = match.group(2)
        if text and text[0] not in "/" and " " in text:
            text = text.replace(" ", "*", 1)
    parts = text.split("/")
    compound = bool(scale) or len(parts) > 1 or "*" in text or " " in text
    canonical_parts: list[list[str]] = []
    for part in parts:
        factors: list[str] = []
        for factor in _factors(part):
            any_case = compound or _WORD.match(factor) is not None
            canonical = _canonical_factor(factor, any_case)
            if canonical is None:
                return None
            if canonical:
                factors.append(canonical)
        canonical_parts.append(factors)
    numerator = ([scale] if scale else []) + canonical_parts[0]
    denominators = canonical_parts[1:]
    if any(not factors for factors in denominators):
        return None
    if not numerator and not denominators:
        return None
    if "1.73m^2" in numerator:
        return None
    result = "*".join(numerator) if numerator else "1"
    for factors in denominators:
        result += "".join("/" + factor for factor in factors)
    return result


@lru_cache(maxsize=8192)
def _lookup(text: str) -> str | None:
    """Canonical spelling of ``text`` or None; the cached core of normalize_unit and is_unit."""
    if not text or len(text) > 40:
        return None
    cleaned = _clean(text)
    canonical = _WHOLE_EXACT.get(cleaned) or _WHOLE_ANY_CASE.get(cleaned.lower()) or _compose(cleaned)
    if canonical is None:
        return None
    try:
        registry().parse_units(canonical)
    except (pint.errors.PintError, ValueError, AttributeError, TypeError):
        return None
    return canonical


@lru_cache(maxsize=8192)
def normalize_unit(text: str) -> str:
    """The canonical spelling of a clinical unit (see the module docstring); raises UnknownUnitError."""
    canonical = _lookup(text)
    if canonical is None:
        raise UnknownUnitError(f"unknown unit {text!r}", suggestions=suggest_units(text))
    return canonical


def is_unit(text: str) -> bool:
    """Whether ``text`` is a unit normalize_unit knows (cached; False instead of raising)."""
    return _lookup(text) is not None


@lru_cache(maxsize=2048)
def parse_unit(text: str) -> pint.Unit:
    """The pint unit (of :func:`registry`) for a clinical spelling; raises UnknownUnitError."""
    return registry().parse_units(normalize_unit(text))


@cache
def _suggestion_pool() -> dict[str, str]:
    pool: dict[str, str] = {}
    for spelling in (*_KNOWN_SPELLINGS, *_WHOLE_ANY_CASE, *_WHOLE_EXACT):
        canonical = _lookup(spelling)
        if canonical is not None:
            pool.setdefault(spelling, canonical)
            pool.setdefault(canonical, canonical)
    return pool


@cache
def _suggestions_by_lower() -> dict[str, str]:
    by_lower: dict[str, str] = {}
    for spelling, canonical in _suggestion_pool().items():
        by_lower.setdefault(spelling.lower(), canonical)
    return by_lower


def suggest_units(text: str, n: int = 3) -> list[str]:
    """Up to ``n`` canonical spellings close to ``text`` ("mgs/dL" -> ["mg/dL", ...]), best first."""
    return list(_suggest_units(_clean(text).lower() if text.strip() else "", n))


@lru_cache(maxsize=4096)
def _suggest_units(probe: str, n: int) -> tuple[str, ...]:
    by_lower = _suggestions_by_lower()
    # difflib's ratio 2*matches/(len(a)+len(b)) cannot reach the cutoff when the lengths differ too much
    cutoff = 0.6
    candidates = [s for s in by_lower if 2 * min(len(s), len(probe)) >= cutoff * (len(s) + len(probe))]
    suggestions: list[str] = []
    for match in difflib.get_close_matches(probe, candidates, n=4 * n, cutoff=cutoff):
        canonical = by_lower[match]
        if canonical not in suggestions:
            suggestions.append(canonical)
    return tuple(suggestions[:n])


# --- UCUM ---------------------------------------------------------------------------------------------------------

# Codes read before ucumvert: its answer is wrong for these ("pH" is picohenry, "{1.73_m2}" is dropped as an
# annotation) or they are not UCUM at all but occur in real FHIR data (Synthea's "K/uL", "(score)").
_UCUM_FALLBACKS: dict[str, str] = {
    "1": "1",
    "%": "%",
    "pH": "pH",
    "[pH]": "pH",
    "(score)": "1",
    "K/uL": "10^3/uL",
    "M/uL": "10^6/uL",
    "mm[Hg]": "mmHg",
    "Cel": "degC",
    "[degF]": "degF",
    "/min": "1/min",
    "{beats}/min": "1/min",
    "{breaths}/min": "1/min",
    "mL/min/{1.73_m2}": "mL/min/1.73m^2",
}
_UCUM_ATOMS: dict[str, str] = {
    "Cel": "degC",
    "[degF]": "degF",
    "[IU]": "IU",
    "[iU]": "IU",
    "[lb_av]": "lb",
    "[in_i]": "inch",
    "[ft_i]": "ft",
    "[ppm]": "ppm",
    "mm[Hg]": "mmHg",
    "cm[H2O]": "cmH2O",
    "a": "year",
    "mo": "month",
    "wk": "week",
    "d": "day",
    "h": "hour",
}
_UCUM_ANNOTATION_ONLY = re.compile(r"^\{[^{}]*\}$")
_UCUM_BSA = re.compile(r"/\{1\.73_?m2\}$")
_UCUM_ANNOTATION = re.compile(r"\{[^{}]*\}")
_UCUM_SCALE = re.compile(r"10[*^](\d{1,2})")
_CUSTOM_DIMENSIONS = ("[equivalent]", "[acidity]", "[body_surface_normalization]", "[tobacco_exposure]")


@cache
def _ucum_registry() -> Any:
    from ucumvert import PintUcumRegistry  # slow to build (~1 s): only when a code is not in the fallbacks

    return PintUcumRegistry()


def _ucum_as_text(code: str) -> str:
    """A UCUM code rewritten in the clinical spelling normalize_unit reads ("10*3/uL" -> "10^3/uL")."""
    code = _UCUM_SCALE.sub(r"10^\1", _UCUM_ANNOTATION.sub("", code))
    return "/".join("*".join(_ucum_factor(factor) for factor in part.split(".")) for part in code.split("/"))


def _ucum_factor(factor: str) -> str:
    if factor in _UCUM_ATOMS:
        return _UCUM_ATOMS[factor]
    for atom, clinical in _UCUM_ATOMS.items():  # a prefixed bracket atom: "m[IU]" -> "mIU"
        if atom.startswith("[") and factor.endswith(atom):
            return factor[: -len(atom)] + clinical
    return factor


def _ucumvert_as_text(quantity: Any) -> str:
    text = f"{quantity.units:~C}"
    text = re.sub(r"_10\*\*(\d+)", r"10^\1", text).replace("**", "^")
    return "/".join("*".join(_UCUM_ATOMS.get(f, f) for f in part.split("*")) for part in text.split("/"))


def _agrees_with_ucumvert(canonical: str, quantity: Any) -> bool:
    ours = registry().Quantity(1.0, canonical).to_base_units()
    theirs = quantity.to_base_units()
    our_dimension, their_dimension = str(ours.dimensionality), str(theirs.dimensionality)
    if our_dimension != their_dimension:
        # Our own dimensions (IU as U, mEq, ...) have no counterpart in ucumvert's registry.
        return any(name in our_dimension for name in _CUSTOM_DIMENSIONS) or "international_unit" in str(quantity.units)
    return math.isclose(float(ours.magnitude), float(theirs.magnitude), rel_tol=1e-9)


@lru_cache(maxsize=1024)
def from_ucum(code: str) -> str:
    """The canonical spelling of a UCUM code ("10*3/uL" -> "10^3/uL", "mm[Hg]" -> "mmHg"); UnknownUnitError.

    Known traps and non-UCUM codes seen in FHIR data come from a table first; other codes are read by ucumvert and
    rewritten into the clinical spelling, which must agree with ucumvert's reading in size and dimension. A code
    that is not valid UCUM but is a clinical spelling normalize_unit knows ("IU/L") is accepted as such.
    """
    text = code.strip()
    if text in _UCUM_FALLBACKS:
        return _UCUM_FALLBACKS[text]
    if _UCUM_ANNOTATION_ONLY.match(text):  # "{score}", "{count}": a bare annotation means the unit 1
        return "1"
    bsa_suffix = ""
    if _UCUM_BSA.search(text):
        text, bsa_suffix = _UCUM_BSA.sub("", text), "/1.73m^2"
    try:
        quantity = _ucum_registry().from_ucum(text)
        if not hasattr(quantity, "units"):
            raise TypeError(f"no unit in {text!r}")
    except Exception as error:  # ucumvert raises lark, pint and attribute errors alike for bad codes
        # Real FHIR data labels human spellings as UCUM (Synthea's "IU/L" instead of "[IU]/L"): read them as such.
        lenient = _lookup(text)
        if lenient is not None:
            return _lookup(lenient + bsa_suffix) or lenient + bsa_suffix
        raise UnknownUnitError(f"not a UCUM unit code: {code!r}", suggestions=suggest_units(code)) from error
    if not math.isclose(float(quantity.magnitude), 1.0):
        raise UnknownUnitError(f"UCUM code with a numeric factor is not supported: {code!r}")
    for candidate in (_ucum_as_text(text), _ucumvert_as_text(quantity)):
        canonical = _lookup(candidate)
        if canonical is not None and _agrees_with_ucumvert(canonical, quantity):
            return _lookup(canonical + bsa_suffix) or canonical + bsa_suffix
    raise UnknownUnitError(f"UCUM code {code!r} has no clinical unit here", suggestions=suggest_units(code))


# --- conversion ---------------------------------------------------------------------------------------------------


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


def _incompatible(from_unit: str, to_unit: str, source: pint.Unit, target: pint.Unit, hint: str) -> NoReturn:
    from_dimension, to_dimension = _dimension(source), _dimension(target)
    raise IncompatibleUnitsError(
        f"cannot convert {from_unit!r} ({from_dimension}) to {to_unit!r} ({to_dimension})"
        + (f": {hint}" if hint else ""),
        from_unit=from_unit,
        to_unit=to_unit,
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
    ureg = registry()
    source, target = normalize_unit(from_unit), normalize_unit(to_unit)
    source_unit, target_unit = parse_unit(source), parse_unit(target)
    analyte_id = analyte.strip().lower().replace("-", "_").replace(" ", "_") if analyte else None
    if source == target:
        return Conversion(float(value), target, ())

    source_ratio, target_ratio = _is_amount_ratio(source), _is_amount_ratio(target)
    if source_unit.dimensionless and target_unit.dimensionless and source_ratio != target_ratio:
        if analyte_id in ("hba1c", "hemoglobin_a1c", "a1c"):
            return _hba1c(float(value), source, target)
        _incompatible(
            from_unit,
            to_unit,
            source_unit,
            target_unit,
            "a ratio of amounts (mol/mol) is not a plain fraction (%); for HbA1c NGSP % <-> IFCC mmol/mol "
            "pass analyte='hba1c'",
        )

    steps: list[str] = []
    current_value, current_unit = float(value), source
    valence = VALENCES.get(analyte_id or "")
    source_eq = "[equivalent]" in source_unit.dimensionality
    target_eq = "[equivalent]" in target_unit.dimensionality
    middle_target = target
    if source_eq != target_eq:
        if valence is None:
            _incompatible(
                from_unit,
                to_unit,
                source_unit,
                target_unit,
                "equivalents and moles need the ion's valence: pass analyte= one of " + ", ".join(sorted(VALENCES)),
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

    quantity = ureg.Quantity(current_value, current_unit)
    middle_unit = parse_unit(middle_target)
    ratio = quantity.dimensionality / middle_unit.dimensionality
    mass_per_substance = {"[mass]": 1, "[substance]": -1}
    if ratio in ({"[substance]": 1, "[mass]": -1}, mass_per_substance):
        if molar_mass is None or molar_mass <= 0:
            _incompatible(
                from_unit,
                to_unit,
                source_unit,
                target_unit,
                "mass and amount of substance need a molar mass: pass molar_mass= in g/mol",
            )
        molar = ureg.Quantity(molar_mass, "g/mol")
        by_mass = ratio != mass_per_substance
        converted = (quantity * molar if by_mass else quantity / molar).to(middle_unit).magnitude
        operator = "×" if by_mass else "÷"
        named = f" ({analyte})" if analyte else ""
        steps.append(
            f"{_show(current_value, current_unit)} {operator} {molar_mass:g} g/mol{named} = "
            f"{_show(converted, middle_target)}"
        )
        current_value, current_unit = float(converted), middle_target
    elif quantity.dimensionality != middle_unit.dimensionality:
        _incompatible(from_unit, to_unit, source_unit, target_unit, "")
    else:
        converted = float(quantity.to(middle_unit).magnitude)
        if middle_target != current_unit:
            steps.append(f"{_show(current_value, current_unit)} = {_show(converted, middle_target)}")
        current_value, current_unit = converted, middle_target

    if middle_target != target:
        assert valence is not None
        equivalents = current_value * valence
        steps.append(
            f"{_show(current_value, current_unit)} × {valence} ({analyte_id} valence) = {_show(equivalents, target)}"
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
