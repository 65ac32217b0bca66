"""A criterion's chunks as clauses, before the readers run: at ";" and ".", and at permissions and obligations.

* A ";" or "." ends a clause unless what follows continues it: a bare threshold ("ALT ≤ 2.5 × ULN; ≤ 5 × ULN if
  liver metastases are present") or a condition ("; in case of …").
* A permission ("Bilirubin ≤ 1.5 × ULN (isolated bilirubin > 1.5 × ULN is acceptable if ...)") is a clause of its
  own, from the bracket, comma or "except" before its cue to the closing bracket; it relaxes the clause before it.
* An exception ("Known HIV infection, | unless CD4 ≥ 350 cells/µL and viral load < 200 copies/mL") is a clause of
  its own, from its cue to the end of the clause or its closing bracket: it is read on its own (thresholds,
  conditions) and combined with the clause before it by :mod:`~criteria_nlp.build.exceptions`. A comma and a
  coordinator after a complete threshold of the exception, followed by a condition, end it: "HIV, unless CD4 ≥ 350,
  | or hepatitis B" names hepatitis B as one more item of the criterion, not as part of the exception.
* A subgroup ("For patients ≥ 65 years: | creatinine clearance ≥ 30 mL/min") names whom the rest applies to.
* An obligation ("Female patients | must have a negative pregnancy test"): the words before it name whom the rest
  applies to, when they hold a sex, a condition or a threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from criteria_nlp.build.common import CLAUSE_BREAKS, SEX_PREPOSITIONS, first_with, is_content, is_or
from criteria_nlp.grammar import Chunk, ConstraintChunk, Piece, ProseChunk, VariableMention
from criteria_nlp.ir import Section
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.knowledge.words import words

_NOT_PERMISSION_AFTER = words("not_permission_after")
_PERSON_WORDS = words("person_word")
_STATE_LEADS = words("exception_state_lead")
_SUBJECT_WORDS = 8  # the most words naming the condition of a subgroup before its ":"


@dataclass
class Clause:
    chunks: list[Chunk] = field(default_factory=list)
    permission: bool = False  # a permission ("patients with ... are eligible if ..."): relaxes the clause before
    inherited: tuple[VariableMention, ...] = ()  # variables of the clause a permission relaxes
    subject: bool = False  # names whom the next clause applies to ("Women of childbearing potential | must ...")
    exception: bool = False  # an exception ("unless CD4 ≥ 350 cells/µL"): narrows the clause before


def split_clauses(
    chunks: Sequence[Chunk], section: Section | None = None, prose: Sequence[Piece] | None = None
) -> list[Clause]:
    """The clauses of a criterion; ``section`` (None: not known) tells whether an "or" after an exception may
    start a new item of the criterion (in an exclusion the clauses are alternatives, as "or" says); ``prose``: the
    pieces of its prose chunks, when the caller has them."""
    if prose is None:
        prose = [c.piece for c in chunks if isinstance(c, ProseChunk)]
    breaks = not CLAUSE_BREAKS.isdisjoint([p.text for p in prose])
    clauses = _at_breaks(chunks) if breaks else [Clause(list(chunks))]
    # the splits whose cue the criterion does not hold leave each clause whole: they are not asked
    kinds: set[str] = set().union(*[p.kinds for p in prose])
    result: list[Clause] = []
    for clause in clauses:
        if clause.chunks:
            for part in _split_permission(clause) if "ALLOWED" in kinds else (clause,):
                for piece in _split_exception(part, section) if "UNLESS" in kinds else (part,):
                    for rest in _split_subgroup(piece):
                        result.extend(_split_obligation(rest) if "OBLIGE" in kinds else (rest,))
    return result


def _at_breaks(chunks: Sequence[Chunk]) -> list[Clause]:
    """The chunks cut at each ";" or "." that what follows does not continue."""
    clauses: list[Clause] = [Clause()]
    for position, chunk in enumerate(chunks):
        if isinstance(chunk, ProseChunk) and chunk.piece.text in CLAUSE_BREAKS:
            following = chunks[position + 1] if position + 1 < len(chunks) else None
            continues = (
                (isinstance(following, ConstraintChunk) and not following.variables)
                or (isinstance(following, ProseChunk) and "IF" in following.piece.kinds and chunk.piece.text == ";")
                or (chunk.piece.text == ";" and _subgroup_follows(chunks, position + 1))
            )
            if continues:
                clauses[-1].chunks.append(chunk)
                continue
            clauses.append(Clause())
            continue
        clauses[-1].chunks.append(chunk)
    return clauses


def _subgroup_follows(chunks: Sequence[Chunk], start: int) -> bool:
    """ "AST ≤ 3 × ULN; liver metastases, if any, < 5 × ULN": a condition, then only fillers and "if", then a
    threshold of nothing that ends the criterion: the subgroup's threshold of the same variable."""
    first = chunks[start] if start < len(chunks) else None
    if not isinstance(first, ProseChunk) or "CONCEPT" not in first.piece.kinds:
        return False
    for position in range(start + 1, len(chunks)):
        chunk = chunks[position]
        if isinstance(chunk, ConstraintChunk):
            return not chunk.variables and position == len(chunks) - 1
        if not isinstance(chunk, ProseChunk) or chunk.piece.text in CLAUSE_BREAKS or is_content(chunk.piece):
            return False
    return False


