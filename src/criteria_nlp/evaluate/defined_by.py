"""Conditions a measurement defines, as the evaluation reads them
(``corpora/lexicon/evaluation-measured-conditions.tsv``): "no fever" with a temperature of 38.9 °C recorded is not met
by a problem list without fever, since the record shows the fever the list does not
(:func:`criteria_nlp.evaluate.plan.plan_for` puts the definition in the presence plan as a measurement; the Python
engine and the SQL compiler read it there)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.resources import corpus_path

FILE = "evaluation-measured-conditions.tsv"
_OPERATORS = ("<", "<=", ">", ">=")


@dataclass(frozen=True, slots=True)
class MeasuredDefinition:
    """``variable operator limit unit``: a value meeting it is the condition."""

    variable: str
    operator: str
    limit: float
    unit: str


@cache
def measured_definitions() -> Mapping[str, MeasuredDefinition]:
    """Every form of every condition of the file, in lower case -> its definition."""
    found: dict[str, MeasuredDefinition] = {}
    lines = corpus_path("lexicon", FILE).read_text(encoding="utf-8").splitlines()
    rows = [(n, line.split("\t")) for n, line in enumerate(lines, 1) if line.strip() and not line.startswith("#")]
    for number, fields in rows[1:]:  # the first row names the columns
        if len(fields) != 5:
            raise CriteriaSemanticError(f"{FILE} line {number}: expected 5 tab-separated fields")
        forms, variable, operator, limit, unit = (field.strip() for field in fields)
        if operator not in _OPERATORS:
            raise CriteriaSemanticError(f"{FILE} line {number}: operator {operator!r}", expected=list(_OPERATORS))
        definition = MeasuredDefinition(variable, operator, float(limit), unit)
        for form in (f.strip().lower() for f in forms.split("|")):  # ids compared in lower case too
            if not form or form in found:
                raise CriteriaSemanticError(f"{FILE} line {number}: form {form!r} empty or repeated")
            found[form] = definition
    return MappingProxyType(found)


def definition_of(names: Iterable[str]) -> MeasuredDefinition | None:
    """The definition of the first of ``names`` (ids, then the mention, then its last word) the file lists."""
    table = measured_definitions()
    return next((table[name.lower()] for name in names if name.lower() in table), None)
