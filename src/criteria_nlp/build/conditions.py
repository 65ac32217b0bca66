"""What a threshold depends on (part of the thresholds reader): a condition or exception written after or before
it ("if liver metastases are present", "unless on therapeutic anticoagulation", "in case of ..."), the sex it is for
("≥ 12 g/dL for women", "males Hb < 130 g/L"), and a negation right before it ("No ALT > 3 x ULN")."""

from __future__ import annotations

from collections.abc import Sequence

from criteria_nlp.build.clauses import naming_people
from criteria_nlp.build.common import (
    SEX_PREPOSITIONS,
    chunk_span,
    concept_ref,
    cover_pieces,
    ends_clause,
    is_content,
    is_or,
    text_of,
    trim,
)
from criteria_nlp.build.state import BuildState, cue_role
from criteria_nlp.grammar import Chunk, ConstraintChunk, Piece, ProseChunk
from criteria_nlp.ir import ConceptRef, Demographic, Node, Not, Presence, Span, Unparsed
from criteria_nlp.knowledge.words import words

READER = "thresholds"
_CONDITION_FILLERS = words("condition_filler")
_SEX_THRESHOLD_GAP = words("sex_threshold_gap")
_PERSON_WORDS = words("person_word")
_SUBGROUP_WITH = words("subgroup_with")
_ARTICLES = words("article")
_PUNCTUATION = frozenset({")", "(", ",", ";", ".", ":"})
_ONLY_WORDS = words("subgroup_only")
# the words that may stand around the condition of a subgroup with "only": "(for patients with diabetes only)"
_AROUND_SUBGROUP = _SUBGROUP_WITH | SEX_PREPOSITIONS
_SUBGROUP_WORDS = 6  # the most words a subgroup ending a clause may have ("with liver involvement")


def condition_after(state: BuildState, index: int, restating: bool = False) -> Node | None:
    """The condition after the threshold at ``index``: "if liver metastases are present"; a threshold that restates
    the one before it takes "with" as a condition too ("≤ 3 × ULN (≤ 5 × ULN with liver metastases)"). An exception
    ("unless on therapeutic anticoagulation") is a clause of its own (:mod:`~criteria_nlp.build.exceptions`)."""
    restating = restating or _relaxed_pair(state.chunks[index])
    for position in range(index + 1, len(state.chunks)):
        chunk = state.chunks[position]
        if ends_clause(chunk):
            return None
        if isinstance(chunk, ProseChunk) and ("UNLESS" in chunk.piece.kinds or _taken_cue(state, chunk)):
            return None
        if isinstance(chunk, ProseChunk) and (
            "IF" in chunk.piece.kinds or (restating and _with_subgroup(state, position, index))
        ):
            if _leads_threshold(state, position):
                return None  # "(in case of liver metastases < 5 × ULN)": the condition of the next threshold
            return _condition_at(state, position)
        people = _people_after(state, position) or _bracketed_only(state, position)
        if people is not None:
            return people
        if sex_leads_threshold(state, state.chunks.index(chunk)):
            return None  # "Hb < 130 g/L, females < 120 g/L": the sex belongs to the next threshold
        sex = _sex_condition(state, chunk)
        if sex is not None:
            return sex
        if not (isinstance(chunk, ProseChunk) and not is_content(chunk.piece)):
            return None
    return None


def _people_after(state: BuildState, position: int) -> Node | None:
    """ "HbA1c ≤ 10% in diabetic patients (only)": a preposition and a concept written as the people who have it,
    ending the clause, say whom the threshold applies to (as "in patients with diabetes" does)."""
    chunks = state.chunks
    cue, named = chunks[position], chunks[position + 1] if position + 1 < len(chunks) else None
    if not (isinstance(cue, ProseChunk) and cue.piece.lower in SEX_PREPOSITIONS) or named is None:
        return None
    if not naming_people(named) or state.taken(cue.piece):
        return None
    assert isinstance(named, ProseChunk)
    rest = [c for c in chunks[position + 2 :] if not (isinstance(c, ProseChunk) and c.piece.lower in _ONLY_WORDS)]
    if rest and not ends_clause(rest[0]) and not (isinstance(rest[0], ProseChunk) and rest[0].piece.text == ")"):
        return None
    state.take(cue.piece, READER, "cue:condition")
    state.take(named.piece, READER, "condition")
    state.hold_concept(named.piece)
    return Presence(span=named.piece.span, concept=concept_ref(state, named.piece, ()))