def _split_exception(clause: Clause, section: Section | None = None) -> list[Clause]:
    """ "X, unless E" / "X (except if E) Y": the exception from its cue to the end of the clause, or to the bracket
    that closes the one opening it, or to a new item after it ("X, unless E, or Y"); the words after it are a
    clause of their own."""
    if clause.permission:
        return [clause]  # "… except hormonal therapy is allowed": the permission holds the exception
    chunks = clause.chunks
    cue = first_with(chunks, "UNLESS")
    if not cue or not any(_is_statement(c) for c in chunks[:cue]):
        return [clause]
    opener = chunks[cue - 1]
    end = len(chunks)
    if isinstance(opener, ProseChunk) and opener.piece.text in ("(", "["):
        closer = ")" if opener.piece.text == "(" else "]"
        end = next((k for k in range(cue + 1, len(chunks)) if _is_text(chunks[k], closer)), len(chunks))
    else:
        end = _new_item(chunks, cue, section)
    start = cue - 1 if isinstance(opener, ProseChunk) and opener.piece.text in ("(", "[", ",") else cue
    if not any(_is_statement(c) for c in chunks[cue + 1 : end]):
        return [clause]
    inherited = _last_variables(chunks[:start])
    parts = [Clause(chunks[:start], inherited=clause.inherited)]
    parts.append(Clause(chunks[start : min(end + 1, len(chunks))], exception=True, inherited=inherited))
    rest = chunks[end + 1 :]
    cue = first_with(rest, "UNLESS")
    if cue is not None and not any(_is_statement(c) for c in rest[:cue]):
        parts.append(Clause(rest, exception=True, inherited=inherited))  # "(except …), unless …": a second one
    elif rest:
        parts.extend(_split_exception(Clause(rest), section))
    return parts


