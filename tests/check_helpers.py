"""What the guard passes' tests share: a criterion built and flattened by the real pipeline, before any guard."""

from __future__ import annotations

from criteria_nlp.build.builder import Builder
from criteria_nlp.check.context import CheckContext
from criteria_nlp.check.passes import flatten
from criteria_nlp.grammar import parse_chunks, pieces_of
from criteria_nlp.ir import Node, Span
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.pipeline import default_parser
from criteria_nlp.text.nlp import annotate


def unguarded(text: str, section: str) -> tuple[Node, CheckContext]:
    """The criterion built and flattened, without the guard passes; the context the passes read."""
    (doc,) = annotate(default_parser().nlp, [text])
    pieces = pieces_of(doc)
    chunks, _ = parse_chunks(pieces)
    result = Builder().build(chunks, section, Span(start=0, end=len(text)), text, pieces)  # type: ignore[arg-type]
    context = CheckContext(load_lexicon(), text=text)
    return flatten(result.expression, context), context
