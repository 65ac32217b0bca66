"""What a threshold is about when the grammar found no variable next to it (part of the thresholds reader).

A variable named earlier in the clause, or after the threshold; an age ("18 years or older"); a duration, which
becomes the time window of the clause's event ("for at least 3 months"); a grade or stage ("Grade IV"); a scale
named after the threshold ("> 5 on the Roland-Morris Disability Questionnaire"); a count of events, which is not
supported and reported; or the words just before the threshold, as an unknown variable (a close misspelling of a
known one is read as that one, with a diagnostic).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from functools import cache, lru_cache

from criteria_nlp.build.bounds import TIME_UNITS
from criteria_nlp.build.common import (
    HYPHENS,
    STOPWORDS,
    chunk_span,
    cover_pieces,
    ends_clause,
    first_unit,
    is_content,
    not_understood,
    text_of,
)
from criteria_nlp.build.derived import derived_score, expanded_abbreviation, numeral_of_name
from criteria_nlp.build.earlier import complement_before
from criteria_nlp.build.measured import measured_after_of
from criteria_nlp.build.ratios import ratio_before
from criteria_nlp.build.scales_after import scale_after
from criteria_nlp.build.sides import side_after
from criteria_nlp.build.state import BuildState
from criteria_nlp.build.subjects import ages_people, measured_on_people
from criteria_nlp.errors import CriteriaError
from criteria_nlp.grammar import (
    Chunk,
    ConstraintChunk,
    Piece,
    ProseChunk,
    Threshold,
    VariableMention,
    WindowChunk,
)
from criteria_nlp.ir import Diagnostic, Span, Unparsed, span_at
from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.lexicon import Lexicon
from criteria_nlp.knowledge.unit_variables import unit_key, unit_variables
from criteria_nlp.knowledge.words import words

READER = "thresholds"
_DURATION_CUES = words("duration_cue")
_TIME_SINCE = words("time_since")
_AGE_COMPARATORS = words("age_comparator")
_SCALE_WORDS = words("scale_word")
_GENERIC_SCORE_WORDS = words("generic_score_word")
_SCORE_UNITS = words("score_unit")
_ARTICLES = words("article")
_DIRECTION_WORDS = words("better_word") | words("worse_word")
_MEASURE_HEADS = words("measure_head")
_STRETCH_ENDS = frozenset({",", ";", ":", "(", "["})  # a bracket closed before the threshold may be its name
_GRADING_SYSTEMS = words("grading_system")
_NOT_COUNTED = words("count_not_named")
_NAME_JOINERS = frozenset({"and", "&"})
_LONGEST_SCALE_NAME = 6  # pieces of a scale's name before its scale word ("Hunt", "and", "Hess")
_NEXT_WORD = re.compile(r"[ \t]*([^\s,;()]{2,20})")


def unit_fitting(
    state: BuildState, index: int, variables: tuple[VariableMention, ...], thresholds: Sequence[Threshold]
) -> tuple[VariableMention, ...]:
    """ "Body Mass Index (BMI, weight in kg divided by the square of height in meters) of 18 to 30 kg/m2": when
    no variable next to a threshold takes its unit but a variable named earlier in the clause does, the threshold
    is on that one. A side of a pair written after the number ("> 160 mmHg systolic") comes first (build/sides.py)."""
    side = side_after(state, index, variables)
    if side is not None:
        return side
    unit = first_unit(thresholds)
    if unit is None or not variables or any(takes_unit(state.known, v.id, unit) is not False for v in variables):
        return variables
    for chunk in reversed(state.chunks[:index]):
        if ends_clause(chunk):
            break
        piece = chunk.piece if isinstance(chunk, ProseChunk) else None
        if piece is not None and "VARIABLE" in piece.kinds and takes_unit(state.known, piece.kinds["VARIABLE"], unit):
            state.take(piece, READER, "variable")
            return (VariableMention(piece.kinds["VARIABLE"], False, piece.text, piece.span),)
    return variables


def takes_unit(lexicon: Lexicon, variable_id: str, unit: str) -> bool | None:
    """Whether a lexicon variable's unit converts to ``unit``; None when either is unknown."""
    variable = lexicon.variables.get(variable_id)
    if variable is None or not variable.unit:
        return None
    try:
        return units.compatible(unit, variable.unit, molar_mass=variable.molar_mass, analyte=variable.id)
    except CriteriaError:
        return False


