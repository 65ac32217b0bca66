"""Reader "alternatives": a threshold and a condition joined by "or" ("Serum creatinine > 2 mg/dL or dialysis").

The two are alternatives, and the words not understood go with the alternative they stand in, so that one side
can still decide. Writes ``state.alternatives`` (and moves ``state.not_understood`` into it).
"""

from __future__ import annotations

from criteria_nlp.build.common import cover, is_or
from criteria_nlp.build.state import BuildState
from criteria_nlp.ir import All, Any_, Node

READER = "alternatives"
_JOIN_PUNCTUATION = frozenset({",", ")", "]"})


def read_alternatives(state: BuildState) -> None:
    numeric, concepts = state.numeric, state.concepts
    if numeric is None or concepts is None:
        return
    first, second = sorted((numeric, concepts), key=lambda n: n.span.start)
    gap_start, gap_end = first.span.end, second.span.start
    gap = [p for p in state.prose if gap_start <= p.char_start and p.char_end <= gap_end]
    # the "or" must follow the first alternative directly ("> 2 mg/dL, or dialysis"); an "or" further on joins
    # words inside the second one ("at least 2 moderate or severe exacerbations")
    position = 0
    while position < len(gap) and gap[position].text in _JOIN_PUNCTUATION:
        position += 1
    if position == len(gap) or not is_or(gap[position]):
        return
    if any("CONCEPT" in p.kinds for p in gap):
        return  # "methylprednisolone or prednisone in a dose of 10 mg/day": the "or" joins the drugs
    joiner = gap[position]
    split = joiner.char_start
    state.take(joiner, READER, "connective")
    sides: list[Node] = []
    for node, on_this_side in ((first, True), (second, False)):
        extra = [u for u in state.not_understood if (u.span.end <= split) == on_this_side]
        if extra:
            children = sorted([node, *extra], key=lambda n: n.span.start)
            node = All(span=cover([c.span for c in children]) or node.span, children=tuple(children))
        sides.append(node)
    state.alternatives = Any_(span=cover([n.span for n in sides]) or first.span, children=tuple(sides))
    state.not_understood = []
