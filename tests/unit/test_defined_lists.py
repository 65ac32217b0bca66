"""Definitions inside a list (``build/defined_lists.py``) and an x/y pair that defines a condition (``build/pairs.py``):
what the ledger says about the words the thresholds reader took as connectives, and how the pair decides."""

from __future__ import annotations

import pytest

from criteria_nlp.evaluate.engine import evaluate
from criteria_nlp.ir import Section, Truth
from criteria_nlp.pipeline import default_parser, parse_criterion
from criteria_nlp.sources.patient import Observation, Patient


def _claim(text: str, section: Section, word: str) -> tuple[str, str]:
    criterion = default_parser().parse_one(text, section=section, claims=True)
    found = [(c.reader, c.role) for c in criterion.claims if c.span.slice(text) == word]
    assert found, word
    return found[0]


def test_a_condition_between_two_thresholds_is_read_back_as_an_item() -> None:
    text = "Anemia (hemoglobin < 9 g/dL) or thrombocytopenia (platelets < 100,000/mm³)"
    # read as a condition (by the concepts reader now that the thresholds reader leaves it), never as a connective
    assert _claim(text, "exclusion", "thrombocytopenia")[1] == "concept"
    assert _claim(text, "exclusion", "(") == ("definitions", "connective")


def test_a_word_between_two_thresholds_no_reader_reads_is_reported() -> None:
    text = "Anemia (hemoglobin < 9 g/dL), frequent nosebleeds or neutropenia (ANC < 1000/µL)"
    assert _claim(text, "exclusion", "frequent") == ("leftovers", "unparsed")


def test_each_defined_item_says_how_it_was_read() -> None:
    text = "Fever (temperature > 38 °C), neutropenia (ANC < 1500/µL), or anemia (hemoglobin < 9 g/dL)"
    criterion = parse_criterion(text, section="exclusion")
    readings = [d for d in criterion.diagnostics if d.code == "definition-reading"]
    assert len(readings) == 3
    assert "'neutropenia' defined by 'ANC < 1500/µL'" in readings[1].message


def _pressure(systolic: float | None, diastolic: float | None) -> Patient:
    observations = [
        Observation(id=f"{name}-1", variable=name, value=value, unit="mmHg", effective="2026-05-01")
        for name, value in (("systolic_bp", systolic), ("diastolic_bp", diastolic))
        if value is not None
    ]
    return Patient(id="p", birth_date="1970-01-01", sex="female", observations=observations, conditions_complete=True)


@pytest.mark.parametrize(
    ("systolic", "diastolic", "expected"),
    [
        (85, 55, Truth.TRUE),  # both under: hypotension by either reading
        (120, 80, Truth.FALSE),  # both over: no hypotension by either reading
        (85, 70, Truth.UNKNOWN),  # one on each side: the readings disagree
        (120, 55, Truth.UNKNOWN),
        (85, None, Truth.UNKNOWN),  # one value missing
    ],
)
def test_an_upper_bound_pair_defining_a_condition_decides_only_when_its_readings_agree(
    systolic: float, diastolic: float | None, expected: Truth
) -> None:
    criterion = parse_criterion("Hypotension (BP < 90/60 mmHg)", section="exclusion")
    assert evaluate(criterion.expression, _pressure(systolic, diastolic)).outcome is expected


def test_a_lower_bound_pair_keeps_its_convention() -> None:
    """ "Hypertension (BP > 140/90)": either value over its bound is hypertension, a confident answer."""
    criterion = parse_criterion("Hypertension (BP > 140/90 mmHg) or diabetes", section="exclusion")
    assert evaluate(criterion.expression, _pressure(150, 80)).outcome is Truth.TRUE
