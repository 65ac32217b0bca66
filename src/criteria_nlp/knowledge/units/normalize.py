"""Normalisation of units as written: one canonical spelling per unit, the spelling the registry reads.

The canonical form is ASCII, without spaces, factors joined with ``*``, every denominator factor written after its
own ``/`` and exponents as ``^N``:

==========================  ==========================================================================
written                     canonical
==========================  ==========================================================================
mg/dl, mg / dL, MG/DL       ``mg/dL``   (likewise ``g/dL``, ``g/L``, ``ng/mL``, ``pg/mL``, ``ug/L``)
µmol/L, umol/l, μmol/L      ``umol/L``  (micro is always ``u``; mcg -> ``ug``, mcL -> ``uL``)
mEq/L, meq/l                ``mEq/L``
U/L, IU/L, mIU/L, µIU/mL    ``U/L``, ``IU/L``, ``mIU/L``, ``uIU/mL`` (IU equals U, see clinical_units.txt)
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

The spellings are data (``corpora/units/spellings.tsv``); this module unifies typography, reads a unit factor by
factor and checks that the registry parses the result. Spellings are matched case-sensitively first ("G/L" is not
"g/L"). A unit made of several factors ("MG/DL") is also matched case-insensitively; a single factor only when it is
a word of three letters or more ("Years"), so that abbreviations in running text ("MS", "PT") are not mistaken for
units. Every entry point is cached: units are normalised on the parser's hot path.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import cache, lru_cache

import pint

from criteria_nlp.errors import UnknownUnitError
from criteria_nlp.knowledge.units.registry import registry
from criteria_nlp.knowledge.units.spelling import UnitSpellings, unit_spellings

_SUPERSCRIPT_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+")
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_BSA_WRITTEN = re.compile(r"\(?\s*1\.73\s*m\s*(?:\^|\*\*)?\s*2\s*\)?")
_PLURAL_PARENS = re.compile(r"\(s\)$")
_SPACE_AROUND_OPERATOR = re.compile(r"\s*([/*^])\s*")
_PER_WORD = re.compile(r"(?:^|\s+)per\s+", re.IGNORECASE)  # "per mm3" after a number: "/mm3"
_BSA_NO_SQUARE = re.compile(
    r"/1\.73m$"
)  # "mL/min/1.73m": the square lost in copy-paste (per 1.73 metres means nothing)
_A_PERIOD = re.compile(r"\s+an?\s+(?=(?:day|week|month|year|hour)\b)", re.IGNORECASE)  # "10 cigarettes a day"
_SQUARE_BEFORE = re.compile(r"\bsquare\s+([A-Za-z]+)", re.IGNORECASE)  # "square meter"
_POWER_WORD = re.compile(r"\s+(squared|square|cubed)\b", re.IGNORECASE)
_LEADING_SCALE = re.compile(r"^(?:[xX*]\s*)?10\s*(?:\^|\*\*|\*|[eE])\s*(\d{1,2})(?![\d.])\s*\*?\s*(.*)$")
_EXPONENT = re.compile(r"^(.*?[A-Za-z%])\^?([1-4])$")
_WORD = re.compile(r"^[A-Za-z]{3,}$")
# "mg/24 h", "g / 24 hours", "g/24-hr": the space or hyphen inside a per-24-hours denominator, so that it is one
# factor ("24h", a day)
_SPACED_24_HOURS = re.compile(r"(?<=/)24(?:\s+|\s*[-–‑]\s*)(?=(?:h|hr|hrs|hour|hours)$)", re.IGNORECASE)


_LOST_EXPONENT = re.compile(r"^(?:[x*]\s*)?10(3|6|9|12)\s*/(?=\s*(?:u|m|mc|n)?[lL]\b|\s*mm\^?3\b)")


def _clean(text: str) -> str:
    """Unify the typography of a unit: micro signs, superscripts, multiplication signs, spaces, "(s)", "per"."""
    text = text.strip()
    if len(text) > 1 and text.endswith(".") and text[-2].isalpha():
        text = text[:-1]  # "yrs.", "lbs.": an abbreviation's full stop
    text = _SUPERSCRIPT_RUN.sub(lambda match: "^" + match.group().translate(_SUPERSCRIPT_DIGITS), text)
    text = unicodedata.normalize("NFKC", text)
    text = (
        text.replace("µ", "u").replace("μ", "u").replace("×", "x").replace("⁄", "/").replace("·", "*").replace("⋅", "*")
    )
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
    text = _BSA_NO_SQUARE.sub("/1.73m^2", _SPACE_AROUND_OPERATOR.sub(r"\1", text))
    return _SPACED_24_HOURS.sub("24", text)


def _canonical_factor(factor: str, any_case: bool, spellings: UnitSpellings) -> str | None:
    factors, factors_lower = spellings.factors, spellings.factors_lower
    for candidate in (factor, factor.replace(" ", "")):
        if candidate in factors:
            return factors[candidate]
        if any_case and candidate.lower() in factors_lower:
            return factors_lower[candidate.lower()]
    match = _EXPONENT.match(factor)
    if match is None:
        return None
    base = factors.get(match.group(1))
    if base is None and any_case:
        base = factors_lower.get(match.group(1).lower())
    if not base or base.startswith("1.73"):
        return None
    return f"{base}^{match.group(2)}"


def _factors(part: str) -> list[str]:
    if part in ("", "1"):
        return []
    return [factor for factor in part.split("*") if factor] if "*" in part else part.split(" ")


def _compose(text: str, spellings: UnitSpellings) -> str | None:
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
            canonical = _canonical_factor(factor, any_case, spellings)
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
def lookup(text: str) -> str | None:
    """Canonical spelling of ``text`` or None; the cached core of normalize_unit, is_unit and from_ucum."""
    if not text or len(text) > 40:
        return None
    spellings = unit_spellings()
    cleaned = _clean(text)
    canonical = spellings.exact.get(cleaned) or spellings.any_case.get(cleaned.lower()) or _compose(cleaned, spellings)
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
    canonical = lookup(text)
    if canonical is None:
        raise UnknownUnitError(f"unknown unit {text!r}", suggestions=suggest_units(text))
    return canonical


@cache
def _unit_words() -> frozenset[str]:
    """Words that only make sense inside a longer unit: count words dropped from a unit ("drinks", "caffeinated",
    "times") and the words of multi-word spellings ("degrees" of "degrees F", "wood" of "Wood units", "log10" of
    "log10 copies/mL")."""
    spellings = unit_spellings()
    words = {written for written, canonical in spellings.factors_lower.items() if not canonical}
    for spelling in spellings.any_case:
        words.update(word for word in spelling.split() if len(word) >= 4 and word.isalnum() and word[0].isalpha())
    return frozenset(words)


@cache
def _scale_words() -> frozenset[str]:
    """First words of spellings of several units that only the next word tells apart: "degrees" of "degrees C" and
    "degrees F"."""
    completions: dict[str, set[str]] = {}
    for spelling, canonical in unit_spellings().any_case.items():
        first, _, rest = spelling.partition(" ")
        if rest:
            completions.setdefault(first, set()).add(canonical)
    return frozenset(word for word, canonicals in completions.items() if len(canonicals) > 1)


def is_unit_without_scale(token: str) -> bool:
    """ "38 degrees": a word that begins the spellings of several units ("degrees C", "degrees F") written without
    the word that picks one; a unit all the same, of a scale no one can tell."""
    return token.lower() in _scale_words()


def is_unit_word(token: str) -> bool:
    """Whether ``token`` can stand inside a unit spelling without being a unit alone (see :func:`_unit_words`)."""
    return token.lower() in _unit_words()


def is_unit(text: str) -> bool:
    """Whether ``text`` is a unit normalize_unit knows (cached; False instead of raising)."""
    return lookup(text) is not None


@lru_cache(maxsize=2048)
def parse_unit(text: str) -> pint.Unit:
    """The pint unit (of :func:`registry`) for a clinical spelling; raises UnknownUnitError."""
    return registry().parse_units(normalize_unit(text))


@cache
def _suggestions_by_lower() -> dict[str, str]:
    """Every spelling offered as a suggestion and every canonical spelling, by lower case (first one wins)."""
    pool: dict[str, str] = {}
    for spelling, canonical in unit_spellings().suggestions:
        pool.setdefault(spelling, canonical)
        pool.setdefault(canonical, canonical)
    by_lower: dict[str, str] = {}
    for spelling, canonical in pool.items():
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
