"""Classes of scales written as letters ("Child-Pugh A", "BCLC stage B"): ``corpora/lexicon/variables_classes.tsv``.

Read by the grammar (a letter after its scale's name is no filler word) and by the builder's reader "classes".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.knowledge.lexicon import Lexicon
from criteria_nlp.knowledge.words import words
from criteria_nlp.resources import corpus_path


def class_words() -> frozenset[str]:
    """Words that may stand between a scale's name and its class ("class", "stage")."""
    return words("class_word")


@dataclass(frozen=True)
class ScaleClass:
    label: str
    low: float
    high: float


@cache
def scale_classes(path: Path | None = None) -> Mapping[str, tuple[ScaleClass, ...]]:
    """Every variable's classes from ``variables_classes.tsv`` (or ``path``), in the file's order."""
    path = path or corpus_path("lexicon", "variables_classes.tsv")
    found: dict[str, list[ScaleClass]] = {}
    lines = [(n, raw) for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]
    rows = [(n, raw.split("\t")) for n, raw in lines if raw.strip() and not raw.startswith("#")]
    for number, fields in rows[1:]:  # the first row names the columns
        if len(fields) != 4:
            raise CriteriaSemanticError(f"{path.name} line {number}: expected 4 tab-separated fields")
        variable, label, low, high = fields
        try:
            row = ScaleClass(label, float(low), float(high))
        except ValueError:
            raise CriteriaSemanticError(f"{path.name} line {number}: low and high must be numbers") from None
        if row.low > row.high or any(c.label == label for c in found.get(variable, ())):
            raise CriteriaSemanticError(f"{path.name} line {number}: an empty interval or a repeated label")
        found.setdefault(variable, []).append(row)
    return MappingProxyType({variable: tuple(rows) for variable, rows in found.items()})


def check_classes(lexicon: Lexicon) -> None:
    """Strict loading: every variable of the classes file is a variable of the lexicon."""
    unknown = sorted(set(scale_classes()) - set(lexicon.variables))
    if unknown:
        raise CriteriaSemanticError(
            f"variables_classes.tsv names unknown variables {unknown}", expected=sorted(lexicon.variables)
        )
