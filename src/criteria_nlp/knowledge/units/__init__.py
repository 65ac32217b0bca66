"""Units: one pint registry with the clinical units, spellings as written in protocols, UCUM codes, conversions."""

from criteria_nlp.knowledge.units.core import (
    HBA1C_IFCC_PER_NGSP,
    HBA1C_NGSP_OFFSET,
    VALENCES,
    Conversion,
    IncompatibleUnitsError,
    compatible,
    convert,
    from_ucum,
    is_unit,
    normalize_unit,
    parse_unit,
    registry,
    suggest_units,
)

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