def is_duration(state: BuildState, thresholds: Sequence[Threshold], variables: Sequence[VariableMention]) -> bool:
    """A time threshold cannot belong to a variable that is not itself a time ("phosphate ... for > 3 months")."""
    if first_unit(thresholds) not in TIME_UNITS:
        return False
    for variable in variables:
        known = state.known.variables.get(variable.id)
        if known is not None and known.unit in TIME_UNITS:
            return False
    return True


def implied_variable(
    state: BuildState, index: int, thresholds: Sequence[Threshold]
) -> VariableMention | WindowChunk | Unparsed | None:
    """What the threshold at ``index``, without a variable of its own, is about (see the module's text)."""
    derived = derived_score(state, index)  # "Weight-for-age z-score": neither the weight nor the age
    if derived is not None:
        return derived
    prose_before = [c.piece for c in state.chunks[:index] if isinstance(c, ProseChunk)]
    unit = first_unit(thresholds)
    ratio = ratio_before(state, prose_before)
    if ratio is not None:
        return ratio
    named = _named_before(state, _own_words(state, index), unit) or _variable_after(state, index)
    if named is not None:
        return named
    on_people = measured_on_people(state, prose_before, thresholds, unit)
    if on_people is not None:
        return on_people
    years_of = _years_of(state, index, unit)  # "< 12 years of education": how long, not an age
    if years_of is not None:
        return years_of
    if _is_age(state, index, thresholds, prose_before, unit):
        for piece in state.prose:
            if "AGEWORD" in piece.kinds or piece.kinds.get("VARIABLE") == "age":
                state.take(piece, READER, "variable")
        return VariableMention("age", False, "age", thresholds[0].span)
    if unit in TIME_UNITS:
        threshold = thresholds[0]
        if threshold.operator in ("<", "<="):
            return WindowChunk(None, threshold.high, threshold.span, max_inclusive=threshold.high_inclusive)
        # "at least 4 weeks since" / "4 weeks or more": a comparator says whether the boundary day is inside
        inclusive = threshold.low_inclusive if threshold.operator in (">", ">=") else None
        high = threshold.high if threshold.operator is None else None
        return WindowChunk(threshold.low, high, threshold.span, min_inclusive=inclusive)
    scale = scale_after(state, index, prose_before)
    if scale is not None:
        return scale
    count = count_after(state, index, unit)
    if count is not None:
        return count
    if complement_before(state, index) is not None:
        return None  # "; for all others ≥ 60 mL/min": the variable of the threshold before (earlier.py)
    return (
        measured_after_of(state, index, prose_before, thresholds)
        or _unknown_variable(state, prose_before)
        or unit_named(state, thresholds)
        or _counted_per_period(state, index, thresholds)
    )


def unit_named(state: BuildState, thresholds: Sequence[Threshold]) -> VariableMention | None:
    """ "30 or more breaths per minute": a unit written after the number that names one variable
    (``variables_units.tsv``) is a threshold on it; the unit as written is the mention."""
    written = next((q.unit for t in thresholds for q in (t.low, t.high) if q is not None and q.unit), None)
    if written is None:
        return None
    variable = unit_variables().get((unit_key(written), ""))
    if variable is None or variable not in state.known.variables:
        return None
    return VariableMention(variable, False, written, thresholds[0].span)


