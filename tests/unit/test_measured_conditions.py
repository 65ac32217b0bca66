"""Conditions a measurement defines (``evaluation-measured-conditions.tsv``, read by ``evaluate/defined_by.py``): the
table is consistent with the lexicon and with ``defined_conditions.tsv``, and the presence plan carries the
definition only where a value can stand for the condition."""

from __future__ import annotations

from datetime import date

import pytest

from criteria_nlp.evaluate.context import EvaluationContext
from criteria_nlp.evaluate.defined_by import definition_of, measured_definitions
from criteria_nlp.evaluate.plan import PresencePlan, plan_for
from criteria_nlp.ir import Presence, walk
from criteria_nlp.knowledge.defined_conditions import defined_conditions
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.pipeline import parse_criterion

CONTEXT = EvaluationContext(index_date=date(2026, 6, 1))


def test_every_variable_is_the_lexicon_s_and_every_unit_is_known() -> None:
    lexicon = load_lexicon()
    for form, definition in measured_definitions().items():
        assert definition.variable in lexicon.variables, form
        assert CONTEXT.normalized_unit(definition.unit) is not None, form


def test_a_condition_listed_in_both_files_lies_on_the_same_side_of_the_same_variable() -> None:
    for form, row in defined_conditions().items():
        definition = definition_of([form])
        if definition is None:
            continue
        assert definition.variable in row.variables, form
        assert definition.operator.startswith("<" if row.side == "low" else ">"), form


def _plan(text: str, section: str = "exclusion") -> PresencePlan:
    expression = parse_criterion(text, section=section).expression  # type: ignore[arg-type]
    (leaf,) = [node for node in walk(expression) if isinstance(node, Presence)]
    plan = plan_for(leaf, CONTEXT)
    assert isinstance(plan, PresencePlan)
    return plan


@pytest.mark.parametrize(
    ("text", "variable"),
    [
        ("Fever", "temperature"),
        ("Anemia", "hemoglobin"),
        ("Sinus bradycardia", "heart_rate"),
        ("Hypoxia", "oxygen_saturation"),
    ],
)
def test_the_plan_carries_the_definition(text: str, variable: str) -> None:
    measured = _plan(text).measured
    assert measured is not None and measured.variable == variable


def test_a_window_ending_before_the_index_date_carries_none() -> None:
    assert _plan("Fever within the last 7 days").measured is not None
    assert _plan("Tuberculosis").measured is None
    assert _plan("Anemia more than 6 months ago").measured is None
