"""Which end of a scale is the healthy one (``corpora/lexicon/variables_direction.tsv``): "NYHA class II or better"
is a bound towards it, "or worse" one away from it. Read by the builder's readers "thresholds" and "classes"."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.knowledge.lexicon import Lexicon
from criteria_nlp.knowledge.words import words
from criteria_nlp.resources import corpus_path

_FILE = "variables_direction.tsv"
Healthy = Literal["low", "high"]


@cache
def healthy_ends(path: Path | None = None) -> Mapping[str, Healthy]:
    """variable id -> the end of its scale that is healthy ("low" or "high")."""
    path = path or corpus_path("lexicon", _FILE)
    found: dict[str, Healthy] = {}
    lines = list(enumerate(path.read_text(encoding="utf-8").splitlines(), 1))
    rows = [(n, raw.split("\t")) for n, raw in lines if raw.strip() and not raw.startswith("#")]
    for number, fields in rows[1:]:  # the first row names the columns
        if len(fields) != 2 or fields[1] not in ("low", "high") or fields[0] in found:
            raise CriteriaSemanticError(f"{path.name} line {number}: expected a new variable and low or high")
        found[fields[0]] = "low" if fields[1] == "low" else "high"
    return MappingProxyType(found)


def check_directions(lexicon: Lexicon) -> None:
    """Strict loading: every variable of the file is a variable of the lexicon."""
    unknown = sorted(set(healthy_ends()) - set(lexicon.variables))
    if unknown:
        raise CriteriaSemanticError(f"{_FILE} names unknown variables {unknown}", expected=sorted(lexicon.variables))


def direction_operator(variable: str, word: str) -> str | None:
    """The comparator "or <word>" makes of a value of ``variable``: "<=" or ">="; None when the word is no
    direction word or the scale's healthy end is not known."""
    healthy = healthy_ends().get(variable)
    if healthy is None:
        return None
    if word in words("better_word"):
        return "<=" if healthy == "low" else ">="
    if word in words("worse_word"):
        return ">=" if healthy == "low" else "<="
    return None
