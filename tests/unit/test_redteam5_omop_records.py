"""OMOP records odd in the ways real CDM exports are (redteam5): each must be read to the decision it supports, the
same on the Python engine and DuckDB, and one odd person row must never stop the whole population."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.population.engines import screen_population
from criteria_nlp.population.omop import OmopPopulation

CONCEPTS = [
    {"concept_id": 3000963, "concept_name": "Hemoglobin", "vocabulary_id": "LOINC", "concept_code": "718-7"},
    {"concept_id": 8713, "concept_name": "gram per deciliter", "vocabulary_id": "UCUM", "concept_code": "g/dL"},
    {"concept_id": 434557, "concept_name": "Tuberculosis", "vocabulary_id": "SNOMED", "concept_code": "56717001"},
]
BORN = {"gender_concept_id": 8532, "year_of_birth": 1980, "month_of_birth": 5, "day_of_birth": 5}


def _write(folder: Path, name: str, rows: list[dict[str, Any]]) -> None:
    keys = list(dict.fromkeys(key for row in rows for key in row))
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, keys)
        writer.writeheader()
        writer.writerows(rows)


def _decisions(folder: Path, protocol: str, index_date: str, **tables: list[dict[str, Any]]) -> dict[str, str]:
    """Each person's decision, by engine (person 99 of the placeholder rows is nobody)."""
    folder.mkdir()
    empty = {
        "measurement": {"measurement_id": 0, "person_id": 99, "measurement_concept_id": 0},
        "condition_occurrence": {"condition_occurrence_id": 0, "person_id": 99, "condition_concept_id": 0},
        "drug_exposure": {"drug_exposure_id": 0, "person_id": 99, "drug_concept_id": 0},
        "procedure_occurrence": {"procedure_occurrence_id": 0, "person_id": 99, "procedure_concept_id": 0},
    }
    for table, row in empty.items():
        _write(folder, table, tables.get(table) or [row])
    _write(folder, "person", tables["person"])
    _write(folder, "concept", CONCEPTS)
    population, document = OmopPopulation(folder), parse_criteria(protocol)
    found: dict[str, str] = {}
    for engine in ("python", "duckdb"):
        for row in screen_population(document, population, engine=engine, index_date=index_date).to_pylist():
            found.setdefault(row["patient"], row["decision"])
            assert found[row["patient"]] == row["decision"], (engine, row["patient"])
    return found


def test_an_impossible_date_of_birth_is_unknown_and_the_others_are_screened(tmp_path: Path) -> None:
    people = [
        {"person_id": 1, **BORN, "month_of_birth": 2, "day_of_birth": 30},  # 30 February
        {"person_id": 2, **BORN, "month_of_birth": 13, "day_of_birth": 1},
        {"person_id": 3, **BORN},
    ]
    found = _decisions(tmp_path / "omop", "Inclusion Criteria:\nAge ≥ 18 years\n", "2026-06-01", person=people)
    assert found == {"1": "needs_review", "2": "needs_review", "3": "eligible"}


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        # 1960 with a day but no month: 65 or 66 on 10 January 2026 (the day is no 20 January)
        ({"year_of_birth": 1960, "month_of_birth": "", "day_of_birth": 20}, "needs_review"),
        # a birth_datetime that contradicts the required year: the year decides (17 on the index date)
        ({"year_of_birth": 2008, "month_of_birth": 6, "day_of_birth": 2, "birth_datetime": "2007-06-02 00:00:00"},
         "ineligible"),
        # a birth_datetime on the same day as the parts: read
        ({"year_of_birth": 1990, "month_of_birth": 6, "day_of_birth": 2, "birth_datetime": "1990-06-02 08:00:00"},
         "eligible"),
    ],
)  # fmt: skip
def test_the_date_of_birth_comes_from_the_required_parts(tmp_path: Path, person: dict[str, Any], expected: str) -> None:
    protocol = "Inclusion Criteria:\nAge 18 to 65 years\n"
    people = [{"person_id": 1, "gender_concept_id": 8532, **person}]
    index_date = "2026-01-10" if person.get("day_of_birth") == 20 else "2026-06-01"
    assert _decisions(tmp_path / "omop", protocol, index_date, person=people) == {"1": expected}


def test_a_measurement_is_dated_by_its_date_when_its_datetime_falls_on_another_day(tmp_path: Path) -> None:
    hemoglobin = {"measurement_concept_id": 3000963, "unit_concept_id": 8713}
    rows = [  # 8 g/dL measured on 20 May (its datetime, another day's, after the index date) and 12 g/dL on 10 May
        {"measurement_id": 1, "person_id": 1, **hemoglobin, "value_as_number": 8, "measurement_date": "2026-05-20",
         "measurement_datetime": "2026-06-05 00:00:00"},
        {"measurement_id": 2, "person_id": 1, **hemoglobin, "value_as_number": 12, "measurement_date": "2026-05-10"},
    ]  # fmt: skip
    found = _decisions(
        tmp_path / "omop", "Inclusion Criteria:\nHemoglobin ≥ 9 g/dL\n", "2026-06-01",
        person=[{"person_id": 1, **BORN}], measurement=rows,
    )  # fmt: skip
    assert found == {"1": "ineligible"}


def test_a_preliminary_diagnosis_is_not_a_confirmed_one(tmp_path: Path) -> None:
    tuberculosis = {"condition_concept_id": 434557, "condition_start_date": "2025-01-01"}
    rows = [
        {"condition_occurrence_id": 1, "person_id": 1, **tuberculosis, "condition_status_concept_id": 32899},
        {"condition_occurrence_id": 2, "person_id": 2, **tuberculosis, "condition_status_concept_id": 32893},
    ]
    people = [{"person_id": 1, **BORN}, {"person_id": 2, **BORN}]
    protocol = "Exclusion Criteria:\nActive tuberculosis\n"
    found = _decisions(tmp_path / "omop", protocol, "2026-06-01", person=people, condition_occurrence=rows)
    assert found == {"1": "needs_review", "2": "ineligible"}
