"""Conditions defined by one measured variable ("anemia": haemoglobin, low): ``corpora/lexicon/defined_conditions.tsv``.

Read by the builder's reader "definitions" for a bracketed threshold with no variable of its own after a condition
("anemia (< 9 g/dL)").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.knowledge.lexicon import Lexicon
from criteria_nlp.resources import corpus_path

Side = Literal["low", "high"]
_SIDES: tuple[Side, ...] = ("low", "high")


@dataclass(frozen=True)
class DefinedCondition:
    """What a condition's definition measures: the candidate variables (the first whose unit fits) and the side of
    them the condition lies on."""

    variables: tuple[str, ...]
    side: Side


@cache
def defined_conditions(path: Path | None = None) -> Mapping[str, DefinedCondition]:
    """Every form of every condition of ``defined_conditions.tsv`` (or ``path``) -> what defines it."""
    path = path or corpus_path("lexicon", "defined_conditions.tsv")
    found: dict[str, DefinedCondition] = {}
    lines = list(enumerate(path.read_text(encoding="utf-8").splitlines(), 1))
    rows = [(n, raw.split("\t")) for n, raw in lines if raw.strip() and not raw.startswith("#")]
    for number, fields in rows[1:]:  # the first row names the columns
        if len(fields) != 3:
            raise CriteriaSemanticError(f"{path.name} line {number}: expected 3 tab-separated fields")
        forms, variables, side = fields
        if side not in _SIDES:
            raise CriteriaSemanticError(f"{path.name} line {number}: side {side!r}", expected=list(_SIDES))
        row = DefinedCondition(tuple(v.strip() for v in variables.split("|") if v.strip()), side)
        for form in (f.strip() for f in forms.split("|")):
            if not form or form != form.lower() or form in found:
                raise CriteriaSemanticError(f"{path.name} line {number}: form {form!r} empty, upper case or repeated")
            found[form] = row
    return MappingProxyType(found)


def check_defined_conditions(lexicon: Lexicon) -> None:
    """Strict loading: every variable of the file is a variable of the lexicon."""
    named = {variable for row in defined_conditions().values() for variable in row.variables}
    unknown = sorted(named - set(lexicon.variables))
    if unknown:
        raise CriteriaSemanticError(
            f"defined_conditions.tsv names unknown variables {unknown}", expected=sorted(lexicon.variables)
        )
