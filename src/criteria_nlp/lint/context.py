"""What a lint rule receives: the criterion (or the document), the lexicon, the words rules look for, the
criterion's leaves with their polarity, and the builder's ledger (its claims), computed once and shared by every rule.

Rules read the IR and the claims through these contexts rather than the raw text: what the parser understood, and
which reader took which words as what (:meth:`CriterionContext.claimed`), and which words no reader took
(:meth:`CriterionContext.unclaimed_words`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from criteria_nlp.ir import Claim, CriteriaDocument, Criterion, Node, Section, Span, kind_of, span_at, walk
from criteria_nlp.knowledge.lexicon import Lexicon
from criteria_nlp.lint.claims import claims_by_criterion, has_role
from criteria_nlp.lint.model import Hit
from criteria_nlp.lint.words import LintWords

T = TypeVar("T")

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Leaf:
    node: Node
    negated: bool
    conjunct: bool  # reached from the root through all/not only: required (inclusion) as a whole
    disjunct: bool  # reached from the root through any/not only: sufficient on its own
    condition: bool  # inside the "when" part of a conditional


def leaves(
    node: Node, negated: bool = False, conjunct: bool = True, disjunct: bool = True, condition: bool = False
) -> Iterator[Leaf]:
    """Leaves with their polarity, from each child's role in its parent (:data:`criteria_nlp.ir.kinds.Role`); under
    a negation, "and" and "or" swap (De Morgan); k of n children are neither required nor sufficient alone."""
    kind = kind_of(node)
    if kind.roles is None:
        yield Leaf(node, negated, conjunct, disjunct, condition)
        return
    for child, role in zip(kind.children(node), kind.roles(node), strict=True):
        if role == "and":
            yield from leaves(child, negated, conjunct and not negated, disjunct and negated, condition)
        elif role == "or":
            yield from leaves(child, negated, conjunct and negated, disjunct and not negated, condition)
        elif role == "not":
            yield from leaves(child, not negated, conjunct, disjunct, condition)
        else:  # the parts of a conditional, one of k of n
            yield from leaves(child, negated, False, False, condition or role == "when")


def name_of(criterion: Criterion) -> str:
    """How a message names a criterion: "inclusion 3", or its id when it has no label."""
    return f"{criterion.section} {criterion.label}" if criterion.label else criterion.id


class _Derived:
    """A per-context memo: ``derived(fn)`` computes ``fn(self)`` once, for facts several rules share."""

    def __init__(self) -> None:
        self._derived: dict[Callable[[Any], Any], Any] = {}

    def derived(self, compute: Callable[[Any], T]) -> T:
        if compute not in self._derived:
            self._derived[compute] = compute(self)
        return self._derived[compute]  # type: ignore[no-any-return]


class CriterionContext(_Derived):
    """One criterion of a document, for the rules run on each criterion."""

    def __init__(
        self,
        criterion: Criterion,
        document: CriteriaDocument,
        lexicon: Lexicon,
        words: LintWords,
        claims: tuple[Claim, ...] | None = None,
    ) -> None:
        super().__init__()
        self.criterion = criterion
        self.document = document
        self.lexicon = lexicon
        self.words = words
        self.text = document.text  # spans are offsets into the document text
        # the builder's ledger, in text order: the criterion's own, or the linter's fallback (lint/claims.py)
        self.claims = criterion.claims if claims is None else claims

    def claimed(self, role: str | None = None, reader: str | None = None) -> tuple[Claim, ...]:
        """The claims of ``reader`` (any when None) as ``role`` (a role, or its family: "cue" for "cue:…")."""
        return tuple(
            claim
            for claim in self.claims
            if (reader is None or claim.reader == reader) and (role is None or has_role(claim, role))
        )

    @cached_property
    def unclaimed_words(self) -> tuple[Span, ...]:
        """The words of the criterion no reader took, in text order (what the parser did not read at all)."""
        offset = self.criterion.span.start
        starts = [claim.span.start for claim in self.claims]
        found: list[Span] = []
        for match in _WORD.finditer(self.criterion.text):
            start, end = offset + match.start(), offset + match.end()
            position = bisect.bisect_right(starts, start) - 1
            before = self.claims[position] if position >= 0 else None
            # claims do not overlap, so only the last claim starting before the word and the next one can touch it
            if before is not None and before.span.end > start:
                continue
            if position + 1 < len(starts) and starts[position + 1] < end:
                continue
            found.append(span_at(start, end))
        return tuple(found)

    @cached_property
    def unread(self) -> tuple[Span, ...]:
        """What the parser did not read: the words no reader took, and those the leftovers kept as not understood;
        in text order."""
        kept = (claim.span for claim in self.claims if claim.role == "unparsed")
        return tuple(sorted((*self.unclaimed_words, *kept), key=lambda span: span.start))

    @cached_property
    def leaves(self) -> tuple[Leaf, ...]:
        return tuple(leaves(self.criterion.expression))

    @cached_property
    def nodes(self) -> tuple[Node, ...]:
        """Every node of the expression, parents before children."""
        return tuple(walk(self.criterion.expression))

    def hit(
        self,
        span: Span,
        message: str,
        suggestion: str | None = None,
        related: Iterable[tuple[Criterion | None, Span, str]] = (),
    ) -> Hit:
        return Hit(self.criterion, span, message, suggestion, tuple(related))


class DocumentContext(_Derived):
    """The whole document, for rules across criteria; ``criteria`` are the per-criterion contexts (leaves shared)."""

    def __init__(self, document: CriteriaDocument, lexicon: Lexicon, words: LintWords) -> None:
        super().__init__()
        self.document = document
        self.lexicon = lexicon
        self.words = words
        self.text = document.text
        self.criteria = tuple(
            CriterionContext(c, document, lexicon, words, claims)
            for c, claims in zip(document.criteria, claims_by_criterion(document, lexicon), strict=True)
        )

    def section(self, section: Section) -> list[CriterionContext]:
        return [c for c in self.criteria if c.criterion.section == section]


__all__ = ["CriterionContext", "DocumentContext", "Leaf", "leaves", "name_of"]