def _counted_per_period(state: BuildState, index: int, thresholds: Sequence[Threshold]) -> VariableMention | None:
    """ "More than 4 caffeinated drinks per day": a count per period written as one unit names what it counts, an
    uncoded variable (as "Exercise more than 3 days per week" is); "3 times per week" names nothing."""
    quantity = thresholds[0].low or thresholds[0].high
    if quantity is None or not quantity.unit or not (quantity.unit_normalized or "").startswith("1/"):
        return None
    counted, per, _period = quantity.unit.partition(" per ")
    words_of = counted.split()
    if not per or not words_of or any(w.lower() in _NOT_COUNTED or not w.isalpha() for w in words_of):
        return None
    whole = chunk_span(state.chunks[index])
    start = whole.slice(state.document).find(counted)
    if start < 0:
        return None
    return VariableMention("", False, counted, span_at(whole.start + start, whole.start + start + len(counted)))


def names_other(
    state: BuildState, thresholds: Sequence[Threshold], variables: Sequence[VariableMention], last_unit: str | None
) -> bool:
    """ "Heart rate > 100 bpm, > 30 breaths per minute": a unit naming another variable ends the inheritance, and so
    does a unit that neither the variables before nor the threshold before (``last_unit``) take ("… for patients
    over 65 years, ≥ 60 mL/min": not an age; "albumin excretion ≥ 100 mg/day but ≤ 2000 mg/day" goes on); a number
    with no unit right after words for people is their age ("… in patients older than 70")."""
    named = unit_named(state, thresholds)
    if named is not None and all(v.id != named.id for v in variables):
        return True
    unit = first_unit(thresholds)
    if all(v.id != "age" for v in variables) and ages_people(state, thresholds, unit):
        return True  # "(≥ 50 mL/min in patients older than 70)": the people's age
    if unit is None or not variables or (last_unit is not None and units.compatible(unit, last_unit)):
        return False
    return all(takes_unit(state.known, v.id, unit) is False for v in variables)


def _own_words(state: BuildState, index: int) -> list[Piece]:
    """The prose before the threshold at ``index`` in which its variable may be named: back to the threshold before
    it when unknown words stand between the two ("QTc interval > 450 ms, PQ interval > 200 ms": the QTc is the
    first threshold's; the second is on the words before it, never on the QTc)."""
    pieces: list[Piece] = []
    unknown = False
    own = True  # still in the threshold's own stretch of words: no comma or bracket passed
    for chunk in reversed(state.chunks[:index]):
        if not isinstance(chunk, ProseChunk):
            if unknown and _a_threshold(chunk):
                break
            continue
        piece = chunk.piece
        own = own and piece.text not in _STRETCH_ENDS  # "(though likely most, if not all, > 250)": no name there
        unknown = unknown or (own and not piece.kinds and piece.lower not in STOPWORDS and piece.text[:1].isalpha())
        pieces.append(piece)
    pieces.reverse()
    return pieces


def _a_threshold(chunk: Chunk) -> bool:
    """A threshold of its own, not a bare number ("the 12 channel ECG")."""
    return isinstance(chunk, ConstraintChunk) and (bool(chunk.variables) or any(t.explicit for t in chunk.thresholds))


def _named_before(state: BuildState, prose_before: list[Piece], unit: str | None) -> VariableMention | None:
    """The nearest variable or group before the threshold whose unit fits it (else the nearest one at all)."""
    is_time = unit in TIME_UNITS
    unfitting: Piece | None = None  # the nearest variable, whose unit does not fit the threshold's
    for piece in reversed(prose_before):
        if not piece.kinds and piece.lower in _MEASURE_HEADS and not state.taken(piece):
            return None  # "ferritin saturation index > 2": another measure named after the variable, not the ferritin
        if "VARIABLE" in piece.kinds or "GROUP" in piece.kinds:
            var_id = piece.kinds.get("VARIABLE") or piece.kinds["GROUP"]
            variable = state.known.variables.get(var_id)
            if is_time and not (variable is not None and variable.unit in TIME_UNITS):
                break
            if unit is not None and takes_unit(state.known, var_id, unit) is False:
                # "BMI (weight in kg divided by the square of height in meters) of 18 to 30 kg/m2"
                unfitting = unfitting or piece
                continue
            _take_with_abbreviation(state, prose_before, piece)
            return VariableMention(var_id, "VARIABLE" not in piece.kinds, piece.text, piece.span)
    if unfitting is not None:
        _take_with_abbreviation(state, prose_before, unfitting)
        var_id = unfitting.kinds.get("VARIABLE") or unfitting.kinds["GROUP"]
        return VariableMention(var_id, "VARIABLE" not in unfitting.kinds, unfitting.text, unfitting.span)
    return None