def _new_item(chunks: Sequence[Chunk], cue: int, section: Section | None) -> int:
    """Where an exception with no bracket ends: at the comma before a coordinator and a new condition ("HIV,
    unless CD4 ≥ 350, or hepatitis B"), when what the exception says before it is complete (it ends in a threshold
    of a named variable); else at the end of the clause. "unless CD4 ≥ 350 and viral load < 200" (a threshold
    after the coordinator) and "unless on anticoagulation, or ..." (no threshold) keep the exception whole. The
    comma is returned: the chunk the exception's clause ends at and leaves out."""
    for k in range(cue + 2, len(chunks) - 2):
        before, comma, coordinator = chunks[k - 1], chunks[k], chunks[k + 1]
        if not _is_text(comma, ","):
            continue
        if not (isinstance(coordinator, ProseChunk) and "CONJ" in coordinator.piece.kinds):
            continue
        if is_or(coordinator.piece) and section != "exclusion":
            continue  # an inclusion's clauses are all required: "or" would be lost
        complete = isinstance(before, ConstraintChunk) and before.variables
        # "HIV, unless on antiretroviral therapy, or hepatitis B": an exception naming no condition (a treatment,
        # a state) before a comma, "or" and a condition in an exclusion ends there, the condition is a new item;
        # "cancer, except basal cell carcinoma, or squamous cell carcinoma" (kinds of the condition) goes on
        if complete and _starts_condition(chunks[k + 2 :]):
            return k
        said = chunks[cue + 1 : k]
        after_state = is_or(coordinator.piece) and _states_patient(said) and not _open_bracket(said)
        named = any(isinstance(c, ProseChunk) and "CONCEPT" in c.piece.kinds for c in said)
        # after a named treatment only a named condition is a new item; after state words, any unknown words too
        if after_state and _starts_condition(chunks[k + 2 :], True, words_too=not named):
            return k
    return len(chunks)


def _open_bracket(chunks: Sequence[Chunk]) -> bool:
    """ "unless sterilized surgically [ie, tubal ligation, or …": a list inside a bracket the comma does not end."""
    depth = 0
    for chunk in chunks:
        if isinstance(chunk, ProseChunk) and chunk.piece.text in ("(", "["):
            depth += 1
        elif isinstance(chunk, ProseChunk) and chunk.piece.text in (")", "]"):
            depth -= 1
    return depth > 0


def _states_patient(chunks: Sequence[Chunk]) -> bool:
    """Do ``chunks`` say a state of the patient (a treatment: "on anticoagulants", "receiving antiviral therapy")
    and name no condition, so that they are no kind of the condition the exception follows?"""
    pieces = [c.piece for c in chunks if isinstance(c, ProseChunk)]
    if len(pieces) != len(chunks) or not pieces:
        return False
    concepts = [p for p in pieces if "CONCEPT" in p.kinds]
    if any(_category(p) == "condition" for p in concepts):
        return False
    first = next((p for p in pieces if p.text not in (",", "(")), None)
    return bool(concepts) or (first is not None and first.lower in _STATE_LEADS)


def _category(piece: Piece) -> str:
    """A concept piece's category: the (packaged) lexicon's, else the terminology's, else a condition."""
    concept = load_lexicon().concepts.get(piece.kinds["CONCEPT"])
    return concept.category if concept is not None else piece.kinds.get("TERM", "condition")


def _starts_condition(chunks: Sequence[Chunk], after_state: bool = False, words_too: bool = False) -> bool:
    """Do ``chunks`` start with a named condition, after qualifiers ("active hepatitis B", "known HIV")?
    ``after_state`` (after an exception saying a state of the patient): a condition; with ``words_too`` (the
    exception named nothing, "unless treated and stable") also words the lexicon does not know that are neither a
    treatment nor a state ("leptomeningeal disease": a new item, unknown, rather than part of the exception)."""
    for chunk in chunks:
        if not isinstance(chunk, ProseChunk):
            return False
        piece = chunk.piece
        if "CONCEPT" in piece.kinds:
            return not after_state or _category(piece) == "condition"
        if "QUAL" in piece.kinds:
            continue
        return words_too and not piece.kinds and is_content(piece) and piece.lower not in _STATE_LEADS
    return False


