"""A time window written with a threshold ("hemoglobin >= 10 g/dL within 14 days prior to enrollment") is the
threshold's look-back in every engine: DuckDB decides drawn populations (values in, outside and before the window,
future, same-day, without a value) as the Python engine does, evidence included."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_population_engines import INDEX, assert_same, populations

from criteria_nlp.evaluate.context import EvaluationContext
from criteria_nlp.evaluate.plan import MeasurementPlan, ReferencePlan, Review, plan_for
from criteria_nlp.ir import Comparison, Range, ReferenceMultiple, walk
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.population.source import ArrowPopulation

WINDOWED = parse_criteria(
    """Inclusion Criteria:
- Hemoglobin >= 10 g/dL within 14 days prior to enrollment
- Serum creatinine <= 1.5 mg/dL in the past 3 months
- ALT < 3 x ULN within 14 days
- Platelets between 100 and 400 x10^9/L within 2 years
- Hemoglobin >= 8 g/dL at least 4 weeks before enrollment
Exclusion Criteria:
- HbA1c > 8% within 45 days before randomization
- Within 14 days before enrollment: hemoglobin < 8 g/dL, creatinine > 2 mg/dL
"""
)


def _thresholds() -> list[Comparison | Range | ReferenceMultiple]:
    return [
        node
        for criterion in WINDOWED.criteria
        for node in walk(criterion.expression)
        if isinstance(node, Comparison | Range | ReferenceMultiple)
    ]


def test_every_threshold_of_the_protocol_has_its_window() -> None:
    assert len(_thresholds()) == 8
    assert all(node.window is not None for node in _thresholds())


def test_the_window_is_the_plan_s_look_back_and_never_reaches_past_the_default() -> None:
    context = EvaluationContext(index_date=date.fromisoformat(INDEX))
    plans = {node.variable.id: plan_for(node, context) for node in _thresholds() if node.window is not None}
    hemoglobin = plan_for(_thresholds()[0], context)
    assert isinstance(hemoglobin, MeasurementPlan)
    assert (hemoglobin.lookback.start, hemoglobin.lookback.end) == (date(2026, 10, 18), date(2026, 11, 1))
    assert hemoglobin.lookback.window is not None and "enrollment taken as the index date" in hemoglobin.lookback.window
    platelets = plans["platelets"]  # within 2 years: no older than the default 12-month look-back
    assert isinstance(platelets, MeasurementPlan) and platelets.lookback.start == context.lookback_start
    assert isinstance(plans["alt"], ReferencePlan) and plans["alt"].lookback.start == date(2026, 10, 18)
    ending_before = plan_for(_thresholds()[4], context)  # "at least 4 weeks before": not read for a value
    assert isinstance(ending_before, Review)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations(), st.booleans())
def test_duckdb_decides_windowed_thresholds_as_python(population: ArrowPopulation, assume: bool) -> None:
    assert_same(population, WINDOWED, assume_default_ranges=assume)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations(), st.booleans())
def test_duckdb_evidence_of_windowed_thresholds_is_python_s(population: ArrowPopulation, assume: bool) -> None:
    assert_same(population, WINDOWED, assume_default_ranges=assume, evidence=True)
