"""What a threshold depends on (part of the thresholds reader): a condition or exception written after or before
it ("if liver metastases are present", "unless on therapeutic anticoagulation", "in case of ..."), the sex it is for
("≥ 12 g/dL for women", "males Hb < 130 g/L"), and a negation right before it ("No ALT > 3 x ULN")."""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.build.common import (
    SEX_PREPOSITIONS,
    concept_ref,
    cover_pieces,
    ends_clause,
    is_content,
    text_of,
    trim,
)
from criteria_nlp.build.state import BuildState, cue_role
from criteria_nlp.grammar import Chunk, ConstraintChunk, Piece, ProseChunk
from criteria_nlp.ir import ConceptRef, Demographic, Node, Presence
from criteria_nlp.knowledge.words import words

READER = "thresholds"
_CONDITION_FILLERS = words("condition_filler")
_SEX_THRESHOLD_GAP = words("sex_threshold_gap")
_PERSON_WORDS = words("person_word")
_SUBGROUP_WITH = words("subgroup_with")


def condition_after(state: BuildState, index: int, restating: bool = False) -> Node | None:
    """The condition after the threshold at ``index``: "if liver metastases are present"; a threshold that restates
    the one before it takes "with" as a condition too ("≤ 3 × ULN (≤ 5 × ULN with liver metastases)"). An exception
    ("unless on therapeutic anticoagulation") is a clause of its own (:mod:`~criteria_nlp.build.exceptions`)."""
    for position in range(index + 1, len(state.chunks)):
        chunk = state.chunks[position]
        if ends_clause(chunk):
            return None
        if isinstance(chunk, ProseChunk) and "UNLESS" in chunk.piece.kinds:
            return None
        if isinstance(chunk, ProseChunk) and (
            "IF" in chunk.piece.kinds or (restating and _with_subgroup(state, position, index))
        ):
            if _leads_threshold(state, position):
                return None  # "(in case of liver metastases < 5 × ULN)": the condition of the next threshold
            return _condition_at(state, position)
        if sex_leads_threshold(state, state.chunks.index(chunk)):
            return None  # "Hb < 130 g/L, females < 120 g/L": the sex belongs to the next threshold
        sex = _sex_condition(state, chunk)
        if sex is not None:
            return sex
        if not (isinstance(chunk, ProseChunk) and not is_content(chunk.piece)):
            return None
    return None


def condition_before(state: BuildState, index: int) -> Node | None:
    """ "in case of hepatic metastases, AST ≤ 5 × ULN": a condition written before its threshold; likewise
    "males Hb < 130 g/L, females < 120 g/L", where the clause gives a threshold for each sex."""
    sex = leading_sex(state, index)
    if sex is not None:
        return _sex_condition(state, sex)
    for position in range(index - 1, -1, -1):
        chunk = state.chunks[position]
        if not isinstance(chunk, ProseChunk):
            return None
        piece = chunk.piece
        if "IF" in piece.kinds and not state.taken(piece):
            return _condition_at(state, position)
        if piece.text in (";", "."):
            return None
    return None


def people_subgroup(state: BuildState, between: Sequence[Chunk]) -> bool:
    """ "…, or ≥ 45 mL/min | for participants | aged 70 or older": the words before a threshold say it is whom the
    threshold before them applies to (a preposition and words for people, after an optional comma)."""
    pieces = [c.piece for c in between if isinstance(c, ProseChunk)]
    if len(pieces) != len(between) or any(state.taken(p) for p in pieces):
        return False
    if pieces and pieces[0].text == ",":
        pieces = pieces[1:]
    return (
        len(pieces) >= 2 and pieces[0].lower in SEX_PREPOSITIONS and all(p.lower in _PERSON_WORDS for p in pieces[1:])
    )


def _with_subgroup(state: BuildState, position: int, index: int) -> bool:
    """ "(≤ 5 × ULN with liver metastases)": "with" after a bracketed threshold that restates the one before it;
    "for women" is a sex (:func:`_sex_condition`)."""
    chunks = state.chunks
    following = chunks[position + 1] if position + 1 < len(chunks) else None
    before = chunks[index - 1] if index > 0 else None
    return (
        _is_subgroup_cue(chunks[position])
        and isinstance(before, ProseChunk)
        and before.piece.text == "("
        and isinstance(following, ProseChunk)
        and "SEX" not in following.piece.kinds
    )


