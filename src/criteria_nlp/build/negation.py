"""Reader "negation": which concepts a negation cue reaches, as the cues' direction and scope say (ConText style).

The cues, their direction and scope are data: ``corpora/lexicon/cues.tsv`` (columns ``direction`` and ``scope``,
read by :func:`criteria_nlp.knowledge.lexicon.cue_scopes`); the plain words that end a scope are the sets
``scope_breaker`` and ``predicate_start`` of ``corpora/lexicon/words.tsv``.

* A FORWARD (or BIDIRECTIONAL) cue of scope "clause" reaches the concepts after it, up to a TERMINATE cue
  (WITH, IF, UNLESS, ALLOWED), a scope-breaking word ("but", "who"), a ";", or "and" before a new predicate
  ("not pregnant and on effective contraception"). A cue of scope "word" ("non") is the prefixes reader's.
* A later item of an "and" list followed by an affirmation word (the set ``affirmation`` of ``words.tsv``: "No stroke
  and hypertension present") is affirmed: the negation before the list stops short of it. After "or" the word
  affirms nothing ("no stroke or hypertension present" is neither). An affirmation word right after "and" starts a
  new predicate, as ``predicate_start`` words do ("absence of stroke and presence of hypertension").
* A BACKWARD (or BIDIRECTIONAL) cue reaches the concept before it over filler words only ("HIV negative",
  "pregnancy test (hCG) that is negative", "pregnancy test result: negative").
* A cue before a condition bound to alternatives after it ("No diabetes with hypertension or heart failure",
  :mod:`~criteria_nlp.build.bound_lists`) negates the binding as a whole, not(all(X, any(Y, Z))): the lists reader
  reads the binding, and :func:`read_bound_negation` (after it) negates what it read. Negating X alone would require
  Y or Z of a patient who has none of them.
* A negated concept that is an alternative ("HIV positive or hepatitis C negative", "hypertension or no diabetes")
  stays one: the lists reader joins the concepts not negated and the negated ones by "all" (right for "with
  hypertension but without diabetes"), and :func:`read_bound_negation` (after it) makes the join any(X, not Y) when
  only "or" (and the cue) stands between the two groups. Where the groups interleave around an "or" ("A, B negative
  or C"), which items the negation and the "or" bind is not read: the clause is unparsed, never all(...).

Writes ``state.in_negation`` (the concept pieces reached) and takes the cues that reach one.
"""

from __future__ import annotations

from criteria_nlp.build.bound_lists import binds_first
from criteria_nlp.build.common import HYPHENS, STOPWORDS, is_or
from criteria_nlp.build.concepts import NON
from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Piece
from criteria_nlp.ir import All, Any_, Node, Not, Presence, Unparsed
from criteria_nlp.knowledge.lexicon import cue_scopes
from criteria_nlp.knowledge.words import words

READER = "negation"
_BACKWARD = frozenset(
    c.phrase for c in cue_scopes() if c.kind == "NEG" and c.direction in ("BACKWARD", "BIDIRECTIONAL")
)
_FORWARD = frozenset(c.phrase for c in cue_scopes() if c.kind == "NEG" and c.direction in ("FORWARD", "BIDIRECTIONAL"))
_TERMINATING_KINDS = frozenset(c.kind for c in cue_scopes() if c.direction == "TERMINATE")
_SCOPE_BREAKERS = words("scope_breaker")
_PREDICATE_STARTS = words("predicate_start")
_RESULT_WORDS = words("result_word")
_EITHER_WAY = words("either_way")
_AFFIRMATIONS = words("affirmation")
_POSITIVE_RESULTS = words("result_positive")
_OPENERS = words("alternative_opener")
_BOUND = "cue:negation of a bound list"  # the ledger role of a cue read by read_bound_negation


