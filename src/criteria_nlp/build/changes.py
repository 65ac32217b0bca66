"""A threshold on a change of a variable, not on the variable (issue 11 mechanism 8; part of the thresholds reader).

"Weight loss of more than 10% of body weight", "weight gain > 5 kg in 3 months", "decline in eGFR of > 30%",
"increase of creatinine ≥ 0.3 mg/dL": a change word (the ``change_word`` set of ``words.tsv``) right after the
variable's name or right before it (with "in"/"of") makes the threshold one on the change, which one value of the
variable cannot decide. The threshold gets an unknown variable named as written ("Weight loss"), so the engine
sends the patient to review with that name, and a ``change-reading`` diagnostic says why; never weight > 10 %.
"""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Piece, VariableMention
from criteria_nlp.ir import Diagnostic, Span
from criteria_nlp.knowledge.words import words

READER = "thresholds"
_CHANGE_WORDS = words("change_word")
_LINKS = frozenset({"in", "of"})  # "decline in eGFR", "increase of creatinine"


def change_of(
    state: BuildState, variables: tuple[VariableMention, ...], chunk_start: int
) -> tuple[VariableMention, ...]:
    """The variables, or one unknown variable naming the change when a change word stands by the (single) name."""
    if len(variables) != 1 or not variables[0].id:
        return variables
    variable = variables[0]
    change = _change_word(state.prose, variable.span, chunk_start)
    if change is None:
        return variables
    span = variable.span.cover(change.span)
    for piece in state.prose:
        if span.start <= piece.char_start and piece.char_end <= span.end:
            state.take(piece, READER, "variable")
    mention = span.slice(state.document)
    state.diagnostics.append(
        Diagnostic(
            code="change-reading",
            severity="info",
            message=f"{mention!r} is a change of {variable.id}, not its value: one measurement cannot decide it",
            span=span,
        )
    )
    return (VariableMention("", False, mention, span),)


def _change_word(prose: Sequence[Piece], name: Span, chunk_start: int) -> Piece | None:
    """A change word right after the name (before the threshold), or right before it, alone or with "in"/"of"."""
    after = [p for p in prose if name.end <= p.char_start < chunk_start]
    if after and after[0].lower in _CHANGE_WORDS:
        return after[0]  # "weight loss of > 10%"
    before = [p for p in prose if p.char_end <= name.start][-2:]
    if before and before[-1].lower in _LINKS:
        before = before[:-1]
    if before and before[-1].lower in _CHANGE_WORDS:
        return before[-1]  # "decline in eGFR of > 30%"
    return None