def _bracketed_only(state: BuildState, position: int) -> Node | None:
    """ "HbA1c ≤ 10% (diabetic patients only)", "(CKD patients only)", "(patients with liver metastases only)",
    "(only for diabetics)", "…, diabetics only": a bracket (or a comma ending the clause) right after a threshold
    holding one condition, the words for the people who have it, and "only" says whom the threshold applies to; it is
    no further requirement."""
    chunks = state.chunks
    opener = chunks[position]
    if not (isinstance(opener, ProseChunk) and opener.piece.text in ("(", ",")):
        return None
    end = position + 1
    while end < len(chunks) and isinstance(chunks[end], ProseChunk) and not _closes(chunks[end], opener.piece.text):
        end += 1
    inside = [c.piece for c in chunks[position + 1 : end] if isinstance(c, ProseChunk)]
    if len(inside) != end - position - 1 or not _says_only(inside):
        return None
    if opener.piece.text == "(" and end == len(chunks):
        return None  # no closing bracket
    named = [p for p in inside if not (_is_only(p) or p.lower in _PERSON_WORDS or p.lower in _AROUND_SUBGROUP)]
    if len(named) != 1 or "CONCEPT" not in named[0].kinds or any(state.taken(p) for p in inside):
        return None
    for piece in inside:
        state.take(piece, READER, "condition" if piece is named[0] else "cue:condition")
    state.hold_concept(named[0])
    return Presence(span=named[0].span, concept=concept_ref(state, named[0], ()))


def _closes(chunk: Chunk, opener: str) -> bool:
    """The end of what an opening bracket (its ")") or a comma (the end of its clause, or a comma before the next
    threshold: "HbA1c ≤ 10%, diabetes only, BMI < 40") holds."""
    if opener == ",":
        return ends_clause(chunk) or (isinstance(chunk, ProseChunk) and chunk.piece.text == ",")
    return isinstance(chunk, ProseChunk) and chunk.piece.text == ")"


def _is_only(piece: Piece) -> bool:
    return piece.lower in _ONLY_WORDS and piece.lower.isalpha()


def _says_only(inside: Sequence[Piece]) -> bool:
    """ "only" first or last of the words, as a word of its own or inside the one concept they are ("(only diabetic
    patients)": the terminology reads the phrase as one narrower mention)."""
    if len(inside) >= 2:
        return _is_only(inside[-1]) or _is_only(inside[0])
    written = inside[0].lower.split() if len(inside) == 1 and "CONCEPT" in inside[0].kinds else []
    return len(written) >= 2 and (written[0] in _ONLY_WORDS or written[-1] in _ONLY_WORDS)


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
    likewise "≤ 3 × ULN or ≤ 5 × ULN with liver metastases" where the subgroup ends the clause. "for women" is a
    sex (:func:`_sex_condition`)."""
    chunks = state.chunks
    following = chunks[position + 1] if position + 1 < len(chunks) else None
    before = chunks[index - 1] if index > 0 else None
    bracketed = isinstance(before, ProseChunk) and before.piece.text == "("
    return (
        _is_subgroup_cue(chunks[position])
        and (bracketed or (_after_or(state, index) and _ends_with_subgroup(state, position)))
        and isinstance(following, ProseChunk)
        and "SEX" not in following.piece.kinds
    )


def _taken_cue(state: BuildState, chunk: ProseChunk) -> bool:
    """A condition cue another reading took (the subgroup of two complementary thresholds) is not this one's."""
    return state.taken(chunk.piece) and _is_subgroup_cue(chunk)


def _relaxed_pair(chunk: Chunk) -> bool:
    """ "ALT ≤ 3 × ULN or ≤ 5 × ULN": one threshold chunk holding two bounds of the same side, the second relaxing
    the first for a subgroup."""
    if not isinstance(chunk, ConstraintChunk) or len(chunk.thresholds) != 2:
        return False
    sides = {(t.operator or "")[:1] for t in chunk.thresholds}
    return len(sides) == 1 and sides <= {"<", ">"}