def read_negation(state: BuildState) -> None:
    if not state.items:
        return
    pieces = state.prose
    order = {p.index: k for k, p in enumerate(pieces)}
    binding = binds_first(state)
    results, spent = _results(state, pieces, order)
    for number, (piece, _) in enumerate(state.items):
        k = order.get(piece.index)
        if k is None:
            continue
        result = results.get(piece.index)
        if result is not None:
            state.in_negation.add(piece.index)  # "HIV negative", "HIV-seronegative"
            state.take(result, READER, "cue:negation")
            continue
        cue = _cue_before(pieces, k)
        # a cue read back onto the concept before it, and a positive result after this one: "hepatitis C negative
        # or HIV positive" negates no HIV
        if cue is not None and cue.index in spent and _positive_after(pieces, k, piece):
            continue
        if cue is not None and _either_way(pieces, order[cue.index], k):
            # "Hepatitis B with or without cirrhosis": the concept may or may not be there; it asks for nothing
            for word in (*pieces[order[cue.index] - 2 : order[cue.index] + 1], piece):
                state.take(word, READER, "either way")
            state.hold_concept(piece)
            state.items = [item for item in state.items if item[0].index != piece.index]
            continue
        if cue is not None and _affirmed(pieces, order[cue.index], k):
            continue
        if cue is not None and binding and number == 0:
            state.take(cue, READER, _BOUND)  # the whole binding is negated, once the lists reader has read it
        elif cue is not None:
            state.in_negation.add(piece.index)
            state.take(cue, READER, "cue:negation")


def read_bound_negation(state: BuildState) -> None:
    """Negate the binding the lists reader read ("no diabetes with hypertension or heart failure"); where it read no
    binding after all, the clause's concepts are unknown: neither reading of the negation is safe."""
    cues = [piece for piece, reader, role in state.ledger.entries.values() if role == _BOUND]
    if not cues or state.concepts is None:
        _negated_alternative(state)
        return
    concepts = state.concepts
    span = cues[0].span.cover(concepts.span)
    if _is_binding(concepts):
        state.concepts = Not(span=span, child=concepts)
    else:
        reason = "a negation before a condition bound to alternatives: what it negates was not read"
        state.concepts = Unparsed(span=span, text=state.document[span.start : span.end], reason=reason)


def _results(state: BuildState, pieces: list[Piece], order: dict[int, int]) -> tuple[dict[int, Piece | None], set[int]]:
    """The negative result cue read back onto each concept ("HIV negative"), and the indexes of those cues."""
    results = {
        piece.index: _result_after(pieces, order[piece.index]) for piece, _ in state.items if piece.index in order
    }
    return results, {cue.index for cue in results.values() if cue is not None}


def _spent_reach(state: BuildState) -> bool:
    """A concept negated only by a cue already read back onto a concept before it ("diabetes, HIV negative or
    stroke"): whether the cue reaches it too is unsure."""
    pieces = state.prose
    order = {p.index: k for k, p in enumerate(pieces)}
    results, spent = _results(state, pieces, order)
    for piece, _ in state.items:
        if piece.index in state.in_negation and results.get(piece.index) is None and piece.index in order:
            cue = _cue_before(pieces, order[piece.index])
            if cue is not None and cue.index in spent:
                return True
    return False


def _negated_alternative(state: BuildState) -> None:
    """all(X, not Y) the lists reader made of concepts not negated and negated ones: any(X, not Y) when "or" joins
    the two groups, unparsed when the groups interleave around an "or" (see the module's docstring)."""
    node = state.concepts
    if node is not None and state.in_negation and _spent_reach(state):
        reason = "a negative result after one concept: whether it negates the concepts after it too is unsure"
        state.concepts = Unparsed(span=node.span, text=state.document[node.span.start : node.span.end], reason=reason)
        return
    if not (
        state.in_negation
        and isinstance(node, All)
        and len(node.children) == 2
        and isinstance(node.children[1], Not)
        and any(is_or(p) for p in state.prose if node.span.start <= p.char_start < node.span.end)
    ):
        return
    positive, absent = node.children
    first, second = sorted((positive, absent), key=lambda n: n.span.start)
    if first.span.end > second.span.start:
        reason = "concepts negated and not negated interleave around 'or': which items the negation reaches is unsure"
        state.concepts = Unparsed(span=node.span, text=state.document[node.span.start : node.span.end], reason=reason)
        return
    between = [p for p in state.prose if first.span.end <= p.char_start and p.char_end <= second.span.start]
    if first is positive:
        # "hypertension or not using contraception": the words after the cue belong to the negated concept
        cues = [n for n, p in enumerate(between) if "NEG" in p.kinds]
        between = between[: cues[0] + 1] if cues else between
    if any(is_or(p) and p.lower not in _OPENERS for p in between) and all(_joining(p) for p in between):
        children: tuple[Node, ...] = (first, second)
        state.concepts = Any_(span=node.span, children=children)