def _split_subgroup(clause: Clause) -> list[Clause]:
    """ "For patients ≥ 65 years: creatinine clearance ≥ 30 mL/min": a preposition, words for people and a
    threshold, then ":" or ",", name whom the thresholds after them apply to."""
    chunks = clause.chunks
    if clause.permission or clause.exception or len(chunks) < 4:
        return [clause]
    concept_subject = _concept_subject(chunks)
    if concept_subject is not None:
        return [Clause(chunks[: concept_subject + 1], subject=True), Clause(chunks[concept_subject + 1 :])]
    first, second = chunks[0], chunks[1]
    if not (isinstance(first, ProseChunk) and first.piece.lower in SEX_PREPOSITIONS):
        return [clause]
    if not (isinstance(second, ProseChunk) and second.piece.lower in _PERSON_WORDS):
        return [clause]
    end = next((k for k in range(2, len(chunks)) if _is_text(chunks[k], ":") or _is_text(chunks[k], ",")), None)
    if end is None or not isinstance(chunks[end - 1], ConstraintChunk):
        return [clause]
    if not any(isinstance(c, ConstraintChunk) and c.variables for c in chunks[end + 1 :]):
        return [clause]
    return [Clause(chunks[: end + 1], subject=True), Clause(chunks[end + 1 :], inherited=clause.inherited)]


def _concept_subject(chunks: Sequence[Chunk]) -> int | None:
    """ "Patients with diabetes: HbA1c ≤ 10%", "For patients with liver metastases, ALT ≤ 5 × ULN": people with a
    condition, then ":" (or "," after a preposition), then thresholds of named variables: whom the thresholds
    apply to, not a condition every patient must have. The position of the ":" or ","; None when not so."""
    position = 1 if isinstance(chunks[0], ProseChunk) and chunks[0].piece.lower in SEX_PREPOSITIONS else 0
    start = position
    marks = (":", ",") if start == 1 else (":",)
    if naming_people(chunks[position]):  # "For diabetic patients, HbA1c ≤ 10%"
        after = chunks[position + 1] if position + 1 < len(chunks) else None
        if isinstance(after, ProseChunk) and after.piece.text in marks and _thresholds_only(chunks[position + 2 :]):
            return position + 1
        return None
    while position < len(chunks) and _is_person(chunks[position]):
        position += 1
    if position == start or position >= len(chunks) or not _is_text(chunks[position], "with"):
        return None
    for k in range(position + 1, min(len(chunks), position + 1 + _SUBJECT_WORDS)):
        chunk = chunks[k]
        if not isinstance(chunk, ProseChunk):
            return None
        if chunk.piece.text in marks:
            named = [c.piece for c in chunks[position + 1 : k] if isinstance(c, ProseChunk)]
            if not any("CONCEPT" in p.kinds for p in named) or any(p.text in CLAUSE_BREAKS for p in named):
                return None
            return k if _thresholds_only(chunks[k + 1 :]) else None
    return None


def _thresholds_only(chunks: Sequence[Chunk]) -> bool:
    """Thresholds of named variables and no condition: what a subgroup before them is held to."""
    return any(isinstance(c, ConstraintChunk) and c.variables for c in chunks) and not any(
        isinstance(c, ProseChunk) and "CONCEPT" in c.piece.kinds for c in chunks
    )


def naming_people(chunk: Chunk) -> bool:
    """A concept written as people who have it ("diabetic patients", "pregnant women")."""
    if not isinstance(chunk, ProseChunk) or "CONCEPT" not in chunk.piece.kinds:
        return False
    last = chunk.piece.lower.split()[-1]
    return last in _PERSON_WORDS or last.rstrip("s") in _PERSON_WORDS


def _is_person(chunk: Chunk) -> bool:
    return isinstance(chunk, ProseChunk) and chunk.piece.lower in _PERSON_WORDS


