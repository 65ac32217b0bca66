from __future__ import annotations

from typing import Literal

import pytest

from criteria_nlp.knowledge.durations import DURATIONS, NAMES, Duration, duration_of


@pytest.mark.parametrize(
    ("unit", "name", "base", "factor"),
    [
        ("years", "year", "month", 12.0),
        ("yr", "year", "month", 12.0),
        ("a", "year", "month", 12.0),  # UCUM's annum
        ("Months", "month", "month", 1.0),
        ("mo", "month", "month", 1.0),
        ("wks", "week", "day", 7.0),
        ("w", "week", "day", 7.0),
        ("day", "day", "day", 1.0),
        (" d ", "day", "day", 1.0),
        ("hrs", "hour", "day", 1 / 24),
        ("minutes", "minute", "day", 1 / 1440),
    ],
)
def test_duration_of_reads_the_spellings(unit: str, name: str, base: Literal["day", "month"], factor: float) -> None:
    assert duration_of(unit) == Duration(name, base, factor)


def test_a_plural_not_in_the_table_is_read_without_its_s() -> None:
    assert duration_of("hs") == duration_of("h")
    assert duration_of("wS") == duration_of("w")


@pytest.mark.parametrize("unit", [None, "", "mg", "seconds", "decades", "s"])
def test_what_is_no_unit_of_time_is_none(unit: str | None) -> None:
    assert duration_of(unit) is None


def test_calendar_lengths_are_counted_in_months_fixed_lengths_in_days() -> None:
    assert {d.name for d in DURATIONS.values() if d.base == "month"} == {"year", "month"}
    assert {d.name for d in DURATIONS.values() if d.base == "day"} == {"week", "day", "hour", "minute"}
    assert frozenset({"year", "month", "week", "day", "hour", "minute"}) == NAMES
    assert all(duration_of(d.name) == d for d in DURATIONS.values())