def _trailing_subgroup(state: BuildState, pieces: list[Piece]) -> Node | None:
    """ "; liver metastases, if any, < 5 × ULN" ending the criterion: the condition's subgroup threshold."""
    concept = pieces[1] if len(pieces) > 1 else None
    if concept is None or "CONCEPT" not in concept.kinds or any(is_content(p) for p in pieces[2:]):
        return None
    for piece in pieces:
        state.take(piece, READER, "condition" if piece is concept else cue_role(piece, "filler"))
    state.hold_concept(concept)
    return Presence(span=concept.span, concept=concept_ref(state, concept, ()))


def _is_subgroup_cue(chunk: Chunk) -> bool:
    if not isinstance(chunk, ProseChunk):
        return False
    return "IF" in chunk.piece.kinds or chunk.piece.lower in _SUBGROUP_WITH


def _leads_threshold(state: BuildState, position: int) -> bool:
    """Does the condition cue at ``position`` lead a threshold of its own, before the bracket or clause ends?"""
    chunks = state.chunks
    for later in range(position + 1, len(chunks)):
        chunk = chunks[later]
        if isinstance(chunk, ConstraintChunk):
            return True
        if isinstance(chunk, ProseChunk) and chunk.piece.text == ",":
            # "(if liver metastases are present, < 5 × ULN)": a threshold of nothing right after the comma
            following = chunks[later + 1] if later + 1 < len(chunks) else None
            return isinstance(following, ConstraintChunk) and not following.variables
        if not isinstance(chunk, ProseChunk) or chunk.piece.text in (")", ";"):
            return False
    return False


def subgroup_before(state: BuildState, between: Sequence[Chunk], after: Chunk | None) -> Node | None:
    """ "bilirubin ≤ 1.5 × ULN (patients with Gilbert's syndrome ≤ 3 × ULN)", "(in case of liver metastases
    < 5 × ULN)": the subgroup that the bracketed threshold after ``between`` (the words since the threshold before
    it) is for; ``after`` is the chunk after that threshold, the closing bracket. None when they name none."""
    pieces = [c.piece for c in between if isinstance(c, ProseChunk)]
    if len(pieces) == len(between) and after is None and pieces and pieces[0].text == ";":
        return _trailing_subgroup(state, pieces)
    closed = isinstance(after, ProseChunk) and after.piece.text == ")"
    if len(pieces) != len(between) or not pieces or pieces[0].text != "(" or not closed:
        return None
    inner = pieces[1:-1] if pieces[-1].text == "," else pieces[1:]  # "(if liver metastases are present, < 5 …)"
    if any(p.text in ("(", ")", ",", ";") for p in inner):
        return None  # one bracket holding the subgroup and its threshold, nothing else
    position = 1
    while position < len(pieces) and pieces[position].lower in _PERSON_WORDS:
        position += 1
    if position >= len(pieces) or not _is_subgroup_cue(between[position]):
        return None
    if state.taken(pieces[position]):
        return None
    condition = [p for p in pieces[position + 1 :] if p.lower not in _CONDITION_FILLERS]
    content = trim(condition)
    if not content or any(kind in p.kinds for p in condition for kind in ("VARIABLE", "GROUP", "SEX")):
        return None
    for piece in pieces[: position + 1]:
        state.take(piece, READER, "cue:condition" if piece is pieces[position] else "filler")
    concepts = [p for p in condition if "CONCEPT" in p.kinds]
    if len(concepts) == 1 and all(p is concepts[0] or not is_content(p) for p in condition):
        state.take(concepts[0], READER, "condition")
        state.hold_concept(concepts[0])
        return Presence(span=concepts[0].span, concept=concept_ref(state, concepts[0], ()))
    for piece in pieces[position + 1 :]:
        state.take(piece, READER, "condition")
    span = cover_pieces(content) or content[0].span
    mention = text_of(content, state.document)
    return Presence(span=span, concept=ConceptRef(id=None, mention=mention, span=span, category="other"))


def _condition_at(state: BuildState, start: int) -> Node | None:
    """The condition that the IF/UNLESS cue at ``start`` introduces: a known concept, else its words."""
    chunk = state.chunks[start]
    if isinstance(chunk, ProseChunk):
        for later in state.chunks[start + 1 :]:
            if isinstance(later, ConstraintChunk):
                return None
            if isinstance(later, ProseChunk) and later.piece.text == ")":
                break
            if isinstance(later, ProseChunk) and "CONCEPT" in later.piece.kinds:
                piece = later.piece
                state.take(chunk.piece, READER, "cue:condition")
                state.take(piece, READER, "condition")
                for other in state.chunks[start + 1 : state.chunks.index(later) + 3]:
                    if isinstance(other, ProseChunk) and not is_content(other.piece):
                        state.take(other.piece, READER, "filler")
                state.hold_concept(piece)
                return Presence(span=piece.span, concept=concept_ref(state, piece, ()))
    return _unknown_condition(state, start)


