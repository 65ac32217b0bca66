"""From an annotated spaCy ``Doc`` to pieces: overlapping annotations resolved, then brackets absorbed.

:func:`pieces_of` cuts a criterion into a left-to-right sequence of :class:`Piece` s (the longest annotation wins);
brackets that only restate or qualify the piece before them ("< 115 g/L (7.1 mM)", "90 kg (exclusive)") join it.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.tokens import Doc

from criteria_nlp.grammar.lookahead import same_quantity_kind
from criteria_nlp.grammar.pieces import Piece, is_number
from criteria_nlp.grammar.words import grammar_words
from criteria_nlp.knowledge.scale_classes import class_words, scale_classes
from criteria_nlp.text.nlp import Annotation, annotations_of, token_bounds

# The order in which an annotation kind wins over another of the same length.
_PRIORITY = {
    "UNIT": 0,
    "REF": 1,
    "NUMWORD": 2,
    "NUM": 3,
    "CMP_PRE": 4,
    "CMP_POST": 5,
    "VARIABLE": 6,
    "GROUP": 6,
    "CONCEPT": 7,
}
_DEFAULT_PRIORITY = 9


def pieces_of(doc: Doc, offset: int = 0) -> list[Piece]:
    """Resolve the annotations of ``doc`` into non-overlapping pieces; unannotated tokens become pieces too.

    At each token the longest annotation wins; every annotation of that same extent contributes its kind.
    ``offset`` is added to character positions (the criterion's start in the whole document).
    """
    by_start: dict[int, list[Annotation]] = {}
    for annotation in annotations_of(doc):
        found = by_start.get(annotation.start)
        if found is None:
            by_start[annotation.start] = [annotation]
        else:
            found.append(annotation)
    text, bounds = token_bounds(doc)
    pieces: list[Piece] = []
    append = pieces.append
    n = len(bounds)
    i = 0  # the first token not in a piece yet
    scale_named = False  # a piece names a variable (the only pieces whose scale may have classes)
    for first in sorted(by_start):
        if first < i:
            continue  # inside the piece of a longer annotation
        if first >= n:
            break
        # the tokens before the annotation are unannotated: a piece each (most tokens are)
        for j in range(i, first):
            start_char, end_char = bounds[j]
            word = text[start_char:end_char]
            if not word.isspace():  # spaCy keeps runs of extra whitespace as tokens of their own
                append(Piece(len(pieces), j, j + 1, start_char + offset, end_char + offset, word, {}))
        candidates = by_start[first]
        if len(candidates) == 1:  # as most are
            only = candidates[0]
            best_end, kinds = only.end, {only.kind: only.value}
        else:
            best_end, kinds = _resolved(candidates)
        scale_named = scale_named or "VARIABLE" in kinds
        start_char, end_char = bounds[first][0], bounds[best_end - 1][1]
        append(
            Piece(
                len(pieces),
                first,
                best_end,
                start_char + offset,
                end_char + offset,
                text[start_char:end_char],
                kinds,
                text,
                offset,
            )
        )
        i = best_end
    for j in range(i, n):
        start_char, end_char = bounds[j]
        word = text[start_char:end_char]
        if not word.isspace():
            append(Piece(len(pieces), j, j + 1, start_char + offset, end_char + offset, word, {}))
    if scale_named:
        _mark_scale_classes(pieces)
    # bracket rules need a "(" piece, and there is none in a text without "("
    return _absorb_bracketed(pieces) if "(" in text else pieces


def _resolved(candidates: list[Annotation]) -> tuple[int, dict[str, str]]:
    """The end of the piece that several annotations starting at one token make, and its kinds (kind -> value)."""
    # a unit right after a number wins over a longer phrase ("37 weeks gestation": weeks, then gestation)
    unit_end = next((a.end for a in candidates if a.kind == "UNIT"), None)
    best_end = unit_end if unit_end is not None else max(a.end for a in candidates)
    # only the annotations of the winning extent give kinds; most often one does, and needs no sorting (the sort is
    # stable, so filtering first keeps the order of equal priorities)
    winners = [a for a in candidates if a.end == best_end]
    if len(winners) == 1:
        return best_end, {winners[0].kind: winners[0].value}
    kinds: dict[str, str] = {}
    for annotation in sorted(winners, key=_priority):
        kinds.setdefault(annotation.kind, annotation.value)
    return best_end, kinds


def _priority(annotation: Annotation) -> int:
    return _PRIORITY.get(annotation.kind, _DEFAULT_PRIORITY)


def _absorb_bracketed(pieces: list[Piece]) -> list[Piece]:
    """Brackets that restate or qualify the piece before them join it (see the three rules below); one pass, and
    none for the many criteria without a bracket."""
    if not any(piece.text == "(" for piece in pieces):
        return pieces
    i = 0
    while i + 3 < len(pieces):
        if pieces[i + 1].text != "(":
            i += 1  # every rule below reads a bracket right after piece i
            continue
        # after a merge the same position is tried again: "90 kg (200 lb) (exclusive)"
        if not (_restated_comparator(pieces, i) or _restated_quantity(pieces, i) or _bound_note(pieces, i)):
            i += 1
    return pieces


def _restated_comparator(pieces: list[Piece], i: int) -> bool:
    """ "less than or equal to (=<) 40": the symbol in brackets restates the words, so the four pieces are one
    comparator. A bracketed symbol that says something else is left alone (and reported where it stays unread)."""
    first, symbol = pieces[i], _bracketed_piece(pieces, i)
    if symbol is None or "CMP_PRE" not in first.kinds or symbol.kinds.get("CMP_PRE") != first.kinds["CMP_PRE"]:
        return False
    closing = pieces[i + 3]
    _merge_run(pieces, i, i + 4, first.origin[first.char_start - first.base : closing.char_end - first.base])
    return True


def _restated_quantity(pieces: list[Piece], i: int) -> bool:
    """ "Hb < 115 g/L (7.1 mM)", "creatinine > 1.5 mg/dL (133 µmol/L)": a quantity in brackets right after a
    number and its unit restates it in other units; it becomes part of the unit's piece (its span, not its text).

    Only the same quantity: a bracket in another dimension is a bound of its own ("≥ 2 cigarettes per day (≥ 10
    pack-years)"), read on its own rather than lost. A bracket with a comparator restates the bound only when its
    unit is known to measure the same thing and its comparator is the one before the number ("ANC ≥ 1500/µL
    (≥ 1.5 × 10^9/L)"), or "=" ("> 200 mg/dL (= 11 mmol/L)": the sign says "that is")."""
    if i < 1 or i + 4 >= len(pieces):
        return False
    unit, opening = pieces[i], pieces[i + 1]
    if opening.text != "(" or "UNIT" not in unit.kinds or not is_number(pieces[i - 1]):
        return False
    comparator = pieces[i + 2].kinds.get("CMP_PRE")
    inner = i + 3 if comparator is not None else i + 2
    if not (
        inner + 2 < len(pieces)
        and "NUM" in pieces[inner].kinds
        and "UNIT" in pieces[inner + 1].kinds
        and pieces[inner + 2].text == ")"
    ):
        return False
    same = same_quantity_kind(unit.kinds["UNIT"], pieces[inner + 1].kinds["UNIT"])
    if same is False or (
        comparator not in (None, "==") and not (same and comparator == _comparator_before(pieces, i - 1))
    ):
        return False
    _merge_run(pieces, i, inner + 3, unit.text)
    return True


def _comparator_before(pieces: Sequence[Piece], number: int) -> str | None:
    """The comparator written right before the number at ``number`` ("≥ 1500/µL"), or None."""
    return pieces[number - 1].kinds.get("CMP_PRE") if number >= 1 else None


def _bracketed_piece(pieces: Sequence[Piece], i: int) -> Piece | None:
    """The one piece in brackets right after piece ``i`` ("(=<)", "(inclusive)"), or None."""
    if i + 3 < len(pieces) and pieces[i + 1].text == "(" and pieces[i + 3].text == ")":
        return pieces[i + 2]
    return None


_BOUND_NOTES = {word: "inclusive" for word in grammar_words().bound_inclusive} | {
    word: "exclusive" for word in grammar_words().bound_exclusive
}


def _bound_note(pieces: list[Piece], i: int) -> bool:
    """ "between 50 kg (inclusive) and 90 kg (exclusive)": a note in brackets after a number or its unit says
    whether that end belongs to the range; it joins the piece before it as its ``BOUND`` kind."""
    end, note = pieces[i], _bracketed_piece(pieces, i)
    if note is None or note.lower not in _BOUND_NOTES or not ("UNIT" in end.kinds or is_number(end)):
        return False
    _merge_run(pieces, i, i + 4, end.text)
    pieces[i].kinds = dict(end.kinds, BOUND=_BOUND_NOTES[note.lower])
    return True


def _merge_run(pieces: list[Piece], start: int, stop: int, text: str) -> None:
    """Replace ``pieces[start:stop]`` by one piece with the first one's kinds, covering them all, and renumber."""
    first, last = pieces[start], pieces[stop - 1]
    merged = Piece(
        start, first.start, last.end, first.char_start, last.char_end, text, first.kinds, first.origin, first.base
    )
    pieces[start:stop] = [merged]
    for number in range(start + 1, len(pieces)):
        pieces[number].index = number


def _mark_scale_classes(pieces: list[Piece]) -> None:
    """ "Child-Pugh A or B", "BCLC stage 0 or A": the classes after a scale's name are its values (kind ``CLASS``),
    neither a filler "a" nor a number the grammar reads alone; the builder's reader "classes" reads them."""
    classes = scale_classes()
    for i, piece in enumerate(pieces):
        variable = piece.kinds.get("VARIABLE")
        if variable is None or variable not in classes:
            continue
        labels = {c.label for c in classes[variable]}
        j = skip_to_classes(pieces, i, labels)
        run: list[Piece] = []
        while j < len(pieces) and (class_label(pieces[j], labels) or (run and _joins_classes(pieces[j]))):
            run.append(pieces[j])
            j += 1
        if any(p.text[:1].isalpha() for p in run):  # a run of numbers alone stays the grammar's ("BCLC stage 0")
            for p in run:
                if class_label(p, labels):
                    p.kinds = {"CLASS": variable}


def class_label(piece: Piece, labels: set[str]) -> str | None:
    """The class a piece names ("C." ending a sentence is "C"), or None."""
    text = piece.text[:-1] if piece.text.endswith(".") else piece.text
    return text if text in labels else None


def skip_to_classes(pieces: Sequence[Piece | None], i: int, labels: set[str]) -> int:
    """The index after a scale's name at ``i`` and what may follow it before its classes: its abbreviation in
    brackets ("Barcelona Clinic Liver Cancer (BCLC) stage C"), class words ("class", "stage"), fillers ("of"),
    a comparator ("≥ B")."""
    name = pieces[i]
    assert name is not None
    words = class_words()
    j = i + 1
    if j + 2 < len(pieces) and (opener := pieces[j]) is not None and opener.text == "(":
        inner, closer = pieces[j + 1], pieces[j + 2]
        same = inner is not None and inner.kinds.get("VARIABLE") == name.kinds.get("VARIABLE")
        if same and closer is not None and closer.text == ")":
            j += 3
    while j < len(pieces) and (p := pieces[j]) is not None and not class_label(p, labels):
        if p.lower in words or "VERB_IS" in p.kinds:
            j += 1
        else:
            break
    if j < len(pieces) and (p := pieces[j]) is not None and "CMP_PRE" in p.kinds:
        j += 1
    return j


def _joins_classes(piece: Piece) -> bool:
    return "CONJ" in piece.kinds or "TO" in piece.kinds or piece.text in (",", "/")
