"""Units of time, in one table: the spellings protocols and records use, and how long each is.

Each spelling maps to its canonical name and its length in a base unit: ``day`` for fixed lengths (a week is 7
days, an hour 1/24) and ``month`` for calendar lengths (a year is 12 months), since months and years are counted on
the calendar, not in days.
"""

from __future__ import annotations

from typing import Literal, NamedTuple


class Duration(NamedTuple):
    name: str  # canonical: "year", "month", "week", "day", "hour", "minute"
    base: Literal["day", "month"]
    factor: float  # length in ``base`` units


_TABLE: tuple[tuple[tuple[str, ...], Duration], ...] = (
    (("year", "years", "yr", "yrs", "y", "a"), Duration("year", "month", 12.0)),
    (("month", "months", "mo", "mon", "mos"), Duration("month", "month", 1.0)),
    (("week", "weeks", "wk", "wks", "w"), Duration("week", "day", 7.0)),
    (("day", "days", "d"), Duration("day", "day", 1.0)),
    (("hour", "hours", "h", "hr", "hrs"), Duration("hour", "day", 1 / 24)),
    (("minute", "minutes", "min", "mins"), Duration("minute", "day", 1 / 1440)),
)
DURATIONS: dict[str, Duration] = {alias: duration for aliases, duration in _TABLE for alias in aliases}
NAMES: frozenset[str] = frozenset(duration.name for _, duration in _TABLE)


def duration_of(unit: str | None) -> Duration | None:
    """The duration a unit spelling names ("weeks", "wk", "Months"), or None when it is no unit of time."""
    text = (unit or "").strip().lower()
    return DURATIONS.get(text) or DURATIONS.get(text.rstrip("s"))
