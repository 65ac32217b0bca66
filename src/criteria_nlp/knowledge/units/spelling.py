"""The unit spelling tables, read once from ``corpora/units/spellings.tsv``; the file's header explains them.

Loading is strict: a malformed line raises CriteriaSemanticError naming the file and the line, since a wrong
spelling table turns into wrong thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.resources import corpus_path

COLUMNS = ("table", "written", "canonical")
TABLES = ("factor", "exact", "any_case", "suggest", "ucum", "ucum_atom")
DROPPED = "-"
"""The canonical column of a count word that is dropped from the unit ("cells" in "cells/mm3")."""


@dataclass(frozen=True)
class UnitSpellings:
    """The tables of ``spellings.tsv``, each in file order (written -> canonical)."""

    factors: dict[str, str]
    """One factor -> its canonical factor; "" for a count word that is dropped."""
    factors_lower: dict[str, str]
    """The factors by lower case; the first row wins when two spellings fold together ("L", "l")."""
    exact: dict[str, str]
    any_case: dict[str, str]
    suggestions: tuple[tuple[str, str], ...]
    """(spelling, canonical) offered by suggest_units: the suggest rows, then the any_case and exact rows."""
    ucum: dict[str, str]
    ucum_atoms: dict[str, str]


@cache
def unit_spellings() -> UnitSpellings:
    """The packaged spelling tables (read once)."""
    return read_spellings(corpus_path("units", "spellings.tsv"))


def read_spellings(path: Path) -> UnitSpellings:
    """The spelling tables of ``path``; raises CriteriaSemanticError on a malformed line."""
    tables: dict[str, dict[str, str]] = {table: {} for table in TABLES}
    for line_number, (table, written, canonical) in _rows(path):
        where = f"{path.name} line {line_number}"
        if table not in tables:
            raise CriteriaSemanticError(f"{where}: unknown table {table!r}", expected=list(TABLES))
        if not written or not canonical:
            raise CriteriaSemanticError(f"{where}: empty spelling")
        if canonical == DROPPED and table != "factor":
            raise CriteriaSemanticError(f"{where}: only a factor can be dropped ({DROPPED!r})")
        if written in tables[table]:
            raise CriteriaSemanticError(f"{where}: {written!r} is already in the {table} table")
        tables[table][written] = "" if canonical == DROPPED else canonical
    factors_lower: dict[str, str] = {}
    for written, canonical in tables["factor"].items():
        factors_lower.setdefault(written.lower(), canonical)
    return UnitSpellings(
        factors=tables["factor"],
        factors_lower=factors_lower,
        exact=tables["exact"],
        any_case=tables["any_case"],
        suggestions=(*tables["suggest"].items(), *tables["any_case"].items(), *tables["exact"].items()),
        ucum=tables["ucum"],
        ucum_atoms=tables["ucum_atom"],
    )


def _rows(path: Path) -> list[tuple[int, tuple[str, str, str]]]:
    rows: list[tuple[int, tuple[str, str, str]]] = []
    header_seen = False
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = tuple(field.strip() for field in line.split("\t"))
        if len(fields) != len(COLUMNS):
            raise CriteriaSemanticError(
                f"{path.name} line {line_number}: expected {len(COLUMNS)} tab-separated fields, found {len(fields)}"
            )
        if not header_seen:
            if fields != COLUMNS:
                raise CriteriaSemanticError(
                    f"{path.name} line {line_number}: expected the column header {' '.join(COLUMNS)!r}"
                )
            header_seen = True
            continue
        rows.append((line_number, (fields[0], fields[1], fields[2])))
    return rows
