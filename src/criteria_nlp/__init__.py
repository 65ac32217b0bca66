"""criteria_nlp: clinical-trial eligibility criteria as typed, unit-aware expressions, and a rule engine for them.

The façade ties the stages together (segment -> annotate -> parse -> build IR -> check -> evaluate -> explain)::

    from criteria_nlp import parse_criteria, load_patient, screen
    doc = parse_criteria(text)
    result = screen(doc, load_patient("patient.json"), index_date="2026-11-01")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from criteria_nlp.errors import (
    CriteriaError,
    CriteriaEvaluationError,
    CriteriaInputError,
    CriteriaSemanticError,
    CriteriaSyntaxError,
    PatientDataError,
    UnknownUnitError,
)
from criteria_nlp.ir import CriteriaDocument, Criterion, Node, render
from criteria_nlp.lazy import lazy_attributes

__version__ = "0.1.0"

if TYPE_CHECKING:
    from criteria_nlp.pipeline import parse_criteria, parse_criterion  # noqa: F401 - lazily exported below

_LAZY = {
    "parse_criteria": "criteria_nlp.pipeline",
    "parse_criterion": "criteria_nlp.pipeline",
    "CriteriaParser": "criteria_nlp.pipeline",
    "load_patient": "criteria_nlp.sources",
    "load_patients": "criteria_nlp.sources",
    "Patient": "criteria_nlp.sources.patient",
    "screen": "criteria_nlp.screen",
    "screen_many": "criteria_nlp.screen",
    "ScreeningResult": "criteria_nlp.screen",
    "lint": "criteria_nlp.lint",
    "load_lexicon": "criteria_nlp.knowledge.lexicon",
    "screen_population": "criteria_nlp.population.engines",
    "iter_screen_population": "criteria_nlp.population.engines",
    "read_population": "criteria_nlp.population.read",
}


# heavy stages (spaCy, pint) load on first use, so ``import criteria_nlp`` stays cheap
__getattr__ = lazy_attributes("criteria_nlp", _LAZY, globals())


__all__ = [
    "CriteriaDocument",
    "CriteriaError",
    "CriteriaEvaluationError",
    "CriteriaInputError",
    "CriteriaSemanticError",
    "CriteriaSyntaxError",
    "Criterion",
    "Node",
    "PatientDataError",
    "UnknownUnitError",
    "render",
    *_LAZY,
]