def _unknown_condition(state: BuildState, start: int) -> Node | None:
    """ "if bone marrow involvement": a condition the lexicon does not know, kept as a concept by its words."""
    found: list[Piece] = []
    for later in state.chunks[start + 1 :]:
        if not isinstance(later, ProseChunk) or later.piece.text in (")", ",", ";"):
            break
        found.append(later.piece)
    content = trim([p for p in found if p.lower not in _CONDITION_FILLERS])
    if not content:
        return None
    for p in found:
        state.take(p, READER, "condition")
    cue = state.chunks[start]
    assert isinstance(cue, ProseChunk)
    state.take(cue.piece, READER, "cue:condition")
    span = cover_pieces(content) or content[0].span
    mention = text_of(content, state.document)
    return Presence(span=span, concept=ConceptRef(id=None, mention=mention, span=span, category="other"))


def _sex_condition(state: BuildState, chunk: Chunk) -> Node | None:
    """ "≥ 12 g/dL for women": the threshold applies to one sex."""
    if not isinstance(chunk, ProseChunk) or "SEX" not in chunk.piece.kinds:
        return None
    value = chunk.piece.kinds["SEX"]
    if value not in ("female", "male"):
        return None
    state.take(chunk.piece, READER, "sex")
    return Demographic(span=chunk.piece.span, attribute="sex", sex=value)


def negation_before(state: BuildState, index: int) -> Piece | None:
    """ "No ALT > 3 x ULN": a negation cue right before a threshold (only fillers between) negates it."""
    for chunk in reversed(state.chunks[:index]):
        if not isinstance(chunk, ProseChunk):
            return None
        piece = chunk.piece
        if "NEG" in piece.kinds:
            state.take(piece, READER, "cue:negation")
            return piece
        if is_content(piece) and "VARIABLE" not in piece.kinds and "GROUP" not in piece.kinds:
            return None
    return None


def bare_value_for_sex(state: BuildState, index: int) -> bool:
    """Is the bare value at ``index`` followed by "for women"/"in men" in a criterion that names both sexes?"""
    chunks = state.chunks
    if index + 2 >= len(chunks) or not {"female", "male"} <= state.sexes:
        return False
    preposition, sex = chunks[index + 1], chunks[index + 2]
    return (
        isinstance(preposition, ProseChunk)
        and preposition.piece.lower in SEX_PREPOSITIONS
        and isinstance(sex, ProseChunk)
        and sex.piece.kinds.get("SEX") in ("female", "male")
    )


def _between_sex_and_threshold(chunk: Chunk) -> bool:
    """Words that may stand between a sex and its threshold: "males: Hb < 130", "women with a BMI > 35"."""
    return isinstance(chunk, ProseChunk) and chunk.piece.lower in _SEX_THRESHOLD_GAP


def leading_sex(state: BuildState, index: int) -> ProseChunk | None:
    """The sex word that leads the threshold at ``index`` (see :func:`sex_leads_threshold`), if any."""
    position = index - 1
    while position >= 0 and _between_sex_and_threshold(state.chunks[position]):
        position -= 1
    if position < 0 or not sex_leads_threshold(state, position):
        return None
    chunk = state.chunks[position]
    assert isinstance(chunk, ProseChunk)
    return chunk


def sex_leads_threshold(state: BuildState, position: int) -> bool:
    """Is the chunk at ``position`` a bare sex word right before a threshold ("males Hb < 130 g/L", "female<105
    ml/min") in a criterion that names both sexes? A sex after "for"/"in" says whom the threshold before it applies
    to instead ("< 130 g/L for men, < 120 g/L for women")."""
    chunks = state.chunks
    chunk = chunks[position]
    if not isinstance(chunk, ProseChunk) or chunk.piece.kinds.get("SEX") not in ("female", "male"):
        return False
    if state.taken(chunk.piece):
        return False
    before = chunks[position - 1] if position > 0 else None
    if isinstance(before, ProseChunk) and before.piece.lower in SEX_PREPOSITIONS:
        return False
    following = position + 1
    while following < len(chunks) and _between_sex_and_threshold(chunks[following]):
        following += 1
    if following >= len(chunks) or not isinstance(chunks[following], ConstraintChunk):
        return False
    return {"female", "male"} <= state.sexes
