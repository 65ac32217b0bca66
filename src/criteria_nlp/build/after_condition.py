"""Reader "after_condition": words right after a condition that change what a record of it shows.

* ``onset_after`` words (words.tsv: "Hypertension diagnosed in the last 3 months"): the condition was diagnosed, read
  as the qualifier "diagnosed", whose reading (evaluation-qualifiers.tsv, "onset") makes a time window ask when it
  began. Dropped, the window would read the span of a hypertension active since 2010 as one diagnosed this season.
  After a list of conditions ("diabetes or hypertension diagnosed in ...") which of them the word qualifies is not
  written: with a window the word is left as not understood, so the criterion is unknown where the window alone
  would decide; with none it changes nothing in any of them ("diabetes or hypertension diagnosed by a doctor").
* ``event_of_condition`` words ("Heart failure hospitalization within the last 3 months", "asthma admission"): an
  event of the condition no condition record shows. Read as the qualifier "hospitalized" (a state: a record of the
  condition makes it at most unknown, none at all still rules it out), never as a second alternative beside the
  condition (a heart failure active since 2015 would otherwise be one hospitalised last month).
* the same words before the conditions, joined by an ``event_link`` word ("Hospitalization for heart failure or
  unstable angina within 6 months"): the event is of each condition of the list after the link, read as above. Left
  as two items, any hospitalisation (a fracture's) beside a heart failure would meet or clear it.

Runs after the concepts reader (``state.items``) and before the negation and lists readers, which read the items.
"""

from __future__ import annotations

from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Piece, WindowChunk
from criteria_nlp.ir import Unparsed
from criteria_nlp.knowledge.words import words

READER = "after_condition"
ONSET_AFTER = words("onset_after")
EVENT_OF_CONDITION = words("event_of_condition")
EVENT_LINK = words("event_link")
_JOINERS = frozenset({",", "or", "and", "and/or"})  # between the conditions of a list after the link
_DIAGNOSED = "diagnosed"  # the qualifier of "diagnosis of" in cues.tsv, read as "onset"
_EVENT = "hospitalized"  # a state qualifier of evaluation-qualifiers.tsv: a hospital stay for the condition


def read_after_condition(state: BuildState) -> None:
    if not state.items:
        return
    prose = state.prose
    order = {p.index: k for k, p in enumerate(prose)}
    conditions = [piece for piece, _ in state.items if _is_condition(state, piece)]
    windowed = bool(state.durations) or any(isinstance(chunk, WindowChunk) for chunk in state.chunks)
    added: dict[int, str] = {}  # condition piece index -> the qualifier its next word says
    events: set[int] = set()  # event words read as a concept of their own: no longer items
    for piece in conditions:
        k = order.get(piece.index)
        if k is None or k + 1 >= len(prose):
            continue
        word = prose[k + 1]
        if word.text == "," and k + 2 < len(prose) and prose[k + 2].lower in ONSET_AFTER:
            word = prose[k + 2]  # "Hypertension, diagnosed in the last 3 months"
        if word.lower in EVENT_OF_CONDITION:
            added[piece.index] = _EVENT
            events.add(word.index)
            state.ledger.entries[word.index] = (word, READER, "qualifier")  # a concept reader's "hospitalization"
        elif word.lower in ONSET_AFTER and not state.taken(word):
            if len(conditions) == 1:
                added[piece.index] = _DIAGNOSED
                state.take(word, READER, "qualifier")
            elif windowed:
                state.take(word, READER, "unparsed")
                state.unplaced.append(_unsure(word))
            else:
                state.take(word, READER, "qualifier")  # with no window "diagnosed" changes nothing in any item
    _events_before(state, conditions, added, events)
    if added:
        state.items = [
            (piece, (*qualifiers, added[piece.index]) if piece.index in added else qualifiers)
            for piece, qualifiers in state.items
            if piece.index not in events
        ]


def _events_before(state: BuildState, conditions: list[Piece], added: dict[int, str], events: set[int]) -> None:
    """An event word, a link and a list of conditions ("hospitalization for heart failure or unstable angina"):
    each condition of the list gets the event's qualifier, and the event word is no item of its own."""
    prose = state.prose
    wanted = {piece.index for piece in conditions}
    for k, piece in enumerate(prose):
        if piece.lower not in EVENT_OF_CONDITION:
            continue
        after = _after_link(prose, k + 1)
        if after is None or after >= len(prose) or prose[after].index not in wanted:
            continue
        while after < len(prose) and (prose[after].index in wanted or prose[after].lower in _JOINERS):
            if prose[after].index in wanted:
                added[prose[after].index] = _EVENT
            after += 1
        events.add(piece.index)
        state.ledger.entries[piece.index] = (piece, READER, "qualifier")


def _after_link(prose: list[Piece], k: int) -> int | None:
    """The position after an ``event_link`` of one or two words starting at ``k``, None when there is none."""
    for width in (1, 2):
        if k + width <= len(prose) and " ".join(p.lower for p in prose[k : k + width]) in EVENT_LINK:
            return k + width
    return None


def _is_condition(state: BuildState, piece: Piece) -> bool:
    """A condition of the lexicon or the terminology (not a drug, procedure or state: "NOAC prior to
    hospitalization" is no event of the drug)."""
    concept = state.known.concepts.get(piece.kinds.get("CONCEPT", ""))
    category = concept.category if concept is not None else piece.kinds.get("TERM", "condition")
    return category == "condition"


def _unsure(word: Piece) -> Unparsed:
    reason = f"{word.text!r} after a list of conditions: which of them it qualifies is not written"
    return Unparsed(span=word.span, text=word.text, reason=reason)
