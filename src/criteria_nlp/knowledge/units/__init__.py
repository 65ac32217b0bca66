"""Units: one pint registry with the clinical units, spellings as written in protocols, UCUM codes, conversions.

``registry`` (pint + ``corpora/units/clinical_units.txt``), ``spelling`` (the tables of
``corpora/units/spellings.tsv``), ``normalize`` (written unit -> canonical spelling), ``ucum`` (UCUM code ->
canonical spelling) and ``convert`` (values between units, HbA1c, valences, molar mass).
"""

from criteria_nlp.knowledge.units.convert import (
    HBA1C_IFCC_PER_NGSP,
    HBA1C_NGSP_OFFSET,
    VALENCES,
    Conversion,
    IncompatibleUnitsError,
    compatible,
    convert,
    exceeds,
)
from criteria_nlp.knowledge.units.normalize import (
    is_unit,
    is_unit_without_scale,
    is_unit_word,
    normalize_unit,
    parse_unit,
    suggest_units,
)
from criteria_nlp.knowledge.units.registry import registry
from criteria_nlp.knowledge.units.ucum import from_ucum

__all__ = [
    "HBA1C_IFCC_PER_NGSP",
    "HBA1C_NGSP_OFFSET",
    "VALENCES",
    "Conversion",
    "IncompatibleUnitsError",
    "compatible",
    "convert",
    "exceeds",
    "from_ucum",
    "is_unit",
    "is_unit_without_scale",
    "is_unit_word",
    "normalize_unit",
    "parse_unit",
    "registry",
    "suggest_units",
]
