"""Years in brackets after a condition ("Malignancies (< 5 years)", "Diabetes (> 5 years)"): part of the reader
"definitions", issue 11 mechanism 5.

The thresholds reader reads a number of years with no variable as an age; right after a condition, in a bracket of
its own, the years say when the condition was (as "Stroke (< 6 months)" is read by the reader "lists"): "< 5 years"
is within the last 5 years, "> 5 years" at least 5 years ago. As an age beside the condition the exclusion
"Malignancies (< 5 years)" would need the patient to be under 5 and would clear every adult with a cancer.

Read only where the age reading has nothing for it: no age word and no word for people in the clause, a bound in
years on one side only, the bracket right after one condition of the concepts read (the only condition, or one
item of a list: "Malignancy (< 5 years) or hepatitis") that has no window of its own, and nothing else unread in it.
"""

from __future__ import annotations

from collections.abc import Callable

from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import ConstraintChunk
from criteria_nlp.ir import All, Any_, Demographic, Node, Presence, TemporalWindow
from criteria_nlp.knowledge.words import words

_PEOPLE = words("person_word")

# (state, the condition, the threshold) -> the threshold's chunk when it stands alone in a bracket right after the
# condition (definitions._bracketed_after)
BracketedAfter = Callable[[BuildState, Presence, Node], ConstraintChunk | None]


def read_bracketed_years(state: BuildState, bracketed_after: BracketedAfter) -> bool:
    """Put the years of a bracket after a condition on the condition as its time window; False, nothing changed,
    when the clause is not one (see the module's text)."""
    age, concepts = state.numeric, state.concepts
    if not isinstance(age, Demographic) or age.attribute != "age" or age.unit != "year":
        return False
    if (age.low is None) == (age.high is None):
        return False  # "(5-10 years)": a range of years may be an age band
    if any("AGEWORD" in p.kinds or p.kinds.get("VARIABLE") == "age" or p.lower in _PEOPLE for p in state.prose):
        return False  # "Children (< 5 years)", "aged (< 5 years)": an age
    if isinstance(concepts, Presence):
        items: tuple[Node, ...] = (concepts,)
    elif isinstance(concepts, Any_ | All):
        items = concepts.children
    else:
        return False
    before = [c for c in items if isinstance(c, Presence) and c.span.end <= age.span.start]
    if not before or before[-1].window is not None:
        return False
    numeric = [c for c in state.chunks if isinstance(c, ConstraintChunk)]
    if len(numeric) != 1 or len(numeric[0].thresholds) != 1 or numeric[0].variables:
        return False  # "Lymphoma (age < 3 years)": the bracket names its variable
    condition = before[-1]
    chunk = bracketed_after(state, condition, age)
    if chunk is None:
        return False
    threshold = chunk.thresholds[0]
    window = TemporalWindow(
        min_ago=threshold.low if age.low is not None else None,
        max_ago=threshold.high if age.high is not None else None,
        span=chunk.span,
    )
    dated = condition.model_copy(update={"window": window, "span": condition.span.cover(chunk.span)})
    if concepts is condition:
        state.concepts = dated
    else:
        assert isinstance(concepts, Any_ | All)
        children = tuple(dated if c is condition else c for c in concepts.children)
        state.concepts = concepts.model_copy(update={"children": children, "span": concepts.span.cover(chunk.span)})
    state.numeric = None
    return True
