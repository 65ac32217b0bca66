"""Reader "classes": classes of a scale written as letters ("Child-Pugh A or B", "BCLC stage B"), issue 11 mechanism 2.

The grammar reads numbers and Roman numerals ("NYHA class III-IV"); a letter is prose to it. Here a variable whose
classes ``corpora/lexicon/variables_classes.tsv`` lists, followed by class words ("class", "stage": the
``class_word`` set of ``words.tsv``) and a list or range of its labels, becomes a threshold on the variable: each
class is an interval on the variable's own scale ("A" of Child-Pugh is the score 5 to 6), a list is their union.
A letter that is not a class of that variable ("Child-Pugh B7") leaves the words to the readers after this one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from criteria_nlp.build.common import HYPHENS, cover_pieces
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import ConstraintChunk, Piece, ProseChunk
from criteria_nlp.grammar.resolve import class_label, skip_to_classes
from criteria_nlp.ir import All, Any_, Comparison, Diagnostic, Node, Quantity, Range, Span, Unparsed, VariableRef
from criteria_nlp.knowledge.scale_classes import ScaleClass, scale_classes
from criteria_nlp.knowledge.scale_direction import direction_operator
from criteria_nlp.knowledge.words import words

READER = "classes"
_LABEL_SCORE = re.compile(r"([A-Z])(\d{1,2})")  # "B7": a class and its score
_SCORE_WORDS = words("generic_score_word")
_CLASS_WORDS = words("class_word")
_LIST_MARKS = frozenset({",", "/"})  # besides the CONJ ("or", "and") and TO ("-", "to") cues of cues.tsv
# a TNM category: an optional prefix (clinical, pathological ...), T, N or M, and its value ("cT1", "N0", "Tis", "Mx"),
# ending the variable's name as the thresholds reader read it ("cT1 -" of "cT1-2-3", "clinical category cT1")
_STAGE_PREFIXES = "|".join(sorted(map(re.escape, words("stage_code_prefix")), key=len, reverse=True))
_STAGE_CATEGORIES = "".join(sorted(word.upper() for word in words("stage_code_category")))
_DASHES = "".join(re.escape(h) for h in sorted(HYPHENS))
_STAGE_CODE = re.compile(
    rf"(?<![A-Za-z0-9])(?:{_STAGE_PREFIXES})?[{_STAGE_CATEGORIES}](?:is|x|X|\d[a-d]?)[\s{_DASHES}]*$"
)
_STAGE_CODE_REASON = "a TNM stage code (T, N, M categories of a tumour) is no threshold on a variable"
# words that are TNM codes and nothing else ("T3-T4", "N+", "cT2 N0", "T1-3"), as a reader left them unread
_ONE_CODE = rf"(?:{_STAGE_PREFIXES})?[{_STAGE_CATEGORIES}](?:is|[xX]|\d[a-d]?\+?|\+)"
_CODE_RUN = rf"{_ONE_CODE}(?:\s*[{_DASHES}/]\s*(?:{_ONE_CODE}|\d[a-d]?))*"
_STAGE_CODES = re.compile(rf"{_CODE_RUN}(?:\s*,?\s*{_CODE_RUN})*")


# Roman-numeral stages with their sub-letters ("IIIB", "IVa", "III/IV"), after a class word ("stage") of the clause
_ONE_NUMERAL = r"(?:I{1,3}|IV|V)[A-Ca-c]?[12]?"
_STAGE_NUMERALS = re.compile(rf"{_ONE_NUMERAL}(?:\s*[{_DASHES}/,]\s*{_ONE_NUMERAL})*")
_CLASS_WORD_BEFORE = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, sorted(_CLASS_WORDS))) + r")(?![\w-])")


def stage_numerals_only(text: str, before: str) -> bool:
    """The words are Roman-numeral stages ("IIIB", "IV") and the clause names a class word before them ("Stage IIIB or
    IV lung cancer"): the stage of the condition written next to them, never an item of a list of its own."""
    return _STAGE_NUMERALS.fullmatch(text.strip()) is not None and _CLASS_WORD_BEFORE.search(before.lower()) is not None


def stage_codes_only(text: str) -> bool:
    """The words are TNM stage codes and nothing else: a stage of the tumour written next to them, never an item
    of a list of its own ("Stage T3-T4 or N+ rectal cancer")."""
    return _STAGE_CODES.fullmatch(text.strip()) is not None


def read_classes(state: BuildState) -> None:
    if state.numeric is not None:
        state.numeric = _without_stage_codes(state, state.numeric)
    prose = [c.piece if isinstance(c, ProseChunk) else None for c in state.chunks]
    found: list[Node] = []
    either = False  # "Child-Pugh A, or bilirubin < 2 mg/dL": the classes are one alternative
    for position, piece in enumerate(prose):
        variable = piece.kinds.get("VARIABLE") if piece is not None else None
        if piece is not None and variable is None:
            variable = _named_by_letters(prose, position)
        if piece is None or variable is None or variable not in scale_classes() or state.taken(piece):
            continue
        reading = _classes_after(state, prose, position, variable)
        if reading is not None and reading[0] is not None:
            found.append(reading[0])
            before = prose[position - 1] if position else None
            joined_by_or = before is not None and before.kinds.get("CONJ") == "or"  # "… > 3 mg/dL or Child-Pugh C"
            if before is not None and joined_by_or:
                state.take(before, READER, "connective")
            _take_named_degree(state, prose, position)
            either = either or reading[1] or joined_by_or
    _restated_classes(state)
    if not found:
        return
    if len(found) > 1:
        # "moderate (Child-Pugh B), or severe (Child-Pugh C)": a patient is in one class: the readings are alternatives
        found = [Any_(span=found[0].span.cover(found[-1].span), children=tuple(found))]
    parts = ([state.numeric] if state.numeric is not None else []) + found
    if len(parts) == 1:
        state.numeric = parts[0]
        return
    parts.sort(key=lambda node: node.span.start)
    span = parts[0].span.cover(parts[-1].span)
    joined = Any_ if either and len(parts) == 2 else All
    state.numeric = joined(span=span, children=tuple(parts))


_LETTER_CODE = re.compile(r"[A-Z]\d")  # "F2": a class written as a letter code, which names its own scale
_LETTER_SUBJECTS = words("letter_scale_subject")


def _named_by_letters(prose: Sequence[Piece | None], position: int) -> str | None:
    """ "fibrosis F2 or greater": the scale whose letter codes follow what it measures (``letter_scale_subject`` of
    words.tsv), when one scale alone has the code written; None otherwise (a bare "stage 3" names no scale), and
    after an "or" of the clause, whose alternatives the stage would be read apart from."""
    piece = prose[position]
    if piece is None or piece.lower not in _LETTER_SUBJECTS:
        return None
    if any(p is not None and p.kinds.get("CONJ") == "or" for p in prose[:position]):
        return None  # "… HCV RNA, OR an assessment of fibrosis F2": an alternative of what is before, not read alone
    lettered = {
        c.label: variable
        for variable, classes in scale_classes().items()
        for c in classes
        if _LETTER_CODE.fullmatch(c.label)
    }
    after = skip_to_classes(prose, position, set(lettered))
    code = prose[after] if after < len(prose) else None
    label = class_label(code, set(lettered)) if code is not None else None
    owners = {variable for known, variable in lettered.items() if known == label}
    return owners.pop() if len(owners) == 1 else None


def _without_stage_codes(state: BuildState, node: Node) -> Node:
    """ "cT1-2-3, cN0-1, cM0", "stage 0 (Tis, N0, M0)": a threshold the thresholds reader put on a variable named by a
    TNM code (unknown, with no unit or the unit "stage") reads the code's digits as values: it becomes unparsed with
    the reason, never 'cT1' in [2, 3] nor a stage of 'Tis' (what stage a tumour has, the records would not say)."""
    if isinstance(node, All | Any_):
        children = tuple(_without_stage_codes(state, child) for child in node.children)
        changed = any(new is not old for new, old in zip(children, node.children, strict=True))
        return node.model_copy(update={"children": children}) if changed else node
    if not isinstance(node, Comparison | Range) or node.variable.id is not None:
        return node
    bound = node.quantity if isinstance(node, Comparison) else node.low or node.high
    unit = bound.unit if bound is not None else None
    if unit not in (None, "stage") or not _STAGE_CODE.search(node.variable.mention):
        return node
    span = node.span.cover(node.variable.span)
    return Unparsed(span=span, text=span.slice(state.document), reason=_STAGE_CODE_REASON)


def _restated_classes(state: BuildState) -> None:
    """ "Child-Pugh class A (score 5 or 6)": a class (annotated as one of its scale's) written next to the scores the
    thresholds reader read, all inside the class, restates them (taken, nothing added); a score outside its class
    leaves the class unread."""
    chunks = state.chunks
    for position, chunk in enumerate(chunks):
        if not isinstance(chunk, ConstraintChunk) or not any(placed is chunk for placed, _, _ in state.ledger.chunks):
            continue
        values = [t.low.value for t in chunk.thresholds if t.low is not None and t.high == t.low]
        if len(values) != len(chunk.thresholds):
            continue
        for near in (*chunks[max(0, position - 4) : position], *chunks[position + 1 : position + 5]):
            piece = near.piece if isinstance(near, ProseChunk) else None
            if piece is None or state.taken(piece):
                continue
            interval = _class_of(piece.kinds.get("CLASS"), piece.text)
            if interval is None or not all(interval.low <= v <= interval.high for v in values):
                continue
            state.take(piece, READER, "restated class")
            for word in (c.piece for c in chunks[position - 5 : position + 6] if isinstance(c, ProseChunk)):
                if word.lower in _CLASS_WORDS and not state.taken(word):
                    state.take(word, READER, "restated class")


def _class_of(variable: str | None, label: str) -> ScaleClass | None:
    if variable is None or variable not in scale_classes():
        return None
    return next((c for c in scale_classes()[variable] if c.label == label), None)


def _take_named_degree(state: BuildState, prose: Sequence[Piece | None], position: int) -> None:
    """'moderate (Child-Pugh B)': the degree before the bracket is named by the class in it, so it is read."""
    if position >= 2:
        bracket, degree = prose[position - 1], prose[position - 2]
        if bracket is not None and bracket.text == "(" and degree is not None and "QUAL" in degree.kinds:
            state.take(degree, READER, "degree")


def _is_joiner(piece: Piece) -> bool:
    return "CONJ" in piece.kinds or "TO" in piece.kinds or piece.text in _LIST_MARKS


@dataclass
class _Written:
    """What follows a scale's name: its class words, a comparator, the runs of labels ("A-B" is one run of two)."""

    between: list[Piece] = field(default_factory=list)
    comparator: Piece | None = None
    runs: list[list[Piece]] = field(default_factory=list)
    joiners: list[Piece] = field(default_factory=list)
    after: Piece | None = None  # the first piece after the labels and their joiners


def _written(prose: Sequence[Piece | None], name_at: int, labels: set[str]) -> _Written:
    found = _Written()
    position = skip_to_classes(prose, name_at, labels)
    found.between = [p for p in prose[name_at + 1 : position] if p is not None]
    if found.between and "CMP_PRE" in found.between[-1].kinds:
        found.comparator = found.between.pop()  # "Child-Pugh class ≥ B"
    expect_label = True
    for piece in prose[position:]:
        if piece is None:
            break
        if expect_label and class_label(piece, labels):
            if found.joiners and "TO" in found.joiners[-1].kinds and found.runs:
                found.runs[-1].append(piece)
            else:
                found.runs.append([piece])
            expect_label = False
        elif _is_joiner(piece) and found.runs:
            found.joiners.append(piece)
            expect_label = True
        else:
            found.after = piece
            break
    return found


def _classes_after(
    state: BuildState, prose: Sequence[Piece | None], name_at: int, variable: str
) -> tuple[Node | None, bool] | None:
    """The classes written after the scale's name ``name``, as a threshold on ``variable``, and whether "or" follows
    them; None when none are written, or when the words after them could change their meaning ("A or better")."""
    order = scale_classes()[variable]
    classes = {c.label: c for c in order}
    name = prose[name_at]
    assert name is not None
    written = _written(prose, name_at, set(classes))
    if not written.runs:
        return _class_with_score(state, prose, name_at, variable)
    read = [p for run in written.runs for p in run]
    trailing = [j for j in written.joiners if j.char_start > read[-1].char_start]
    following = written.after
    post = following if following is not None and not trailing and "CMP_POST" in following.kinds else None
    comparator = written.comparator or post
    directed = _directed(variable, trailing, following)  # "Child-Pugh B or worse": towards the sick end
    if (comparator is not None or directed is not None) and len(read) > 1:
        return None  # "A or B or higher": not a reading to guess
    unexplained = following is not None and not following.kinds and _unexplained(following.text)
    if directed is None and trailing and unexplained:
        return None  # "Child-Pugh A or much better", "A or B7": words the classes do not explain qualify them
    labels = set(classes)
    intervals = _intervals([[classes[class_label(p, labels) or ""] for p in run] for run in written.runs], order)
    score = _bracketed_score(state, prose, following) if comparator is None and directed is None else None
    if score is not None:
        # "Child-Pugh class B (score 7)": the score restates the class, narrower; one outside it is left unread
        values, chunk, bracket = score
        if not all(any(low <= v <= high for low, high in intervals) for v in values):
            return None
        for word in bracket:
            state.take(word, READER, "connective" if word.text in ("(", ")") else "variable")
        if any(placed is chunk for placed, _, _ in state.ledger.chunks):
            _take_class(state, name, written, read)
            return None  # "class A (score 5 or 6)": the thresholds reader read the scores already
        state.place(chunk, READER, "value")
        intervals = [(v, v) for v in values]
    operator = directed
    if operator is None and comparator is not None:
        operator = comparator.kinds["CMP_POST" if comparator is post else "CMP_PRE"]
    if operator is not None:
        compared = _compared(intervals[0], operator, order)
        if compared is None:
            return None
        intervals = compared
        said = [comparator] if directed is None else [*trailing, following]
        if directed is not None:  # "or better": the "or" is part of the comparator, not a list's connective
            post, trailing = following, []
        for piece in said:
            if piece is not None:
                state.take(piece, READER, "comparator")
    _take_class(state, name, written, read, trailing)
    span = cover_pieces([name, *read, *([post] if post is not None else [])]) or name.span
    ref = VariableRef(id=variable, mention=name.text, span=name.span)
    shown = ", ".join(f"{low:g} to {high:g}" for low, high in intervals)
    state.diagnostics.append(
        Diagnostic(
            code="class-reading",
            severity="info",
            message=f"{span.slice(state.document)!r} read as {variable} {shown} (its classes in variables_classes.tsv)",
            span=span,
        )
    )
    return _node(ref, intervals, span), any(j.kinds.get("CONJ") == "or" for j in trailing)


def _take_class(
    state: BuildState, name: Piece, written: _Written, read: Sequence[Piece], trailing: Sequence[Piece] = ()
) -> None:
    for piece in (name, *written.between):
        state.take(piece, READER, "variable")
    for piece in written.joiners:
        if piece not in trailing:
            state.take(piece, READER, "connective")
    for piece in read:
        state.take(piece, READER, "value")


def _bracketed_score(
    state: BuildState, prose: Sequence[Piece | None], opening: Piece | None
) -> tuple[list[float], ConstraintChunk, list[Piece]] | None:
    """ "(score 7)", "(score 5 or 6)" right after a class: the scores written (equalities only), their chunk and the
    words around it; None when the bracket holds anything else."""
    if opening is None or opening.text != "(":
        return None
    start = next(k for k, p in enumerate(prose) if p is opening)
    said = [opening]
    position = start + 1
    while position < len(prose) and (word := prose[position]) is not None and word.lower in _SCORE_WORDS:
        said.append(word)
        position += 1
    chunk = state.chunks[position] if position < len(prose) and prose[position] is None else None
    closing = prose[position + 1] if position + 1 < len(prose) else None
    if not isinstance(chunk, ConstraintChunk) or chunk.variables or closing is None or closing.text != ")":
        return None
    values: list[float] = []
    for threshold in chunk.thresholds:
        low, high = threshold.low, threshold.high
        if threshold.operator not in (None, "==") or low is None or high is None or low.value != high.value:
            return None
        if low.unit is not None:
            return None
        values.append(low.value)
    return (values, chunk, [*said, closing]) if values else None


def _class_with_score(
    state: BuildState, prose: Sequence[Piece | None], name_at: int, variable: str
) -> tuple[Node, bool] | None:
    """ "Child-Pugh B7": a class with its score glued to it is that score, when the class's interval holds it; a
    score outside its class ("B5"), or one of a list ("B7 or B8"), is left unread."""
    classes = {c.label: c for c in scale_classes()[variable]}
    position = skip_to_classes(prose, name_at, set(classes))
    piece = prose[position] if position < len(prose) else None
    match = _LABEL_SCORE.fullmatch(piece.text.removesuffix(".")) if piece is not None else None
    if piece is None or match is None or match.group(1) not in classes:
        return None
    score, interval = float(match.group(2)), classes[match.group(1)]
    after = prose[position + 1] if position + 1 < len(prose) else None
    post = after if after is not None and "CMP_POST" in after.kinds else None  # "B7 or higher"
    operator = post.kinds["CMP_POST"] if post is not None else "=="
    joined = after is not None and post is None and _is_joiner(after)
    if not interval.low <= score <= interval.high or joined or operator not in ("==", ">=", "<="):
        return None
    name = prose[name_at]
    assert name is not None
    for taken in prose[name_at:position]:
        if taken is not None:
            state.take(taken, READER, "variable")
    state.take(piece, READER, "value")
    if post is not None:
        state.take(post, READER, "comparator")
    span = name.span.cover((post or piece).span)
    ref = VariableRef(id=variable, mention=name.text, span=name.span)
    message = f"{span.slice(state.document)!r} read as {variable} {score:g} (class {interval.label} is {interval.low:g}"
    message += f" to {interval.high:g} in variables_classes.tsv)"
    state.diagnostics.append(Diagnostic(code="class-reading", severity="info", message=message, span=span))
    return Comparison(span=span, variable=ref, operator=operator, quantity=Quantity(value=score)), False


def _unexplained(text: str) -> bool:
    return text.isalpha() or _LABEL_SCORE.fullmatch(text) is not None


def _directed(variable: str, trailing: Sequence[Piece], following: Piece | None) -> str | None:
    """ "A or better": the comparator "or" and a direction word make of a class of a scale whose healthy end is
    known."""
    if len(trailing) != 1 or trailing[0].kinds.get("CONJ") != "or" or following is None:
        return None
    return direction_operator(variable, following.lower)


def _compared(
    interval: tuple[float, float], operator: str, order: Sequence[ScaleClass]
) -> list[tuple[float, float]] | None:
    """ "B or higher": from the class to the top of the scale; "≤ B": from the bottom to the class."""
    top, bottom = max(c.high for c in order), min(c.low for c in order)
    if operator == ">=":
        return [(interval[0], top)]
    if operator == "<=":
        return [(bottom, interval[1])]
    return None  # "> B": which score starts after a class is not said


def _intervals(runs: list[list[ScaleClass]], order: Sequence[ScaleClass]) -> list[tuple[float, float]]:
    """The union of the classes written, as intervals in the scale's order; a run "A-C" takes every class between."""
    ranks = {c.label: rank for rank, c in enumerate(order)}
    chosen: set[int] = set()
    for run in runs:
        first, last = sorted((ranks[run[0].label], ranks[run[-1].label]))
        chosen.update(range(first, last + 1))
    intervals: list[tuple[float, float]] = []
    for rank in sorted(chosen):
        c = order[rank]
        if intervals and rank - 1 in chosen:
            intervals[-1] = (intervals[-1][0], c.high)  # adjacent classes join: "A or B" of Child-Pugh is 5 to 9
        else:
            intervals.append((c.low, c.high))
    return intervals


def _node(ref: VariableRef, intervals: list[tuple[float, float]], span: Span) -> Node:
    nodes: list[Node] = []
    for low, high in intervals:
        if low == high:
            nodes.append(Comparison(span=span, variable=ref, operator="==", quantity=Quantity(value=low)))
        else:
            nodes.append(Range(span=span, variable=ref, low=Quantity(value=low), high=Quantity(value=high)))
    return nodes[0] if len(nodes) == 1 else Any_(span=span, children=tuple(nodes))
