"""What a threshold written right after the people it is about measures (issue 11 mechanism 5; part of the
thresholds reader).

"Patients < 18", "participants under 16": a bare number after the people is their age; "children < 15 kg": a mass
after them is their weight. A temperature threshold whose words name no variable ("fever of 38.5 °C or higher") is
the body temperature, the words kept as its mention. Any other unit after the people is left to the readers after.
"""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.build.common import is_content
from criteria_nlp.build.state import BuildState
from criteria_nlp.errors import CriteriaError
from criteria_nlp.grammar import Piece, Threshold, VariableMention
from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.words import words

READER = "thresholds"
_PERSON_WORDS = words("person_word")
_AGE_UNITS = frozenset({"year"})  # "≥ 1 and ≤ 6 months after an infarction" is a time since
_SEXES = frozenset({"female", "male"})
_OLDEST = 120.0  # a bare number after the people above this is no age: left to the readers after


def _fits(unit: str, variable_unit: str) -> bool:
    try:
        return units.compatible(unit, variable_unit)
    except CriteriaError:
        return False


def _people_just_before(prose_before: Sequence[Piece]) -> Piece | None:
    """The words for people (or for one sex: "women over 50") right before a threshold."""
    for piece in reversed(prose_before):
        if piece.text in ("(", ":"):
            continue
        people = piece.lower.rsplit(" ", 1)[-1] in _PERSON_WORDS  # "diabetic patients"
        return piece if people or piece.kinds.get("SEX") in _SEXES else None
    return None


def _an_age(thresholds: Sequence[Threshold], unit: str | None) -> bool:
    values = [q.value for t in thresholds for q in (t.low, t.high) if q is not None]
    return (unit is None and all(0 < v <= _OLDEST for v in values)) or unit in _AGE_UNITS


def ages_people(state: BuildState, thresholds: Sequence[Threshold], unit: str | None) -> bool:
    """ "(≥ 50 mL/min in patients older than 70)", "for those over 65": a number with no unit (or in years) right
    after words for people is their age, never the variable of the threshold before it."""
    start = thresholds[0].span.start if thresholds else -1
    before = [p for p in state.prose if p.char_end <= start]
    return _people_just_before(before) is not None and _an_age(thresholds, unit)


def measured_on_people(
    state: BuildState, prose_before: Sequence[Piece], thresholds: Sequence[Threshold], unit: str | None
) -> VariableMention | None:
    """The age or weight of the people named just before the threshold, or the temperature its unit says."""
    span = thresholds[0].span
    if unit is not None and _fits(unit, "degC"):
        words_before = [p for p in prose_before[-3:] if is_content(p) and p.text.isalpha()]
        mention = words_before[-1] if words_before else None
        if mention is not None:
            state.take(mention, READER, "variable")
        return VariableMention("temperature", False, mention.text if mention else "temperature", span)
    people = _people_just_before(prose_before)
    if people is None:
        return None
    if _an_age(thresholds, unit):
        return VariableMention("age", False, "age", span)
    if unit is not None and _fits(unit, "kg"):
        return VariableMention("weight", False, "weight", span)
    return None
