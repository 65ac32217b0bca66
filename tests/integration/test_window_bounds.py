"""A window's bound made inclusive or exclusive by its wording (``TemporalWindow.min_inclusive`` / ``max_inclusive``):
a record dated exactly on that boundary day is decided, the same way by the Python engine and by DuckDB; where the
wording leaves the bound open (the field None, the default) the record stays unknown.

The documents here are parsed, then given the bound under test (None: the field removed, whatever the reader set),
so that each engine is tested on every bound for the same wording; tests/golden/window_bounds.jsonl checks which
bound the readers set for each wording."""

from __future__ import annotations

import json
from typing import Any

import pytest

from criteria_nlp.ir import CriteriaDocument, TemporalWindow
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.population.engines import screen_population
from criteria_nlp.population.source import ArrowPopulation
from criteria_nlp.population.tables import patients_to_tables
from criteria_nlp.screen import screen
from criteria_nlp.sources.own_json import OWN_JSON
from criteria_nlp.sources.patient import Patient
from window_helpers import json_windows

INDEX = "2026-06-01"  # 4 weeks before: 2026-05-04; 14 days before: 2026-05-18
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _bounded(protocol: str, **bounds: bool | None) -> CriteriaDocument:
    """The protocol parsed, every window of it given ``bounds`` (None: the bound removed, as for unwritten wording)."""
    doc = parse_criteria(protocol)
    data = doc.model_dump(mode="json")
    wanted = {key: value for key, value in bounds.items() if value is not None}
    unset = [key for key, value in bounds.items() if value is None]

    for window in json_windows(data):
        window.update(wanted)
        for key in unset:
            window.pop(key, None)
    bounded = CriteriaDocument.model_validate(data)
    assert all(f'"{key}": ' in json.dumps(data) for key in wanted)  # the protocol has a window to bound
    return bounded


def _patient(pid: str, **records: list[dict[str, Any]]) -> Patient:
    data = {"id": pid, "birth_date": "1970-03-03", "sex": "male", "observations": [], "conditions": [],
            "medications": [], "procedures": [], "conditions_complete": True, "medications_complete": True,
            "procedures_complete": True, **records}  # fmt: skip
    return OWN_JSON.read(data, source=pid, strict=False, validate=False, lexicon=load_lexicon())


def _warfarin(start: str, end: str | None) -> dict[str, Any]:
    dose = {"id": "m1", "system": RX, "code": "11289", "display": "warfarin", "status": "completed", "start": start}
    return dose | ({"end": end} if end else {})


def _both(doc: CriteriaDocument, patient: Patient) -> str:
    """The decision, the same in both engines (with the same criteria outcomes)."""
    python = screen(doc, patient, index_date=INDEX)
    population = ArrowPopulation(patients_to_tables([patient]), name="bounds")
    (row,) = screen_population(doc, population, engine="duckdb", index_date=INDEX).to_pylist()
    assert row["decision"] == python.decision
    outcomes = {
        c.criterion_id: None if c.outcome.value == "unknown" else c.outcome.value == "true" for c in python.criteria
    }
    assert row["criteria"] == outcomes
    assert row["missing"] == list(python.missing_data)
    return python.decision


EXCLUDED_USE = "Exclusion Criteria:\nUse of warfarin within the last 4 weeks\n"
WASH_OUT = "Inclusion Criteria:\nAt least 4 weeks since the last dose of warfarin\n"


@pytest.mark.parametrize(
    ("protocol", "bound", "decision"),
    [
        (EXCLUDED_USE, None, "needs_review"),  # not written: the boundary day stays unknown
        (EXCLUDED_USE, True, "ineligible"),  # "within 4 weeks" counts the day exactly 4 weeks before
        (EXCLUDED_USE, False, "eligible"),  # "less than 4 weeks ago" does not
        (WASH_OUT, None, "needs_review"),
        (WASH_OUT, False, "eligible"),  # "at least 4 weeks since": a last dose exactly 4 weeks before is enough
        (WASH_OUT, True, "ineligible"),
    ],
)
def test_a_last_dose_on_the_first_day_of_the_window(protocol: str, bound: bool | None, decision: str) -> None:
    patient = _patient("p1", medications=[_warfarin("2026-03-01", "2026-05-04")])
    assert _both(_bounded(protocol, max_inclusive=bound), patient) == decision


@pytest.mark.parametrize("bound", [None, True, False])
def test_a_day_inside_or_outside_the_window_is_decided_whatever_the_bound(bound: bool | None) -> None:
    inside = _patient("p1", medications=[_warfarin("2026-03-01", "2026-05-10")])
    outside = _patient("p2", medications=[_warfarin("2026-03-01", "2026-04-20")])
    doc = _bounded(EXCLUDED_USE, max_inclusive=bound)
    assert (_both(doc, inside), _both(doc, outside)) == ("ineligible", "eligible")


AT_LEAST_BEFORE = "Inclusion Criteria:\nChemotherapy at least 4 weeks before enrollment\n"


@pytest.mark.parametrize(("bound", "decision"), [(None, "needs_review"), (True, "eligible"), (False, "ineligible")])
def test_a_procedure_on_the_last_day_of_a_window_that_ends_before_the_index(bound: bool | None, decision: str) -> None:
    doc = _bounded(AT_LEAST_BEFORE, min_inclusive=bound)
    surgery = {"id": "s1", "system": "http://snomed.info/sct", "code": "367336001", "display": "Chemotherapy",
               "performed_start": "2026-05-04"}  # fmt: skip
    assert _both(doc, _patient("p1", procedures=[surgery])) == decision


HEMOGLOBIN = "Inclusion Criteria:\nHemoglobin ≥ 9 g/dL within 14 days prior to enrollment\n"


@pytest.mark.parametrize(("bound", "decision"), [(None, "eligible"), (True, "eligible"), (False, "needs_review")])
def test_a_value_on_the_first_day_of_a_measurement_window(bound: bool | None, decision: str) -> None:
    """A measurement's window reads its first day (unchanged without a bound); an exclusive bound moves it a day in."""
    value = {"id": "h1", "variable": "hemoglobin", "value": 11, "unit": "g/dL", "effective": "2026-05-18"}
    doc = _bounded(HEMOGLOBIN, max_inclusive=bound)
    assert _both(doc, _patient("p1", observations=[value])) == decision


def test_old_documents_load_and_a_window_without_bounds_serialises_as_before() -> None:
    old = {"min_ago": None, "max_ago": {"value": 4.0, "unit": "weeks", "unit_normalized": "week"}, "anchor": None,
           "span": {"start": 0, "end": 5}}  # fmt: skip
    window = TemporalWindow.model_validate(old)
    assert window.min_inclusive is None and window.max_inclusive is None
    assert json.loads(window.model_dump_json()) == old
    bounded = window.model_copy(update={"max_inclusive": True})
    assert json.loads(bounded.model_dump_json()) == {**old, "max_inclusive": True}
    assert TemporalWindow.model_validate_json(bounded.model_dump_json()) == bounded
