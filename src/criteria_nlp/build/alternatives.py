"""Reader "alternatives": a threshold and a condition joined by "or" ("Serum creatinine > 2 mg/dL or dialysis").

The two are alternatives, and the words not understood go with the alternative they stand in, so that one side
can still decide. Writes ``state.alternatives`` (and moves ``state.not_understood`` into it).
"""

from __future__ import annotations

from criteria_nlp.build.common import cover, is_or, not_understood
from criteria_nlp.build.state import BuildState
from criteria_nlp.ir import All, Any_, Node, Not, span_at

READER = "alternatives"
_JOIN_PUNCTUATION = frozenset({",", ")", "]"})
_NEITHER_REASON = "'No A or no B': either one absent (as written) or neither present (as a list of negated items)"


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
    span = cover([n.span for n in sides]) or first.span
    state.alternatives = Any_(span=span, children=tuple(sides))
    if all(isinstance(side, Not) for side in sides):
        # "No stroke or no ALT > 3 x ULN": as written any(not A, not T), yet a list of negated items usually means
        # neither (as "No stroke or no diabetes" is read); decided only where both agree: neither, or both
        doubt = not_understood(state, span_at(joiner.char_start, joiner.char_end), _NEITHER_REASON)
        unsure = All(span=span, children=(state.alternatives, doubt))
        state.alternatives = Any_(span=span, children=(All(span=span, children=tuple(sides)), unsure))
    state.not_understood = []