def _take_with_abbreviation(state: BuildState, prose: Sequence[Piece], piece: Piece) -> None:
    """Take a variable's piece, with the other half of "Body Mass Index (BMI" when it names the same variable."""
    state.take(piece, READER, "variable")
    # by identity: ``list.index`` would compare the pieces before it field by field (a dataclass's ``__eq__``)
    position = next(k for k, p in enumerate(prose) if p is piece)
    if position >= 2 and prose[position - 1].text == "(":
        full = prose[position - 2]
        if full.kinds.get("VARIABLE", "") == piece.kinds.get("VARIABLE") and "VARIABLE" in full.kinds:
            state.take(full, READER, "variable")


def _variable_after(state: BuildState, index: int) -> VariableMention | None:
    """ "A minimum of 50 kg body weight": the variable written after its threshold."""
    for chunk in state.chunks[index + 1 : index + 4]:
        if not isinstance(chunk, ProseChunk):
            return None
        piece = chunk.piece
        if "VARIABLE" in piece.kinds and not state.taken(piece):
            state.take(piece, READER, "variable")
            _take_score_words(state, index)
            return VariableMention(piece.kinds["VARIABLE"], False, piece.text, piece.span)
        if is_content(piece) or piece.text in (",", ";") or "CONJ" in piece.kinds:
            return None  # "QRS width … =120 ms, QTc < 440 ms": a variable after a comma starts the next item
    return None


def _take_score_words(state: BuildState, index: int) -> None:
    """ "Baseline scores = 16 on the Hamilton Depression Scale": the words before the threshold that only say it
    is a score belong to the scale named after it."""
    for chunk in reversed(state.chunks[max(0, index - 3) : index]):
        if not isinstance(chunk, ProseChunk) or chunk.piece.lower not in _GENERIC_SCORE_WORDS:
            return
        if not state.taken(chunk.piece):
            state.take(chunk.piece, READER, "variable")


def _is_age(
    state: BuildState, index: int, thresholds: Sequence[Threshold], prose_before: list[Piece], unit: str | None
) -> bool:
    """An age word by the threshold, a comparator only ages take ("18 or older"), or years that are no duration."""
    if _age_word_near(state, index):
        return True
    if unit is None:
        written = chunk_span(state.chunks[index]).slice(state.document).lower()
        if any(word in written for word in _AGE_COMPARATORS):
            return True
    # each test only when the one before leaves the answer open (this runs for most thresholds with no variable)
    in_years = any(q is not None and q.unit_normalized == "year" for t in thresholds for q in (t.low, t.high))
    return in_years and not any(
        p.lower in _DURATION_CUES or "WITHIN" in p.kinds or "AFTER" in p.kinds for p in prose_before
    )


def _age_word_near(state: BuildState, index: int) -> bool:
    """An age word with no other threshold between it and the threshold at ``index``: "Pain score > 3, 18-45
    years of age" is no age of 3 (the age word belongs to the range next to it)."""
    chunks = state.chunks
    for step, opener, closer in ((-1, ")", "("), (1, "(", ")")):
        position, depth = index + step, 0
        while 0 <= position < len(chunks):
            chunk = chunks[position]
            position += step
            if not isinstance(chunk, ProseChunk):
                if depth > 0:
                    continue  # "6-12 weeks (42 to 90 days) of age": a bracketed restatement parts nothing
                break
            text = chunk.piece.text
            depth += (text == opener) - (text == closer)
            if "AGEWORD" in chunk.piece.kinds or chunk.piece.kinds.get("VARIABLE") == "age":
                return True
    return False