def _last_variables(chunks: Sequence[Chunk]) -> tuple[VariableMention, ...]:
    """The variables a bare threshold in an exception restates: those of the last threshold before it, else the
    last variable named ("TSH goal other than 0.1-0.5 mU/L")."""
    for chunk in reversed(chunks):
        if isinstance(chunk, ConstraintChunk):
            return chunk.variables
    for chunk in reversed(chunks):
        if isinstance(chunk, ProseChunk) and "VARIABLE" in chunk.piece.kinds:
            piece = chunk.piece
            return (VariableMention(piece.kinds["VARIABLE"], False, piece.text, piece.span),)
    return ()


def _is_text(chunk: Chunk, text: str) -> bool:
    return isinstance(chunk, ProseChunk) and chunk.piece.text == text


def _is_statement(chunk: Chunk) -> bool:
    return isinstance(chunk, ConstraintChunk) or (isinstance(chunk, ProseChunk) and is_content(chunk.piece))


def _split_obligation(clause: Clause) -> list[Clause]:
    if clause.permission or clause.exception:
        return [clause]
    chunks = clause.chunks
    cue = first_with(chunks, "OBLIGE")
    if not cue:
        return [clause]
    subject = chunks[:cue]
    names_someone = any(
        isinstance(c, ConstraintChunk)
        or (
            isinstance(c, ProseChunk) and ("CONCEPT" in c.piece.kinds or c.piece.kinds.get("SEX") in ("female", "male"))
        )
        for c in subject
    )
    body = chunks[cue:]
    # "Previous chemotherapy must have been performed ≥ 8 weeks prior": the rest only qualifies the subject
    states_something = any(
        isinstance(c, ConstraintChunk)
        or (isinstance(c, ProseChunk) and not {"CONCEPT", "NOTCOMP", "VARIABLE"}.isdisjoint(c.piece.kinds))
        for c in body
    )
    if not names_someone or not states_something:
        return [clause]
    return [Clause(subject, subject=True), Clause(body, inherited=clause.inherited)]


def _split_permission(clause: Clause) -> list[Clause]:
    chunks = clause.chunks
    cue = first_with(chunks, "ALLOWED")
    if cue is None:
        return [clause]
    after = chunks[cue + 1] if cue + 1 < len(chunks) else None
    if isinstance(after, ProseChunk) and after.piece.lower in _NOT_PERMISSION_AFTER:
        return [clause]  # "eligible for PCI", "allowed to drive": no permission
    start, opener = _permission_start(chunks, cue)
    if any(isinstance(c, ProseChunk) and "NEG" in c.piece.kinds for c in chunks[start:cue]):
        return [clause]  # "No concomitant anti-cancer treatment is allowed": a prohibition, not a permission
    end = len(chunks)
    if opener in ("(", "["):
        closer = ")" if opener == "(" else "]"
        for k in range(cue + 1, len(chunks)):
            chunk = chunks[k]
            if isinstance(chunk, ProseChunk) and chunk.piece.text == closer:
                end = k + 1
                break
    if start == 0:
        clause.permission = True
        return [clause]
    inherited: tuple[VariableMention, ...] = ()
    for chunk in chunks[:start]:
        if isinstance(chunk, ConstraintChunk) and chunk.variables:
            inherited = chunk.variables
    parts = [Clause(chunks[:start]), Clause(chunks[start:end], permission=True, inherited=inherited)]
    if end < len(chunks):
        parts.append(Clause(chunks[end:]))
    return parts


def _permission_start(chunks: Sequence[Chunk], cue: int) -> tuple[int, str]:
    """Where the permission whose cue is at ``cue`` starts, and the bracket, comma or word that opens it."""
    depth = 0  # brackets closed before the cue are skipped with what they hold
    for k in range(cue - 1, -1, -1):
        chunk = chunks[k]
        if not isinstance(chunk, ProseChunk):
            continue
        text = chunk.piece.text
        if text in (")", "]"):
            depth += 1
        elif text in ("(", "[") and depth:
            depth -= 1
        elif depth == 0 and (text in ("(", "[", ",") or "UNLESS" in chunk.piece.kinds):
            return k, text
    return 0, ""
