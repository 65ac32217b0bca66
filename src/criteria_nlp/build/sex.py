"""Reader "sex": a sex restriction ("Female patients", "pregnant or breastfeeding women"); none for "men and
women". A sex after "for"/"in" ("not pregnant, for female subjects") says whom the rest of the clause applies to,
when there is a rest. Writes ``state.sex`` and ``state.sex_condition``."""

from __future__ import annotations

from criteria_nlp.build.common import SEX_PREPOSITIONS, cover_pieces
from criteria_nlp.build.state import BuildState
from criteria_nlp.ir import Demographic, Node
from criteria_nlp.knowledge.words import words

READER = "sex"
_SEX_GAP = words("sex_gap")


def read_sex(state: BuildState) -> None:
    sexes = [p for p in state.prose if "SEX" in p.kinds and not state.taken(p)]
    if not sexes:
        return
    for p in sexes:
        state.take(p, READER, "sex")
    values = {p.kinds["SEX"] for p in sexes}
    if "any" in values or len(values) != 1:
        return
    sex = Demographic(span=cover_pieces(sexes) or sexes[0].span, attribute="sex", sex=values.pop())
    # a sex that says whom the clause applies to needs something it applies to
    state.sex_condition = bool(state.parts()) and _is_condition(state, sex)
    state.sex = sex


def _is_condition(state: BuildState, sex: Node) -> bool:
    """ "for female subjects", "in women": a sex after "for"/"in" says whom the clause applies to."""
    prose = state.prose
    for k, piece in enumerate(prose):
        if "SEX" not in piece.kinds or not (sex.span.start <= piece.char_start < sex.span.end):
            continue
        j = k - 1
        while j >= 0 and ("VERB_IS" in prose[j].kinds or prose[j].lower in _SEX_GAP):
            j -= 1
        if j >= 0 and prose[j].lower in SEX_PREPOSITIONS:
            return True
    return False
