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
    if added:
        state.items = [
            (piece, (*qualifiers, added[piece.index]) if piece.index in added else qualifiers)
            for piece, qualifiers in state.items
            if piece.index not in events
        ]


def _is_condition(state: BuildState, piece: Piece) -> bool:
    """A condition of the lexicon or the terminology (not a drug, procedure or state: "NOAC prior to
    hospitalization" is no event of the drug)."""
    concept = state.known.concepts.get(piece.kinds.get("CONCEPT", ""))
    category = concept.category if concept is not None else piece.kinds.get("TERM", "condition")
    return category == "condition"


def _unsure(word: Piece) -> Unparsed:
    reason = f"{word.text!r} after a list of conditions: which of them it qualifies is not written"
    return Unparsed(span=word.span, text=word.text, reason=reason)