def _joining(piece: Piece) -> bool:
    """A word that may stand between two alternatives: "or", a comma, a negation cue or a result word, filler; not
    "with" ("with or without X" is no alternative) nor "either" (it opens alternatives of its own)."""
    if "WITH" in piece.kinds or piece.lower in _OPENERS:
        return False
    return (
        is_or(piece)
        or piece.text in (",", ":")
        or "NEG" in piece.kinds
        or "VERB_IS" in piece.kinds
        or piece.lower in STOPWORDS
        or piece.lower in _RESULT_WORDS
        or piece.lower in _POSITIVE_RESULTS
        or piece.lower in _AFFIRMATIONS
    )


def _positive_after(pieces: list[Piece], k: int, piece: Piece) -> bool:
    """A positive result word ending the concept's piece or right after it ("HIV positive"), over a hyphen."""
    if piece.lower.split()[-1:] and piece.lower.split()[-1] in _POSITIVE_RESULTS:
        return True
    after = k + 1
    while after < len(pieces) and pieces[after].text in HYPHENS:
        after += 1
    return after < len(pieces) and pieces[after].lower in _POSITIVE_RESULTS


def _is_binding(node: object) -> bool:
    """all(X, any(Y, Z)), or any(Y, Z) when the alternatives say which X is ("infection with HIV or HCV")."""
    if isinstance(node, All):
        return len(node.children) == 2 and isinstance(node.children[0], Presence) and _is_binding(node.children[1])
    return isinstance(node, Any_) and all(isinstance(child, Presence) for child in node.children)


def _result_after(pieces: list[Piece], k: int) -> Piece | None:
    """A cue that reaches back to the concept at ``k`` over filler words ("HIV-negative")."""
    after = k + 1
    while after < len(pieces):
        word = pieces[after]
        if word.text == "(":
            close = next((m for m in range(after + 1, min(len(pieces), after + 12)) if pieces[m].text == ")"), None)
            if close is None:
                break
            after = close + 1
            continue
        if not (
            word.text in HYPHENS
            or word.text == ":"
            or "VERB_IS" in word.kinds
            or word.lower in STOPWORDS
            or word.lower in _RESULT_WORDS
        ):
            break
        after += 1
    if after < len(pieces) and pieces[after].lower in _BACKWARD:
        return pieces[after]
    return None


def _affirmed(pieces: list[Piece], cue_at: int, concept_at: int) -> bool:
    """The concept at ``concept_at`` is a later item of an "and" list after the cue, and an affirmation word follows
    it over filler words ("No stroke and hypertension present")."""
    joined = [p for p in pieces[cue_at + 1 : concept_at] if "CONJ" in p.kinds]
    if not joined or joined[-1].kinds.get("CONJ") != "and":
        return False
    after = concept_at + 1
    while after < len(pieces) and ("VERB_IS" in pieces[after].kinds or pieces[after].lower in ("is", "are")):
        after += 1
    return after < len(pieces) and pieces[after].lower in _AFFIRMATIONS


def _either_way(pieces: list[Piece], cue_at: int, concept_at: int) -> bool:
    """'with or without X' before the concept, over its qualifiers only ("with or without prior myocardial
    infarction"): X is allowed either way, not negated."""
    return (
        cue_at >= 2
        and all("QUAL" in p.kinds for p in pieces[cue_at + 1 : concept_at])
        and " ".join(p.lower for p in pieces[cue_at - 2 : cue_at + 1]) in _EITHER_WAY
    )


def _cue_before(pieces: list[Piece], k: int) -> Piece | None:
    """The negation cue before the concept at ``k`` whose scope reaches it."""
    for j in range(k - 1, -1, -1):
        before = pieces[j]
        if "NEG" in before.kinds and before.lower not in NON and _reaches_forward(before):
            return before
        if (
            before.lower in _SCOPE_BREAKERS
            or before.text == ";"
            or not _TERMINATING_KINDS.isdisjoint(before.kinds)
            # "not pregnant and on effective contraception": "and" starts a new predicate; "absence of stroke and
            # presence of hypertension": an affirmation after "and" as well
            or (
                (before.lower in _PREDICATE_STARTS or before.lower in _AFFIRMATIONS)
                and j > 0
                and pieces[j - 1].lower == "and"
            )
        ):
            return None
    return None


def _reaches_forward(cue: Piece) -> bool:
    """Every negation cue reaches forward but a BACKWARD-only one (none in the data today)."""
    return cue.lower in _FORWARD or cue.lower not in _BACKWARD