def _years_of(state: BuildState, index: int, unit: str | None) -> Unparsed | None:
    """ "< 12 years of education", "at least 10 years of smoking", "more than 3 years since diagnosis": a number of
    years of something named is how long it lasted, and years since something the time since it; no age (an age
    says "years of age", an AGEWORD); left unread with the reason."""
    after = state.chunks[index + 1 : index + 3]
    if unit != "year" or len(after) < 2 or not all(isinstance(c, ProseChunk) for c in after):
        return None
    if any("AGEWORD" in p.kinds or p.kinds.get("VARIABLE") == "age" for p in state.prose):
        return None  # "aged 18 to 65 years of any sex": an age word decides
    link, named = (c.piece for c in after if isinstance(c, ProseChunk))
    if not (link.lower == "of" or link.lower in _TIME_SINCE) or state.taken(named):
        return None
    if not (is_content(named) or "QUAL" in named.kinds):  # "3 years since diagnosis of diabetes"
        return None
    state.take(link, READER, "unparsed")
    state.take(named, READER, "unparsed")
    span = chunk_span(state.chunks[index]).cover(named.span)
    what = "how long it lasted" if link.lower == "of" else "a time since something"
    return not_understood(state, span, f"a number of years {link.text} {named.text!r} is {what}, not an age")


def count_after(state: BuildState, index: int, unit: str | None, concepts: bool = False) -> Unparsed | None:
    """ "at least two episodes of ...": a count of events, not supported, reported with what it counts (with
    ``concepts``, a count of a known thing too: "or > 3 transfusions")."""
    counted = counted_after(state, index, unit, concepts)
    if counted is None:
        return None
    state.take(counted, READER, "unparsed")
    span = chunk_span(state.chunks[index]).cover(counted.span)
    return not_understood(state, span, f"a count of {counted.text!r} is not supported")


def counted_after(state: BuildState, index: int, unit: str | None, concepts: bool = False) -> Piece | None:
    """The word a number without a unit counts ("20 oocytes", "2 episodes of"; with ``concepts`` a known thing too,
    "3 transfusions"), or None. Such a threshold is never a further bound of the variable before it ("estradiol >
    4000 pg/ml or more than 20 oocytes")."""
    after = state.chunks[index + 1] if index + 1 < len(state.chunks) else None
    if (
        unit is None
        and isinstance(after, ProseChunk)
        and (is_content(after.piece) or after.piece.lower == "of")
        and after.piece.lower not in _SCORE_UNITS  # "OSDI < 30 points": the score's points, no count
        and "VARIABLE" not in after.piece.kinds
        and (concepts or "CONCEPT" not in after.piece.kinds)
    ):
        return after.piece
    return None


def _unknown_variable(state: BuildState, prose_before: list[Piece]) -> VariableMention | None:
    """An unknown variable: the content words just before the threshold, as written."""
    found: list[Piece] = []
    for piece in reversed(prose_before):
        if (
            piece.text in (",", ";", ":")
            or "CONJ" in piece.kinds
            or "NEG" in piece.kinds
            or "WITH" in piece.kinds
            or "SEX" in piece.kinds  # "intake (males: = 28 units/week": the sex is no part of the variable
        ):
            if found:
                break
            continue
        if piece.text in ("(", ")") or "VERB_IS" in piece.kinds or piece.lower in STOPWORDS:
            if found and piece.text not in ("(", ")"):
                break
            continue
        found.insert(0, piece)
        if len(found) >= 4:
            break
    if not found:
        return None
    expanded = expanded_abbreviation(state, prose_before, found)  # "Ocular Surface Disease Index (OSDI)"
    for piece in expanded or found:
        state.take(piece, READER, "variable")
    if expanded is not None:
        span = cover_pieces(expanded) or expanded[0].span
        return VariableMention("", False, span.slice(state.document), span)
    numeral = numeral_of_name(state, found)
    if numeral is not None:
        state.place(numeral[0], READER, "variable")  # "10-point pain scale": the 10 names the scale
        span = span_at(numeral[1], found[-1].char_end)
        return VariableMention("", False, span.slice(state.document), span)
    misspelt = _misspelt_variable(state, found)
    if misspelt is not None:
        return misspelt
    span = cover_pieces(found) or found[0].span
    return VariableMention("", False, " ".join(p.text for p in found), span)


