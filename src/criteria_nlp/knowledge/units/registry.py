"""The one pint registry of criteria_nlp: pint's defaults plus ``corpora/units/clinical_units.txt``.

A preprocessor rewrites the canonical spellings pint cannot read by itself: a leading ``10^N`` becomes the named scale
unit ``ten_pow_N`` (pint refuses a scaling factor inside a unit expression), ``1.73m^2`` becomes ``bsa_1_73m2`` (a
body-surface-normalised rate, a dimension of its own) and a bare ``pH`` becomes ``pH_value`` (pint reads "pH" as
picohenry). The definitions file explains each unit it adds.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pint

from criteria_nlp.resources import corpus_path

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
