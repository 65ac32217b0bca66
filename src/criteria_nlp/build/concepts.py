"""Readers "prefixes" and "concepts": the conditions, treatments and states the clause names.

``read_prefixes``: "non-" negates the word it is attached to ("non-smoker"), never the clause; "anti-" makes a
concept a treatment against it ("anti-epileptic medication" is not epilepsy). ``read_concepts``: every concept
the lexicon found that no other reading holds, with the qualifiers written before it ("active", "history of"),
a definition after it ("according to ACR criteria"), and the concepts a coordination leaves implicit ("hepatitis
B or C", "liver and kidney disease"). Writes ``state.items`` and ``state.details``; the negation and lists readers
make them nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache

from criteria_nlp.build.common import CLAUSE_BREAKS, HYPHENS, is_content, not_understood
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import ConstraintChunk, Piece
from criteria_nlp.ir import Diagnostic
from criteria_nlp.knowledge.lexicon import Lexicon, cue_scopes
from criteria_nlp.knowledge.words import words
from criteria_nlp.resources import corpus_path

PREFIXES = "prefixes"
CONCEPTS = "concepts"
# "non" negates only the word it is attached to (cues.tsv: scope "word")
NON = frozenset(c.phrase for c in cue_scopes() if c.kind == "NEG" and c.scope == "word")
_AGAINST = words("against_prefix")
_GENERIC_NOUNS = words("generic_noun")
_PERSON_WORDS = words("person_word")
_QUALIFIER_GAP = words("qualifier_gap")
_PHRASE_QUALIFIERS = words("phrase_qualifier")
_DETAIL_OPENERS = words("detail_opener")
_DETAIL_WORDS = words("detail_word")
_LIST_QUALIFIERS = words("list_qualifier")
_TREATMENT_NOUNS = words("treatment_noun")
_TIME_QUALIFIERS = words("time_qualifier")
_EXPOSURE = "exposure"


def read_prefixes(state: BuildState) -> None:
    """ "non-" and "anti-" before a concept: writes ``state.prefix_negations`` ("non-smoker", "non-pregnant
    female": concept piece index -> the "non" piece) and ``state.modifiers``, the concepts that only modify the
    noun after them ("non-malignant illness", "anti-epileptic medication"): those are no presence, and the words
    are reported as not understood."""
    pieces = state.prose
    for k, piece in enumerate(pieces):
        if piece.lower in _AGAINST and k + 2 < len(pieces) and pieces[k + 1].text in HYPHENS:
            target = pieces[k + 2]
            if "CONCEPT" in target.kinds and pieces[k + 1].char_start == piece.char_end:
                state.modifiers.add(target.index)
                state.take(pieces[k + 1], PREFIXES, "unparsed")
                _unplace(state, piece, target, f"a treatment against {target.text!r}, not the condition itself")
            continue
        if piece.lower not in NON or "NEG" not in piece.kinds:
            continue
        state.take(piece, PREFIXES, "cue:negation")
        j = k + 1
        if j < len(pieces) and pieces[j].text in HYPHENS:
            state.take(pieces[j], PREFIXES, "cue:negation")
            j += 1
        if j >= len(pieces):
            continue
        if "CONCEPT" not in pieces[j].kinds:
            if is_content(pieces[j]):  # "non-cardiac surgery": reported with its "non", not as "cardiac"
                _unplace(state, piece, pieces[j], "a negated modifier, not applied")
            continue
        concept = pieces[j]
        following = pieces[j + 1] if j + 1 < len(pieces) else None
        if following is not None and following.text in (")", "]"):
            following = pieces[j + 2] if j + 2 < len(pieces) else None
        if (
            following is not None
            and (is_content(following) or following.lower in _GENERIC_NOUNS)
            and ("SEX" not in following.kinds and following.lower not in _PERSON_WORDS)
        ):
            state.modifiers.add(concept.index)
            _unplace(state, piece, concept, f"a negated modifier of {following.text!r}, not applied")
        else:
            state.prefix_negations[concept.index] = piece


def _unplace(state: BuildState, first: Piece, last: Piece, reason: str) -> None:
    """Report the words from ``first`` to ``last`` as not understood, with the reason, and take them."""
    state.take(first, PREFIXES, "unparsed")
    state.take(last, PREFIXES, "unparsed")
    state.unplaced.append(not_understood(state, first.span.cover(last.span), reason))


def read_concepts(state: BuildState) -> None:
    positions = concept_positions(state)
    if not positions:
        return
    pieces = state.prose
    first: dict[str, tuple[Piece, tuple[str, ...]]] = {}  # concept id -> its first mention and qualifiers
    for position in positions:
        piece = pieces[position]
        qualifiers = _qualifiers_before(state, position) + _qualifiers_within(state, piece)
        # "have undergone a previous transplant": two cues, one qualifier
        qualifiers = tuple(dict.fromkeys(qualifiers + _treatment_after(state, position, qualifiers)))
        state.take(piece, CONCEPTS, "concept")
        seen = first.get(piece.kinds["CONCEPT"])
        if seen is not None and not _other_time(qualifiers, seen[1]):
            # "SLE (Systemic lupus erythematosus)", "malignant tumors or other malignant disease", "diagnosis of HF,
            # symptomatic HF": one presence; but "active malignancy or history of malignancy" names two times of it
            state.restated.setdefault(seen[0].index, []).append(piece.span)
            if piece.index in state.requirements:
                # "allergy or hypersensitivity to tramadol": what the restatement is narrowed by narrows the one
                # presence (narrower is never more confident)
                number = next(k for k, item in enumerate(state.items) if item[0] is seen[0])
                state.details.setdefault(number, state.requirements[piece.index])
                named = state.required_concepts.setdefault(seen[0].index, [])
                named.extend(p for p in state.required_concepts.get(piece.index, ()) if p not in named)
            continue
        first.setdefault(piece.kinds["CONCEPT"], (piece, qualifiers))
        state.items.append((piece, qualifiers))
        if piece.index in state.requirements:  # "that required steroids" (reader "requirements")
            state.details[len(state.items) - 1] = state.requirements[piece.index]
        _read_detail(state, position)
    _share_qualifiers(state)
    _ellipsis_after_head(state, positions)
    _ellipsis_before_head(state, positions)


def concept_positions(state: BuildState) -> list[int]:
    """Positions (in ``state.prose``) of the concepts to read: not held by another reading, not a modifier.

    A condition whose threshold is missing ("if liver metastases are present" on its own) is not a requirement:
    concepts after an "if"/"unless" nobody took are left to be reported as not understood.
    One word is read once: a concept another reader already took ("Fever of 38.5 °C or higher", where the threshold
    reader took "Fever" as the mention of body temperature; "Hearing loss > 40 dB", the name of the measured
    variable) is that reading, not a presence besides it.
    """
    positions: list[int] = []
    held = state.ledger.held_concepts
    for k, p in enumerate(state.prose):
        kinds = p.kinds
        if not kinds:
            continue
        if ("IF" in kinds or "UNLESS" in kinds) and not state.taken(p):
            break
        if "CONCEPT" in kinds and p.index not in held and not state.taken(p):
            positions.append(k)
    if state.modifiers:
        positions = [k for k in positions if state.prose[k].index not in state.modifiers]
    return positions


def _other_time(qualifiers: tuple[str, ...], before: tuple[str, ...]) -> bool:
    """Whether a concept named again asks for another time than its first mention: a past one ("history of",
    ``time_qualifier`` words) where the first asks for now, or the other way round."""
    return bool(qualifiers) and bool(_TIME_QUALIFIERS.intersection(qualifiers)) != bool(
        _TIME_QUALIFIERS.intersection(before)
    )


def _category(state: BuildState, piece: Piece) -> str:
    """The category of a concept piece: the lexicon's, else the terminology's (``TERM``)."""
    concept = state.known.concepts.get(piece.kinds["CONCEPT"])
    return concept.category if concept is not None else piece.kinds.get("TERM", "condition")


def _treatment_after(state: BuildState, position: int, qualifiers: tuple[str, ...]) -> tuple[str, ...]:
    """ "imatinib therapy", "pregabalin treatment": the word after a drug says it is taken (exposure). Only after a
    drug: "hypertension treatment" is a treatment for the condition, not the condition."""
    pieces = state.prose
    after = pieces[position + 1] if position + 1 < len(pieces) else None
    if after is None or after.lower not in _TREATMENT_NOUNS or after.kinds or state.taken(after):
        return ()
    if _category(state, pieces[position]) != "medication":
        return ()
    state.take(after, CONCEPTS, "qualifier")
    return () if _EXPOSURE in qualifiers else (_EXPOSURE,)


def _share_qualifiers(state: BuildState) -> None:
    """ "History of stroke or myocardial infarction", "prior treatment with rituximab, bevacizumab or cetuximab": a
    qualifier that says when or how (``list_qualifier`` words: history, exposure) reaches the concepts of the same
    category listed right after its own (only commas, slashes and conjunctions between), which have no qualifier of
    their own. A concept with its own ("history of stroke or active angina") or of another category ("history of
    cancer or pregnancy") keeps what it has."""
    items = state.items
    if len(items) < 2:
        return  # nothing listed after a qualifier
    position = {p.index: k for k, p in enumerate(state.prose)}
    for n in range(1, len(items)):
        piece, qualifiers = items[n]
        before, written = items[n - 1]
        shared = tuple(q for q in written if q in _LIST_QUALIFIERS)
        start, end = position.get(before.index), position.get(piece.index)
        if qualifiers or not shared or start is None or end is None or end <= start:
            continue
        between = state.prose[start + 1 : end]
        joined = all(p.text in (",", "/") or ("CONJ" in p.kinds and len(p.kinds) == 1) for p in between)
        if between and joined and _category(state, before) == _category(state, piece):
            items[n] = (piece, shared)


@cache
def _qualifier_phrases() -> dict[str, str]:
    """The qualifier cues of cues.tsv (kind QUAL): phrase -> normalised qualifier."""
    phrases: dict[str, str] = {}
    for line in corpus_path("lexicon", "cues.tsv").read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if not line.startswith("#") and len(fields) >= 3 and fields[1].strip() == "QUAL":
            phrases[fields[0].strip().lower()] = fields[2].strip()
    return phrases


def _qualifiers_within(state: BuildState, piece: Piece) -> tuple[str, ...]:
    """A qualifier the lexicon's matched form starts with ("uncontrolled hypertension", "active tuberculosis" are
    synonyms of their concept) is the criterion's qualifier all the same, unless the concept's own name starts with
    it ("Chronic kidney disease", "End-stage renal disease": the qualifier is the concept)."""
    concept = state.known.concepts.get(piece.kinds["CONCEPT"])
    if concept is None:
        return ()
    return _qualifier_within(piece.lower, concept.name)


@lru_cache(maxsize=16384)
def _qualifier_within(written: str, name: str) -> tuple[str, ...]:
    """The qualifier ``written`` (a concept's matched form) starts with and the concept's ``name`` does not."""
    name = name.lower()
    for phrase, value in _qualifier_phrases_longest_first():
        if written.startswith(phrase) and not name.startswith(phrase):
            return (value,)
    return ()


@cache
def _qualifier_phrases_longest_first() -> tuple[tuple[str, str], ...]:
    """The qualifier phrases with the space that ends them, longest first (asked for every concept read)."""
    ordered = sorted(_qualifier_phrases().items(), key=lambda item: -len(item[0]))
    return tuple((phrase + " ", value) for phrase, value in ordered)


def _qualifiers_before(state: BuildState, position: int) -> tuple[str, ...]:
    """The qualifiers written before the concept at ``position`` ("active severe", "history of a")."""
    pieces = state.prose
    qualifiers: list[str] = []
    k = position - 1
    while k >= 0 and ("QUAL" in pieces[k].kinds or pieces[k].lower in _QUALIFIER_GAP):
        if "QUAL" in pieces[k].kinds:
            value = pieces[k].kinds["QUAL"]
            qualifiers.insert(0, value)
            state.take(pieces[k], CONCEPTS, "qualifier")
            if value.replace("_", " ") != pieces[k].lower and value not in _PHRASE_QUALIFIERS:
                state.diagnostics.append(
                    Diagnostic(
                        code="misspelling",
                        severity="info",
                        message=f"{pieces[k].text!r} read as {value!r}",
                        span=pieces[k].span,
                        suggestion=value,
                    )
                )
        k -= 1
    if k >= 0 and "NEG" in pieces[k].kinds:
        # "no history of stroke": the negation cue holds the qualifier phrase; the negation reader reads the "no"
        written = pieces[k].lower
        held = next((v for phrase, v in _qualifier_phrases().items() if written.endswith(" " + phrase)), None)
        if held is not None and held not in qualifiers:
            qualifiers.insert(0, held)
    return tuple(qualifiers)


def _read_detail(state: BuildState, position: int) -> None:
    """A definition after the concept just added ("from ACR according to established criteria in 1997")."""
    run = _detail_after(state.prose, position)
    if run is None:
        return
    # a bare number inside the definition ("criteria in 1997") belongs to it
    end = max(p.char_end for p in run)
    for chunk in state.chunks:
        if (
            isinstance(chunk, ConstraintChunk)
            and chunk.span.start >= end - 1
            and not any(t.explicit for t in chunk.thresholds)
        ):
            end = max(end, chunk.span.end)
    state.details[len(state.items) - 1] = state.document[run[0].char_start : end]
    for p in run:
        state.take(p, CONCEPTS, "detail")


def _detail_after(pieces: Sequence[Piece], position: int) -> list[Piece] | None:
    k = position + 1
    while (k < len(pieces) and pieces[k].text in ("(", ")")) or (
        k < len(pieces)
        and "CONCEPT" in pieces[k].kinds
        and pieces[k].kinds["CONCEPT"] == pieces[position].kinds["CONCEPT"]
    ):
        k += 1
    if k >= len(pieces) or (pieces[k].lower.split() or [""])[0] not in _DETAIL_OPENERS:
        return None
    run: list[Piece] = []
    for piece in pieces[k:]:
        if piece.text in CLAUSE_BREAKS or "NEG" in piece.kinds or ("CONCEPT" in piece.kinds and run):
            break
        run.append(piece)
    if any(p.lower in _DETAIL_WORDS for p in run):
        return run
    return None


def _ellipsis_after_head(state: BuildState, positions: list[int]) -> None:
    """ "hepatitis B or C" -> hepatitis B, hepatitis C."""
    pieces = state.prose
    phrases = _phrase_table(state.known)
    for position in positions:
        if position + 2 < len(pieces) and (
            "CONJ" in pieces[position + 1].kinds or pieces[position + 1].text in (",", "/")
        ):
            other = pieces[position + 2]
            if "CONCEPT" in other.kinds or not other.text.isalnum() or len(other.text) > 3:
                continue
            head = pieces[position].text.split()
            entry = phrases.get(" ".join([*head[:-1], other.text]).lower())
            if len(head) > 1 and entry and entry[0] == "CONCEPT":
                state.items.append((_as_concept(other, entry[1]), state.items[-1][1] if state.items else ()))
                state.take(other, CONCEPTS, "concept")


def _ellipsis_before_head(state: BuildState, positions: list[int]) -> None:
    """ "liver and kidney disease" -> liver disease, kidney disease."""
    pieces = state.prose
    phrases = _phrase_table(state.known)
    for position in positions:
        if position >= 2 and ("CONJ" in pieces[position - 1].kinds or pieces[position - 1].text == ","):
            modifier = pieces[position - 2]
            if "CONCEPT" in modifier.kinds or "QUAL" in modifier.kinds:
                continue
            head = pieces[position].text.split()[-1].lower()
            entry = phrases.get(f"{modifier.lower} {head}")
            if entry and entry[0] == "CONCEPT":
                state.items.append((_as_concept(modifier, entry[1]), ()))
                state.take(modifier, CONCEPTS, "concept")


def _as_concept(piece: Piece, concept_id: str) -> Piece:
    """The piece read as the concept it names with the head of its coordination."""
    return Piece(
        piece.index, piece.start, piece.end, piece.char_start, piece.char_end, piece.text, {"CONCEPT": concept_id}
    )


@cache
def _phrase_table(lexicon: Lexicon) -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for entry in lexicon.phrase_entries():
        table.setdefault(entry.text.lower(), (entry.label, entry.id))
    return table