def _misspelt_variable(state: BuildState, found: list[Piece]) -> VariableMention | None:
    """An unknown mention that is a close misspelling of a variable name ("creatinin")."""
    candidate = found[-1].text
    if len(candidate) < 5:
        return None
    entry = _close_variable(state.known, candidate.lower())
    if entry is None:
        return None
    state.diagnostics.append(
        Diagnostic(
            code="misspelling",
            severity="info",
            message=f"{candidate!r} read as {entry[0]!r}",
            span=found[-1].span,
            suggestion=entry[0],
        )
    )
    return VariableMention(entry[1], False, text_of(found, state.document), cover_pieces(found) or found[0].span)


@cache
def _variable_forms(lexicon: Lexicon) -> dict[str, tuple[str, str]]:
    """Lower-case surface forms of variables (5+ letters) -> (form, variable id), for misspelling look-ups."""
    forms: dict[str, tuple[str, str]] = {}
    for entry in lexicon.phrase_entries():
        if entry.label == "VARIABLE" and len(entry.text) >= 5 and " " not in entry.text:
            forms.setdefault(entry.text.lower(), (entry.text, entry.id))
    return forms


@lru_cache(maxsize=4096)
def _close_variable(lexicon: Lexicon, word: str) -> tuple[str, str] | None:
    forms = _variable_forms(lexicon)
    # forms whose length could reach the 0.88 similarity at all
    candidates = [form for form in forms if abs(len(form) - len(word)) <= 2 and form[0] == word[0]]
    matches = difflib.get_close_matches(word, candidates, n=2, cutoff=0.88)
    if not matches or (len(matches) > 1 and forms[matches[0]][1] != forms[matches[1]][1]):
        return None
    return forms[matches[0]]


def check_unknown_unit(state: BuildState, chunk: ConstraintChunk, thresholds: Sequence[Threshold]) -> None:
    """ "≤ 1.5 mgs/dL": a word after a threshold that is no unit but close to one is reported with a suggestion."""
    if first_unit(thresholds) is not None or any(t.reference for t in thresholds):
        return
    match = _NEXT_WORD.match(state.document, chunk.span.end)
    if match is None:
        return
    word = match.group(1)
    if not any(ch.isalpha() for ch in word) or units.is_unit(word) or _known_word(state, match.start(1), word):
        return
    suggestions = units.suggest_units(word)
    if suggestions:
        start = match.start(1)
        state.diagnostics.append(
            Diagnostic(
                code="unit-unknown",
                severity="warning",
                message=f"unknown unit {word!r}; did you mean {suggestions[0]!r}?",
                span=Span(start=start, end=start + len(word)),
                suggestion=suggestions[0],
            )
        )


def _known_word(state: BuildState, start: int, word: str) -> bool:
    """ "NYHA class II or better": a word the parser knows ("or", "of", "points", a variable) is no misspelt unit."""
    lower = word.lower()
    if lower in STOPWORDS or lower in _SCORE_UNITS:
        return True
    return any(p.char_start == start and bool(p.kinds) for p in state.prose)


