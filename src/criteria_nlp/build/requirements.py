"""Reader "requirements": "X that required Y", "X requiring Y", "X needing Y", "X treated with Y" (issue 10 item 8).

What X required (steroids, IV antibiotics, hospitalisation, oxygen) says which X the criterion means: it is a
qualifier of X, not an alternative to it and not a second requirement of its own. "Pneumonitis that required steroids"
read as any(pneumonitis, steroids) excludes every patient on steroids; read as all(pneumonitis, steroids) it is TRUE
for a patient with pneumonitis who takes steroids for asthma, since no record links the treatment to the condition.
So X is read with the requirement as its detail and as narrower than X's id (``ConceptRef.broader``): no record of X
makes the leaf TRUE (at most UNKNOWN, "needs review"), while no X at all still makes it FALSE — the one reading that
never gives a confident wrong decision. The words of Y are taken here, so no concept of them becomes a presence.

Writes ``state.requirements`` (X's piece index -> the requirement as written); the concepts reader gives it to X.
A reaction to something ("hypersensitivity to aspirin", "allergy to penicillin") is read the same way: what it
is a reaction to narrows it (``relation_head`` before ``relation_object``).

Words: ``requirement_verb``, ``requirement_gap``, ``relation_head``, ``relation_object`` in
``corpora/lexicon/words.tsv``.
"""

from __future__ import annotations

from criteria_nlp.build.common import CLAUSE_BREAKS, is_content
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Piece, ProseChunk
from criteria_nlp.knowledge.words import words

READER = "requirements"
_VERBS = words("requirement_verb")
_GAP = words("requirement_gap")
_RELATION_OBJECT = words("relation_object")
_RELATION_HEADS = words("relation_head")
_ENDS = frozenset({*CLAUSE_BREAKS, ":"})
_STOP_KINDS = frozenset({"NEG", "IF", "UNLESS", "ALLOWED"})
_MAX_SKIPPED = 2  # "COPD exacerbation needing oxygen": words between X and the verb, left to the leftovers


def read_requirements(state: BuildState) -> None:
    chunks = state.chunks
    for k, chunk in enumerate(chunks):
        if not isinstance(chunk, ProseChunk) or state.taken(chunk.piece):
            continue
        if chunk.piece.lower in _VERBS:
            found = _head_before(state, k)
        elif chunk.piece.lower in _RELATION_OBJECT:
            found = _reaction_before(state, k)
        else:
            continue
        if found is None:
            continue
        head, gap = found
        required = _required_after(state, k)
        if not any(is_content(p) for p in required):
            continue
        written = [*gap, chunk.piece, *required]
        named: list[Piece] = []
        for piece in written:
            state.take(piece, READER, "detail")
            if "CONCEPT" in piece.kinds:
                state.hold_concept(piece)  # "steroids" is what X required, no presence of its own
                named.append(piece)
        start, end = written[0].char_start, written[-1].char_end
        state.requirements[head.index] = state.document[start:end]
        state.required_concepts[head.index] = named
        if chunk.piece.lower in _RELATION_OBJECT:
            for other in _coordinated_reactions(state, k - 1):  # "allergy or hypersensitivity to tramadol"
                state.requirements[other.index] = state.document[start:end]
                state.required_concepts[other.index] = named


def _head_before(state: BuildState, verb: int) -> tuple[Piece, list[Piece]] | None:
    """The condition the requirement qualifies, and the words ("that", "which has") between it and the verb."""
    gap: list[Piece] = []
    skipped = 0
    for chunk in reversed(state.chunks[:verb]):
        if not isinstance(chunk, ProseChunk):
            return None  # "Hb < 8 g/dL requiring transfusion": a threshold, no condition, stands before
        piece = chunk.piece
        if "CONCEPT" in piece.kinds:
            if state.taken(piece) or piece.index in state.ledger.held_concepts or not _is_condition(state, piece):
                return None
            return piece, gap
        if piece.lower in _GAP and not skipped:
            gap.insert(0, piece)
            continue
        if piece.text in _ENDS or piece.text == "," or set(piece.kinds) & _STOP_KINDS or "CONJ" in piece.kinds:
            return None
        skipped += 1
        if skipped > _MAX_SKIPPED or not is_content(piece):
            return None
    return None


def _reaction_before(state: BuildState, word: int) -> tuple[Piece, list[Piece]] | None:
    """ "Hypersensitivity | to aspirin": a reaction right before "to" (``relation_head``), whose object says which
    reaction is meant; read as an alternative, every patient taking aspirin would be excluded."""
    before = state.chunks[word - 1] if word > 0 else None
    if not isinstance(before, ProseChunk):
        return None
    if _is_reaction(state, before.piece) and before.piece.index not in state.ledger.held_concepts:
        return before.piece, []
    if before.piece.lower in _RELATION_HEADS and not state.taken(before.piece):
        # "allergy, hypersensitivity or intolerance to aspirin": a reaction word the lexicon does not know, after
        # reactions it does: what they are to is theirs
        others = _coordinated_reactions(state, word - 1)
        if others:
            return others[0], []
    return None


def _coordinated_reactions(state: BuildState, head: int) -> list[Piece]:
    """The reactions joined to the one at ``head`` by "or", "and" or commas before it: what they are to is the same."""
    found: list[Piece] = []
    position = head - 1
    while position >= 1:
        joint, before = state.chunks[position], state.chunks[position - 1]
        if not (isinstance(joint, ProseChunk) and (joint.piece.text in (",", "/") or "CONJ" in joint.piece.kinds)):
            break
        if not isinstance(before, ProseChunk):
            break
        if _is_reaction(state, before.piece):
            found.append(before.piece)
        elif before.piece.lower not in _RELATION_HEADS:
            break
        position -= 2
    return found


def _is_reaction(state: BuildState, piece: Piece) -> bool:
    return (
        "CONCEPT" in piece.kinds
        and not state.taken(piece)
        and _is_condition(state, piece)
        and (piece.kinds["CONCEPT"] in _RELATION_HEADS or piece.lower in _RELATION_HEADS)
    )


def _required_after(state: BuildState, verb: int) -> list[Piece]:
    """The words of what was required, up to the end of the clause, a window or threshold, a cue, or the next
    condition of a list ("requiring steroids, or interstitial lung disease")."""
    chunks = state.chunks
    found: list[Piece] = []
    for k in range(verb + 1, len(chunks)):
        chunk = chunks[k]
        if not isinstance(chunk, ProseChunk):
            break
        piece = chunk.piece
        if piece.text in _ENDS or set(piece.kinds) & _STOP_KINDS or state.taken(piece):
            break
        if (piece.text == "," or "CONJ" in piece.kinds) and _condition_next(state, k + 1):
            break
        found.append(piece)
    while found and (found[-1].text in (",", "(") or "CONJ" in found[-1].kinds):
        found.pop()
    return found


def _condition_next(state: BuildState, start: int) -> bool:
    for chunk in state.chunks[start:]:
        if not isinstance(chunk, ProseChunk):
            return False
        piece = chunk.piece
        if piece.text == "," or "CONJ" in piece.kinds:
            continue
        return "CONCEPT" in piece.kinds and _is_condition(state, piece)
    return False


def _is_condition(state: BuildState, piece: Piece) -> bool:
    concept = state.known.concepts.get(piece.kinds["CONCEPT"])
    category = concept.category if concept is not None else piece.kinds.get("TERM", "condition")
    return category == "condition"
