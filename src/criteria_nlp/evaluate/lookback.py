"""When a leaf's records must fall: a measurement's look-back (the evaluation's default, or the criterion's own
window: "hemoglobin >= 9 g/dL within 14 days prior to enrollment") and a presence's window, as dates of one
evaluation (:mod:`criteria_nlp.evaluate.plan` puts them in the plans the engines read)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal, Protocol

from criteria_nlp.evaluate.dates import time_before
from criteria_nlp.ir import Quantity, TemporalWindow


class Dates(Protocol):
    """What the windows read of an evaluation context."""

    index_date: date
    lookback_months: int
    lookback_start: date


@dataclass(frozen=True, slots=True)
class Lookback:
    """Selection policy of a measurement: the most recent usable value dated in [start, end] decides."""

    months: int
    start: date
    end: date  # the index date
    policy: Literal["most_recent"] = "most_recent"
    # the criterion's own window ("within 14 days before enrollment (2026-05-18 to 2026-06-01)"), as the trace words
    # it; None: the evaluation's default look-back
    window: str | None = None

    def within(self) -> str:
        """When a deciding value must be dated: "within 12 months", or the criterion's window."""
        return self.window or f"within {self.months} months"

    def name(self) -> str:
        """What a value before ``start`` falls out of: "the 12-month look-back", or "the window"."""
        return "the window" if self.window else f"the {self.months}-month look-back"


@dataclass(frozen=True, slots=True)
class Window:
    """When a record must fall: its span must overlap [earliest, latest] (a procedure's date must fall inside)."""

    earliest: date | None
    latest: date
    description: str  # "within 6 month before the index date (2026-05-01 to 2026-11-01)"
    anchor_assumed: bool  # an anchor other than the index date ("randomisation") taken as the index date
    # whether a record dated on ``earliest`` / ``latest`` is known to be inside: the wording said whether the bound is
    # inclusive (``TemporalWindow.max_inclusive`` / ``min_inclusive``; an exclusive one has moved the date one day
    # in). False: not written, a record of that day is unknown (``presence.on_boundary``)
    earliest_known: bool = False
    latest_known: bool = False


def window_dates(window: TemporalWindow | None, context: Dates) -> Window | str | None:
    """The window's dates, None for none (at the index date), or why it cannot be used."""
    if window is None:
        return None
    # "more than 4 weeks before" / "less than 3 months ago": the day exactly 4 weeks / 3 months before is out
    latest = _bound(context.index_date, window.min_ago, window.min_inclusive, -1)
    if isinstance(latest, str):
        return latest
    earliest = _bound(context.index_date, window.max_ago, window.max_inclusive, 1)
    if isinstance(earliest, str):
        return earliest
    latest = latest or context.index_date
    if earliest is not None and earliest > latest:
        return "the window is empty (its earliest date is after its latest)"
    words = [f"at least {window.min_ago} before"] if window.min_ago is not None else []
    words += [f"within {window.max_ago} before"] if window.max_ago is not None else []
    anchor = window.anchor or "the index date"
    span = f"{earliest or 'any time'} to {latest}"
    return Window(
        earliest,
        latest,
        f"{' and '.join(words)} {anchor} ({span})",
        window.anchor is not None,
        earliest_known=window.max_inclusive is not None,
        latest_known=window.min_inclusive is not None,
    )


def _bound(index_date: date, ago: Quantity | None, inclusive: bool | None, inward: int) -> date | str | None:
    """The date ``ago`` before the index date, moved ``inward`` a day (into the window) when the bound is exclusive;
    None for no bound, or why ``ago`` is no duration."""
    if ago is None:
        return None
    moved = time_before(index_date, ago)
    if moved is None:
        return f"window unit {ago.unit!r} is not a duration"
    return moved + timedelta(days=inward) if inclusive is False else moved


def lookback_of(context: Dates, written: TemporalWindow | None = None) -> Lookback | str:
    """The default look-back, the criterion's window as the look-back, or why that window cannot be read exactly
    (the threshold is then unknown: the default look-back never decides in its place)."""
    default = Lookback(context.lookback_months, context.lookback_start, context.index_date)
    if written is None:
        return default
    if written.min_ago is not None or written.max_ago is None:
        return "the measurement's time window does not end at the index date"
    window = window_dates(written, context)
    if isinstance(window, str):
        return window
    if window is None or window.earliest is None:
        return "the measurement's time window cannot be read"
    description = window.description
    if written.anchor:
        description += f", {written.anchor} taken as the index date"
    start = window.earliest
    if start < context.lookback_start:
        # the engines read observations within the default look-back only (the SQL ones too): an older value in a
        # longer window is not read, so the threshold is unknown rather than decided on it
        start = context.lookback_start
        description += f", values before the {context.lookback_months}-month look-back ({start}) not read"
    return replace(default, start=start, window=description)
