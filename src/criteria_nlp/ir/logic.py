"""Three-valued (Kleene) logic: the truth values the engine returns and the operations on them.

The same rules as SQL's NULL logic and CQL: unknown means "the data do not decide it". Every container kind of the
IR combines its children's truth values with one of these operations (see :mod:`criteria_nlp.ir.kinds`).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Truth(StrEnum):
    """Three-valued logic (Kleene / SQL / CQL): unknown means "the data do not decide it"."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"

    def __invert__(self) -> Truth:
        if self is Truth.UNKNOWN:
            return Truth.UNKNOWN
        return Truth.FALSE if self is Truth.TRUE else Truth.TRUE

    def __and__(self, other: object) -> Truth:
        if not isinstance(other, Truth):
            return NotImplemented
        return all_of((self, other))

    def __or__(self, other: object) -> Truth:
        if not isinstance(other, Truth):
            return NotImplemented
        return any_of((self, other))

    @classmethod
    def of(cls, value: bool | None) -> Truth:
        return cls.UNKNOWN if value is None else (cls.TRUE if value else cls.FALSE)


TRUTHS: tuple[Truth, ...] = (Truth.TRUE, Truth.FALSE, Truth.UNKNOWN)


def all_of(values: Iterable[Truth]) -> Truth:
    """False if any is false, else unknown if any is unknown, else true (true for no values)."""
    result = Truth.TRUE
    for value in values:
        if value is Truth.FALSE:
            return Truth.FALSE
        if value is Truth.UNKNOWN:
            result = Truth.UNKNOWN
    return result


def any_of(values: Iterable[Truth]) -> Truth:
    """True if any is true, else unknown if any is unknown, else false (false for no values)."""
    result = Truth.FALSE
    for value in values:
        if value is Truth.TRUE:
            return Truth.TRUE
        if value is Truth.UNKNOWN:
            result = Truth.UNKNOWN
    return result


def at_least_of(count: int, values: Iterable[Truth]) -> Truth:
    """At least ``count`` of ``values`` are true: true when that many are true, false when so many are false that
    the rest cannot reach ``count``, otherwise unknown. ``count`` 1 is :func:`any_of`, ``count`` n is :func:`all_of`.
    """
    truths = tuple(values)
    true = sum(1 for value in truths if value is Truth.TRUE)
    false = sum(1 for value in truths if value is Truth.FALSE)
    if true >= count:
        return Truth.TRUE
    if false > len(truths) - count:
        return Truth.FALSE
    return Truth.UNKNOWN


def conditional(when: Truth, then: Truth, otherwise: Truth) -> tuple[Truth, str]:
    """``then`` where ``when`` holds, ``otherwise`` where it does not; unknown ``when`` decides only when both
    branches agree. Returns the outcome and why, in words."""
    if when is Truth.TRUE:
        return then, "the condition holds, so the rule applies"
    if when is Truth.FALSE:
        return otherwise, "the condition does not hold"
    if then is otherwise:
        return then, "the condition is unknown but both branches agree"
    return Truth.UNKNOWN, "the condition is unknown and the branches differ"
