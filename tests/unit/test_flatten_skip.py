"""The flatten pass looks over the context's walk first and returns a tree with nothing to flatten as it is; it must
give what flattening node by node gives, on every built expression of the golden inputs and on composed trees."""

from __future__ import annotations

import json
from pathlib import Path

from criteria_nlp.check.passes import CheckContext, _flatten, flatten
from criteria_nlp.grammar import parse_chunks, pieces_of
from criteria_nlp.ir import All, Any_, Node, Not, Unparsed, span_at
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.pipeline import default_parser
from criteria_nlp.text.nlp import annotate

GOLDEN = Path(__file__).parent.parent / "golden"


def _built() -> list[Node]:
    parser = default_parser()
    texts = []
    for path in sorted(GOLDEN.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#") and isinstance(json.loads(line).get("text"), str):
                texts.append(json.loads(line)["text"])
    built = []
    for text, doc in zip(texts, annotate(parser.nlp, texts), strict=True):
        pieces = pieces_of(doc)
        chunks, _ = parse_chunks(pieces)
        built.append(parser.builder.build(chunks, "inclusion", span_at(0, len(text)), text, pieces).expression)
    return built


def _leaf(n: int) -> Node:
    return Unparsed(span=span_at(n, n + 1), text="x", reason=f"leaf {n}")


def _composed() -> list[Node]:
    a, b, c = _leaf(0), _leaf(1), _leaf(2)
    span = span_at(0, 3)
    return [
        All(span=span, children=(a, b)),
        All(span=span, children=(All(span=span, children=(a, b)), c)),
        Any_(span=span, children=(a, All(span=span, children=(Any_(span=span, children=(b,)), c)))),
        Not(span=span, child=Not(span=span, child=a)),
        All(
            span=span,
            children=(a, Not(span=span, child=Any_(span=span, children=(b, Any_(span=span, children=(c, a)))))),
        ),
        Any_(span=span, children=(a,)),
    ]


def test_flatten_gives_what_flattening_node_by_node_gives() -> None:
    trees = _built() + _composed()
    assert len(trees) > 500
    changed = 0
    for tree in trees:
        flat = flatten(tree, CheckContext(load_lexicon()))
        expected = _flatten(tree)
        assert flat == expected
        if expected is tree:
            assert flat is tree  # nothing to flatten: the same object, not a copy
        else:
            changed += 1
    assert changed >= 5  # the composed trees, at least, do change