def graded(state: BuildState, index: int) -> tuple[VariableMention, str] | None:
    """ "Grade IV glioblastoma", "NYHA class III", "3rd trimester": a grade, class or stage of something.

    Returns the thing graded (the nearest condition or content word after the number, else before the scale
    word) and the scale word, which becomes the unit.
    """
    before = [c.piece for c in state.chunks[:index] if isinstance(c, ProseChunk)]
    if not before or before[-1].lower not in _SCALE_WORDS:
        return None
    scale = before[-1]
    state.take(scale, READER, "unit")
    named_after = scale_after(state, index, [])  # "stage 3 on the Hamilton scale": the scale is named after it
    if named_after is not None:
        return named_after, scale.lower
    after = state.chunks[index + 1 : index + 3]
    words_after = [c.piece.lower for c in after if isinstance(c, ProseChunk)]
    if len(words_after) == 2 and words_after[0] == "or" and words_after[1] in _DIRECTION_WORDS:
        after = state.chunks[index + 3 : index + 5]  # "grade 2 or worse neuropathy": the direction is no name
    thing = next(
        (c.piece for c in after if isinstance(c, ProseChunk) and (is_content(c.piece) or "CONCEPT" in c.piece.kinds)),
        None,
    )
    name = _scale_name_before(state, before[:-1])
    if name and (thing is None or "CONCEPT" not in thing.kinds or _proper_enough(name)):
        for piece in name:
            state.take(piece, READER, "variable")
        span = cover_pieces(name) or name[0].span
        return VariableMention("", False, span.slice(state.document), span), scale.lower
    if thing is not None:
        return VariableMention("", False, thing.text, thing.span), scale.lower
    for piece in reversed(before[:-1]):
        if is_content(piece) or "CONCEPT" in piece.kinds:
            return VariableMention("", False, piece.text, piece.span), scale.lower
    return VariableMention("", False, scale.text, scale.span), scale.lower


def _scale_name_before(state: BuildState, before: Sequence[Piece]) -> list[Piece]:
    """ "Hunt and Hess grade 4 SAH", "Kellgren-Lawrence grade I-III", "Ann Arbor stage II": the proper name written
    right before the scale word names the scale (empty: none there). A name is unread words with no meaning the
    annotator knows, each written with a capital (a hyphen or "and" may join two of them); a grading system of
    other things ("CTCAE grade 3 neuropathy", ``grading_system`` in ``words.tsv``) is none."""
    name: list[Piece] = []
    last = len(before) - 1
    if last >= 1 and _name_word(state, before[last - 1]) and _plain_word(state, before[last]):
        name.insert(0, before[last])  # "TIMI flow grade 3": a word after the name is part of it
        last -= 1
    for position in range(last, -1, -1):
        piece = before[position]
        joins = piece.text in HYPHENS or piece.lower in _NAME_JOINERS
        if joins and name and position > 0 and _name_word(state, before[position - 1]):
            name.insert(0, piece)
            continue
        if not _name_word(state, piece) or len(name) >= _LONGEST_SCALE_NAME:
            break
        name.insert(0, piece)
    while name and (name[0].text in HYPHENS or name[0].lower in _NAME_JOINERS):
        name.pop(0)
    written = " ".join(p.lower for p in name)
    if not name or written in _GRADING_SYSTEMS or any(p.lower in _GRADING_SYSTEMS for p in name):
        return []
    return name


def _plain_word(state: BuildState, piece: Piece) -> bool:
    return not piece.kinds and not state.taken(piece) and piece.lower not in STOPWORDS and piece.text[:1].isalpha()


def _name_word(state: BuildState, piece: Piece) -> bool:
    return _plain_word(state, piece) and any(ch.isupper() for ch in piece.text)


def _proper_enough(name: Sequence[Piece]) -> bool:
    """A name that outranks a condition written after the grade ("Hunt Hess Grade 5 SAH"): more than one word, or one
    written in capitals or glued by a hyphen ("TIMI", "Kellgren-Lawrence"); a lone capitalised word may just start
    the sentence ("Disease stage 3 lymphoma": the lymphoma's stage)."""
    words_of_name = [p for p in name if p.text not in HYPHENS and p.lower not in _NAME_JOINERS]
    if len(words_of_name) > 1:
        return True
    word = words_of_name[0].text
    return sum(ch.isupper() for ch in word) >= 2