def _after_or(state: BuildState, index: int) -> bool:
    """Is the threshold at ``index`` an alternative ("…, or ≤ 5 × ULN"), or a pair of them in one chunk?"""
    before = state.chunks[index - 1] if index > 0 else None
    return _relaxed_pair(state.chunks[index]) or (isinstance(before, ProseChunk) and is_or(before.piece))


def _ends_with_subgroup(state: BuildState, position: int) -> bool:
    """Do only a few words, no threshold or bracket, follow the subgroup cue at ``position`` to the clause end?"""
    rest = state.chunks[position + 1 :]
    return 0 < len(rest) <= _SUBGROUP_WORDS and all(
        isinstance(c, ProseChunk) and c.piece.text not in _PUNCTUATION for c in rest
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
    if len(pieces) == len(between):
        complement = _complementary(state, pieces, after)
        if complement is not None:
            return complement
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


def _complementary(state: BuildState, between: list[Piece], after: Chunk | None) -> Node | None:
    """ "ALT ≤ 2.5 × ULN if no liver involvement or ≤ 5 × ULN with liver involvement", "… without liver
    metastases, or ≤ 5 × ULN": the threshold before ``between`` is for the patients without a condition, the one
    after it for those with it (the words after it, if any, must name the same condition). The condition of the
    second threshold, which then restates the first; None when the words are not so."""
    lead = _lead_length(between)
    if lead >= len(between) or "NEG" not in between[lead].kinds:
        return None
    end = len(between)
    while end > lead + 1 and (between[end - 1].text == "," or "CONJ" in between[end - 1].kinds):
        end -= 1
    named = between[lead + 1 : end]
    if not _names_condition(named):
        return None
    following = _following_words(state, after)
    if following is None:
        return None
    trailing_lead = _lead_length(following, with_cue=True)
    again = following[trailing_lead:]
    unsure = bool(following) and (trailing_lead == 0 or _condition_key(again) != _condition_key(named))
    for piece in (*between, *following):
        role = "condition" if piece in named or piece in again else cue_role(piece, "filler")
        state.take(piece, READER, "cue:negation" if "NEG" in piece.kinds else role)
    if unsure:
        # "… if no liver metastases or ≤ 5 × ULN with bone metastases": whom the second threshold is for is not
        # the complement of the first subgroup; unknown, so only a value both thresholds agree on decides
        span = cover_pieces(following) or after_span(after)
        reason = "a second subgroup that is not the complement of the first"
        return Unparsed(span=span, text=span.slice(state.document), reason=reason)
    words = again or named
    concepts = [p for p in (*named, *again) if "CONCEPT" in p.kinds]
    for concept in concepts:
        state.hold_concept(concept)
    content = trim([p for p in words if p.lower not in _CONDITION_FILLERS])
    if len(content) == 1 and "CONCEPT" in content[0].kinds:
        return Presence(span=content[0].span, concept=concept_ref(state, content[0], ()))
    span = cover_pieces(content) or content[0].span
    mention = text_of(content, state.document)
    return Presence(span=span, concept=ConceptRef(id=None, mention=mention, span=span, category="other"))


def after_span(after: Chunk | None) -> Span:
    assert after is not None, "a subgroup's words follow its threshold"
    return chunk_span(after)


def _lead_length(pieces: Sequence[Piece], with_cue: bool = False) -> int:
    """How many words lead a subgroup's condition: "if", "in (the)", "in patients", "in patients with"; with
    ``with_cue`` the last of them must be a condition cue ("with", "if", "in the presence of")."""
    position = 0
    cue = False
    while position < len(pieces):
        piece = pieces[position]
        if "IF" in piece.kinds or piece.lower in _SUBGROUP_WITH:
            cue = True
        elif not ("VERB_IS" in piece.kinds or piece.lower in _PERSON_WORDS or piece.lower in _ARTICLES):
            break
        position += 1
    return position if cue or not with_cue else 0


def _names_condition(named: Sequence[Piece]) -> bool:
    """A few words naming a condition: content, no threshold words, sex, negation or punctuation."""
    banned = ("VARIABLE", "GROUP", "SEX", "NEG", "IF", "UNLESS")
    return (
        0 < len(named) <= _SUBGROUP_WORDS
        and any(is_content(p) for p in named)
        and not any(kind in p.kinds for p in named for kind in banned)
        and not any(p.text in _PUNCTUATION for p in named)
    )


def _following_words(state: BuildState, after: Chunk | None) -> list[Piece] | None:
    """The words from ``after`` (the chunk after a threshold) to the end of the clause; None when a threshold or
    a bracket comes first."""
    if after is None:
        return []
    start = next(k for k, c in enumerate(state.chunks) if c is after)
    found: list[Piece] = []
    for chunk in state.chunks[start:]:
        if not isinstance(chunk, ProseChunk):
            return None
        if chunk.piece.text in (";", "."):
            break
        if chunk.piece.text in _PUNCTUATION:
            return None
        found.append(chunk.piece)
    return found


def _condition_key(pieces: Sequence[Piece]) -> tuple[str, ...]:
    """What names a condition, for comparing two mentions of it: concept ids, else the words."""
    content = [p for p in pieces if is_content(p) and p.lower not in _CONDITION_FILLERS]
    return tuple(p.kinds.get("CONCEPT", p.lower) for p in content)


def _condition_at(state: BuildState, start: int) -> Node | None:
    """The condition that the IF/UNLESS cue at ``start`` introduces: a known concept, else its words. A negation
    in it ("if no liver metastases", "if liver metastases are absent") makes it the concept's absence."""
    chunk = state.chunks[start]
    if isinstance(chunk, ProseChunk):
        for position in range(start + 1, len(state.chunks)):
            later = state.chunks[position]
            if isinstance(later, ConstraintChunk):
                return None
            if isinstance(later, ProseChunk) and later.piece.text == ")":
                break
            if isinstance(later, ProseChunk) and "CONCEPT" in later.piece.kinds:
                piece = later.piece
                state.take(chunk.piece, READER, "cue:condition")
                state.take(piece, READER, "condition")
                words = [c.piece for c in state.chunks[start + 1 : position] if isinstance(c, ProseChunk)]
                words.extend(_words_after(state, position))
                for other in words:
                    if not is_content(other):
                        state.take(other, READER, "cue:negation" if "NEG" in other.kinds else "filler")
                state.hold_concept(piece)
                found = Presence(span=piece.span, concept=concept_ref(state, piece, ()))
                return _negated(found, words)
    return _unknown_condition(state, start)


def _words_after(state: BuildState, position: int) -> list[Piece]:
    """ "liver metastases | are absent": the words that finish a condition after its concept (no content, no
    punctuation: the next words may belong to what follows)."""
    found: list[Piece] = []
    for later in state.chunks[position + 1 : position + 4]:
        if not isinstance(later, ProseChunk) or later.piece.text in _PUNCTUATION or is_content(later.piece):
            break
        if later.piece.lower in _CONDITION_FILLERS or "NEG" in later.piece.kinds or "VERB_IS" in later.piece.kinds:
            found.append(later.piece)
        else:
            break
    return found


def _negated(condition: Node, words: Sequence[Piece]) -> Node:
    """The condition, or its absence when a negation stands in its words."""
    negations = [p for p in words if "NEG" in p.kinds]
    if not negations:
        return condition
    return Not(span=condition.span.cover(negations[0].span), child=condition)


def _unknown_condition(state: BuildState, start: int) -> Node | None:
    """ "if bone marrow involvement": a condition the lexicon does not know, kept as a concept by its words."""
    found: list[Piece] = []
    for later in state.chunks[start + 1 :]:
        if not isinstance(later, ProseChunk) or later.piece.text in (")", ",", ";"):
            break
        found.append(later.piece)
    content = trim([p for p in found if p.lower not in _CONDITION_FILLERS and "NEG" not in p.kinds])
    if not content:
        return None
    for p in found:
        state.take(p, READER, "cue:negation" if "NEG" in p.kinds else "condition")
    cue = state.chunks[start]
    assert isinstance(cue, ProseChunk)
    state.take(cue.piece, READER, "cue:condition")
    span = cover_pieces(content) or content[0].span
    mention = text_of(content, state.document)
    found_node = Presence(span=span, concept=ConceptRef(id=None, mention=mention, span=span, category="other"))
    return _negated(found_node, found)


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
