"""UCUM codes (FHIR's ``Quantity.code``) read into the canonical clinical spelling, via ucumvert.

Codes that ucumvert reads wrongly and non-UCUM codes seen in real FHIR data come from the ``ucum`` table of
``corpora/units/spellings.tsv`` first; other codes are read by ucumvert, rewritten with the ``ucum_atom`` table into
the clinical spelling, and accepted only when that spelling agrees with ucumvert's reading in size and dimension.
"""

from __future__ import annotations

import math
import re
from functools import cache, lru_cache
from typing import Any

from criteria_nlp.errors import UnknownUnitError
from criteria_nlp.knowledge.units import ucum_cache
from criteria_nlp.knowledge.units.normalize import lookup, suggest_units
from criteria_nlp.knowledge.units.registry import registry
from criteria_nlp.knowledge.units.spelling import unit_spellings

_UCUM_ANNOTATION_ONLY = re.compile(r"^\{[^{}]*\}$")
_UCUM_BSA = re.compile(r"/\{1\.73_?m2\}$")
_UCUM_ANNOTATION = re.compile(r"\{[^{}]*\}")
_UCUM_SCALE = re.compile(r"10[*^](\d{1,2})")
# the dimensions clinical_units.txt adds, which ucumvert's registry cannot have
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
    atoms = unit_spellings().ucum_atoms
    if factor in atoms:
        return atoms[factor]
    for atom, clinical in atoms.items():  # a prefixed bracket atom: "m[IU]" -> "mIU"
        if atom.startswith("[") and factor.endswith(atom):
            return factor[: -len(atom)] + clinical
    return factor


def _ucumvert_as_text(quantity: Any) -> str:
    atoms = unit_spellings().ucum_atoms
    text = f"{quantity.units:~C}"
    text = re.sub(r"_10\*\*(\d+)", r"10^\1", text).replace("**", "^")
    return "/".join("*".join(atoms.get(f, f) for f in part.split("*")) for part in text.split("/"))


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
    that is not valid UCUM but is a clinical spelling normalize_unit knows ("IU/L") is accepted as such. Each
    code's answer is computed once per installation and data (:mod:`~criteria_nlp.knowledge.units.ucum_cache`):
    ucumvert's registry is built only for a code no process has met before.
    """
    answer = ucum_cache.remembered(code)
    if answer is None:
        try:
            answer = ("unit", _read_ucum(code), ())
        except UnknownUnitError as error:
            answer = ("error", error.message, tuple(error.suggestions))
        ucum_cache.remember(code, answer)
    if answer[0] == "error":
        raise UnknownUnitError(answer[1], suggestions=list(answer[2]))
    return answer[1]


def _read_ucum(code: str) -> str:
    """:func:`from_ucum` computed (ucumvert's registry built on the first code not in the fallback table)."""
    text = code.strip()
    fallbacks = unit_spellings().ucum
    if text in fallbacks:
        return fallbacks[text]
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
        lenient = lookup(text)
        if lenient is not None:
            return lookup(lenient + bsa_suffix) or lenient + bsa_suffix
        raise UnknownUnitError(f"not a UCUM unit code: {code!r}", suggestions=suggest_units(code)) from error
    if not math.isclose(float(quantity.magnitude), 1.0):
        raise UnknownUnitError(f"UCUM code with a numeric factor is not supported: {code!r}")
    for candidate in (_ucum_as_text(text), _ucumvert_as_text(quantity)):
        canonical = lookup(candidate)
        if canonical is not None and _agrees_with_ucumvert(canonical, quantity):
            return lookup(canonical + bsa_suffix) or canonical + bsa_suffix
    raise UnknownUnitError(f"UCUM code {code!r} has no clinical unit here", suggestions=suggest_units(code))
