"""A condition bound to a list of alternatives after it: part of the reader "lists".

"Diabetes with hypertension or heart failure", "metformin plus a sulfonylurea or insulin", "diabetes and either
hypertension or heart failure": the condition before the binding word (``list_binder``, or ``list_either`` after
"and", in words.tsv) and one of the alternatives after it, all(X, any(Y, Z)), in either section. Read as any of the
three before this, diabetes alone met the inclusion and hypertension alone met the exclusion.

"Infection with HIV, HBV or HCV": when the condition's last word is one the alternatives specify (``list_refined``),
the alternatives say which infection it is, any(Y, Z), and a record of some other infection neither meets nor
excludes.

The binding is read only where it is written plainly: one condition right before the binding word (commas aside),
no "or" before it ("hypertension or diabetes with nephropathy": which one "with" binds is not written; left as
before), exactly one "or" after it and no "and" or bracket ("X with Y or Z, or W" is left as before). When an
alternative after the binding word was not read ("type 2 diabetes with retinopathy or nephropathy"), the unread
item is not made an alternative to the whole criterion (:func:`binds_unread`): it stays a requirement, unknown until
read, as the condition alone would otherwise decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from criteria_nlp.build.state import BuildState
from criteria_nlp.grammar import Piece
from criteria_nlp.ir import All, Any_, Node
from criteria_nlp.knowledge.words import words

READER = "lists"
_BINDERS = words("list_binder")
_EITHER = words("list_either")
_REFINED = words("list_refined")
_OPENERS = frozenset({"(", "["})
_WORD_SPLIT = re.compile(r"[\s\-]+")


@dataclass(frozen=True, slots=True)
class _Binding:
    binder: Piece
    joined: Piece | None  # the "and" of "and either"
    first: int  # the index in ``state.items`` of the condition bound
    either: Piece  # the one "or" after the binding word
    refined: bool  # the alternatives say which one the condition is ("infection with HIV or HCV")


def bound(state: BuildState, presences: list[Node]) -> Node | None:
    """The list as all(X, any(Y, Z)) (or any(Y, Z) when they refine X); None when it is not written so."""
    binding = _binding(state)
    if binding is None or len(presences) != len(state.items) or binding.first != 0:
        return None
    # by the concepts' own words: a presence's span also covers its window ("… or heart failure within 6 months")
    pieces = [piece for piece, _ in state.items]
    after = presences[1:]
    if len(after) < 2 or not pieces[1].char_start < binding.either.char_start < pieces[-1].char_start:
        return None
    if any(piece.char_start < binding.binder.char_end for piece in pieces[1:]):
        return None
    for piece in (binding.binder, binding.either, binding.joined):
        if piece is not None:
            state.take(piece, READER, "connective")
    alternatives = Any_(span=after[0].span.cover(after[-1].span), children=tuple(after))
    if binding.refined:
        return alternatives
    first = presences[0]
    return All(span=first.span.cover(alternatives.span), children=(first, alternatives))


def binds_unread(state: BuildState) -> bool:
    """The clause is written as a condition bound to alternatives, but some of them were not read: the unread ones
    are no alternatives to the whole criterion."""
    binding = _binding(state)
    return binding is not None and not binding.refined


def binds_first(state: BuildState) -> bool:
    """The clause binds its first condition to alternatives after it ("no diabetes with hypertension or heart
    failure"): a negation before that condition reaches the whole binding (trust-known, build/negation.py)."""
    binding = _binding(state)
    return binding is not None and binding.first == 0


def _binding(state: BuildState) -> _Binding | None:
    prose = state.prose
    found = _binder(prose)
    if found is None:
        return None
    binder, joined = found
    items = [piece for piece, _ in state.items]
    before = [k for k, piece in enumerate(items) if piece.char_end <= binder.char_start]
    if len(before) != 1:
        return None
    condition = items[before[0]]
    between = [p for p in prose if condition.char_end <= p.char_start and p.char_end <= binder.char_start]
    if any(p.text != "," and p is not joined for p in between):
        return None  # "valvular disease including those with …": the binding word is not the condition's
    earlier = [p for p in prose if p.char_end <= binder.char_start and p is not joined]
    if any(p.kinds.get("CONJ") in ("or", "andor") for p in earlier):
        return None
    later = [p for p in prose if p.char_start >= binder.char_end]
    if later and later[0].kinds.get("CONJ") in ("or", "andor") and later[0].lower not in _EITHER:
        return None  # "mastectomy with or without node dissection": either way, nothing bound
    ors = [p for p in later if p.kinds.get("CONJ") in ("or", "andor") and p.lower not in _EITHER]
    if len(ors) != 1 or any(p.text in _OPENERS or p.kinds.get("CONJ") == "and" for p in later):
        return None
    return _Binding(binder, joined, before[0], ors[0], _refined(state, before[0]))


def _binder(prose: list[Piece]) -> tuple[Piece, Piece | None] | None:
    """The first binding word of the clause ("with", "plus"; "either" right after "and", with that "and")."""
    for k, piece in enumerate(prose):
        if piece.lower in _BINDERS or ("WITH" in piece.kinds and piece.lower == "with"):
            return piece, None
        if piece.lower in _EITHER and k > 0 and prose[k - 1].kinds.get("CONJ") == "and":
            return piece, prose[k - 1]
    return None


def _refined(state: BuildState, index: int) -> bool:
    piece, _ = state.items[index]
    last = _WORD_SPLIT.split(piece.text.lower().strip())[-1]
    return last in _REFINED
