"""Calendar arithmetic of the evaluation: look-backs, windows and ages counted on the calendar."""

from __future__ import annotations

import calendar
import math
from datetime import UTC, date, datetime, timedelta

from criteria_nlp.errors import CriteriaEvaluationError
from criteria_nlp.ir import Quantity
from criteria_nlp.knowledge.durations import Duration, duration_of


def months_before(day: date, months: int) -> date:
    """``day`` minus calendar months, clamped to the month's length (31 March - 1 month = 28/29 February)."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window_duration(unit: str | None) -> Duration | None:
    """The duration a window or age unit names; minutes are not accepted (no criterion is that fine-grained)."""
    duration = duration_of(unit)
    return None if duration is None or duration.name == "minute" else duration


def time_before(day: date, quantity: Quantity) -> date | None:
    """``day`` minus a duration such as 6 month or 4 week; None for a unit that is not a duration."""
    duration = window_duration(quantity.unit_normalized or quantity.unit)
    if duration is None:
        return None
    amount = quantity.value * duration.factor
    if duration.base == "month":
        whole = math.floor(amount)
        result = months_before(day, whole)
        return result - timedelta(days=round((amount - whole) * 30.44))
    return day - timedelta(days=amount)


def completed_age(birth: date, on: date, unit: str = "year") -> int:
    """Completed years / months / weeks / days of age on a date."""
    if unit == "day":
        return (on - birth).days
    if unit == "week":
        return (on - birth).days // 7
    months = (on.year - birth.year) * 12 + (on.month - birth.month) - (1 if on.day < birth.day else 0)
    return months if unit == "month" else months // 12


def as_date(moment: datetime | None) -> date | None:
    """The calendar day of a moment, in UTC when it carries an offset."""
    if moment is None:
        return None
    if moment.tzinfo is not None and moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.date()


def sort_key(moment: datetime) -> datetime:
    """A naive UTC moment, so that naive and aware timestamps sort together."""
    if moment.tzinfo is None:
        return moment
    offset = moment.utcoffset()
    return (moment - offset if offset else moment).replace(tzinfo=None)


def parse_index_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise CriteriaEvaluationError(f"index date {text!r} is not an ISO date (YYYY-MM-DD)") from error
