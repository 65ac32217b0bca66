"""The one pint registry of criteria_nlp: pint's defaults plus ``corpora/units/clinical_units.txt``.

A preprocessor rewrites the canonical spellings pint cannot read by itself: a leading ``10^N`` becomes the named scale
unit ``ten_pow_N`` (pint refuses a scaling factor inside a unit expression), ``1.73m^2`` becomes ``bsa_1_73m2`` (a
body-surface-normalised rate, a dimension of its own) and a bare ``pH`` becomes ``pH_value`` (pint reads "pH" as
picohenry). The definitions file explains each unit it adds.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pint

from criteria_nlp import cache as disk_cache
from criteria_nlp.longlived import settle
from criteria_nlp.resources import corpus_path

_BSA_IN_PINT = re.compile(r"1\.73\s*m\s*(?:\^|\*\*)\s*2")
_SCALE_IN_PINT = re.compile(r"(?<![\w.])10\s*(?:\^|\*\*)\s*(\d{1,2})(?![\d.])")


def _pint_preprocessor(text: str) -> str:
    text = _BSA_IN_PINT.sub("bsa_1_73m2", text)
    text = _SCALE_IN_PINT.sub(r"ten_pow_\1", text)
    return "pH_value" if text.strip() == "pH" else text


_PINT_CACHE = "pint"


@cache
def registry() -> pint.UnitRegistry[Any]:
    """The one pint registry of criteria_nlp: pint's defaults plus ``corpora/units/clinical_units.txt``.

    pint's parsed definition files are kept in the disk cache (:mod:`criteria_nlp.cache`, pint's own
    ``cache_folder``, keyed there by the files' contents): parsing them is most of the registry's set-up. pint
    raises on a corrupt cache file; the registry is then built without the cache.
    """
    definitions = corpus_path("units", "clinical_units.txt")
    folder = disk_cache.entry_path(_PINT_CACHE, disk_cache.key_of(pint.__version__), "")
    if folder is not None:
        try:
            ureg = _build(definitions, folder)
        except Exception:  # the cache is only a shortcut: anything wrong with it means "build without it"
            pass
        else:
            disk_cache.remove_stale(_PINT_CACHE, keep=folder)
            return settle(ureg)
    return settle(_build(definitions, None))


def _build(definitions: Path, folder: Path | None) -> pint.UnitRegistry[Any]:
    ureg: pint.UnitRegistry[Any] = pint.UnitRegistry(preprocessors=[_pint_preprocessor], cache_folder=folder)
    ureg.load_definitions(str(definitions))
    return ureg
