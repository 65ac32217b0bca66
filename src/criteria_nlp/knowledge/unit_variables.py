"""Units that name the variable they measure ("breaths per minute", "6 L/min of oxygen"):
``corpora/lexicon/variables_units.tsv``. Read by the builder when a threshold names no variable of its own."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.knowledge.lexicon import Lexicon
from criteria_nlp.resources import corpus_path

_FILE = "variables_units.tsv"


def unit_key(unit: str) -> str:
    """A unit as written, as the file lists it: lower case, single spaces."""
    return " ".join(unit.lower().split())


@cache
def unit_variables(path: Path | None = None) -> Mapping[tuple[str, str], str]:
    """(unit as written, "of" word or "") -> the one variable they name; a key listed for two variables names none
    and is left out."""
    path = path or corpus_path("lexicon", _FILE)
    found: dict[tuple[str, str], set[str]] = {}
    lines = list(enumerate(path.read_text(encoding="utf-8").splitlines(), 1))
    rows = [(n, raw.split("\t")) for n, raw in lines if raw.strip() and not raw.startswith("#")]
    for number, fields in rows[1:]:  # the first row names the columns
        if len(fields) != 3 or not fields[0].strip() or not fields[1].strip():
            raise CriteriaSemanticError(f"{path.name} line {number}: expected unit, variable and of (may be empty)")
        unit, variable, of = fields
        key = (unit_key(unit), of.strip().lower())
        if variable in found.get(key, set()):
            raise CriteriaSemanticError(f"{path.name} line {number}: a repeated row")
        found.setdefault(key, set()).add(variable)
    return MappingProxyType({key: next(iter(v)) for key, v in found.items() if len(v) == 1})


def check_unit_variables(lexicon: Lexicon) -> None:
    """Strict loading: every variable of the file is a variable of the lexicon."""
    unknown = sorted(set(unit_variables().values()) - set(lexicon.variables))
    if unknown:
        raise CriteriaSemanticError(f"{_FILE} names unknown variables {unknown}", expected=sorted(lexicon.variables))
