"""Parsing a criterion's pieces: the contextual lexer's runs of terminals through the LALR grammar, into chunks.

The grammar is ``grammars/constraints.lark``, loaded once. The parse of a run depends only on its terminal types,
so each distinct sequence of types is parsed by lark once and its tree's shape replayed through the transformer.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from typing import Any

import lark
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from criteria_nlp import cache as disk_cache
from criteria_nlp.grammar.chunks import Chunk, ProseChunk
from criteria_nlp.grammar.lexer import CueLexer, lex
from criteria_nlp.grammar.pieces import Piece, PieceToken
from criteria_nlp.grammar.transform import ChunkTransformer
from criteria_nlp.resources import grammar_path

_TABLES_CACHE = "grammar-tables"


@cache
def _parser() -> Lark:
    """The LALR parser; it builds trees, which :data:`_TRANSFORMER` turns into chunks.

    Its tables are kept in the disk cache (:mod:`criteria_nlp.cache`; lark's own ``cache`` option, which also checks
    the grammar's hash inside the file): building them is most of a command's first parse.
    """
    grammar = grammar_path("constraints.lark").read_text(encoding="utf-8")
    target = disk_cache.entry_path(_TABLES_CACHE, disk_cache.key_of(lark.__version__, grammar), ".pickle")
    if target is None:
        return Lark(grammar, parser="lalr", lexer=CueLexer)
    if target.exists():
        return Lark(grammar, parser="lalr", lexer=CueLexer, cache=str(target))
    # lark writes its cache file in place: write it under a name of this process's own, then move it into view
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    parser = Lark(grammar, parser="lalr", lexer=CueLexer, cache=str(partial))
    try:
        os.replace(partial, target)
    except OSError:
        partial.unlink(missing_ok=True)
    else:
        disk_cache.remove_stale(_TABLES_CACHE, keep=target)
    return parser


# A template is the shape of a parse tree with the run's tokens replaced by their positions: (rule, children).
_Template = tuple[str, tuple["_Template | int", ...]]
_TEMPLATES: dict[tuple[str, ...], _Template | None] = {}
_TEMPLATE_LIMIT = 16384
_TRANSFORMER = ChunkTransformer()
_CALLBACKS: dict[str, Any] = {}


def _template_of(tree: Tree[Token], positions: dict[int, int]) -> _Template:
    children: list[_Template | int] = []
    for child in tree.children:
        if isinstance(child, Tree):
            children.append(_template_of(child, positions))
        else:
            children.append(positions[id(child)])
    return (str(tree.data), tuple(children))


def _replay(template: _Template, run: Sequence[PieceToken]) -> Any:
    name, children = template
    arguments = [run[child] if isinstance(child, int) else _replay(child, run) for child in children]
    callback = _CALLBACKS.get(name)
    if callback is None:
        # the transformer's method itself: lark's ``v_args`` wrapper only passes the arguments on
        method = getattr(_TRANSFORMER, name)
        callback = _CALLBACKS[name] = getattr(method, "base_func", method)
    return callback(*arguments)


def _template(run: Sequence[PieceToken]) -> _Template | None:
    """The parse of a run depends only on its terminal types (the LALR tables read nothing else), so the tree's
    shape is computed once per type sequence and replayed through the transformer with each run's own tokens.
    None when the sequence does not parse without error recovery."""
    key = tuple(token.type for token in run)
    if key in _TEMPLATES:
        return _TEMPLATES[key]
    try:
        tree = _parser().parse(iter(run))
    except UnexpectedInput:
        template = None
    else:
        template = _template_of(tree, {id(token): position for position, token in enumerate(run)})
    if len(_TEMPLATES) < _TEMPLATE_LIMIT:
        _TEMPLATES[key] = template
    return template


def parse_chunks(pieces: Sequence[Piece]) -> tuple[list[Chunk], list[Piece]]:
    """Parse a criterion's pieces; returns the chunks and the pieces the grammar had to skip (never silently).

    Only the runs of structural terminals go through lark (prose cannot occur inside a constraint or window, so
    each run parses on its own); prose pieces become prose chunks directly. A token the grammar cannot place is
    kept as prose and also reported in the second list.
    """
    chunks: list[Chunk] = []
    skipped: list[Piece] = []
    append = chunks.append
    items = lex(pieces)
    run_start = -1  # where the run of terminals being gathered starts in ``items``; -1: none
    for position, item in enumerate(items):
        if isinstance(item, PieceToken):
            if run_start < 0:
                run_start = position
            continue
        if run_start >= 0:
            _parse_run(items[run_start:position], chunks, skipped)  # type: ignore[arg-type]  # terminals only
            run_start = -1
        append(_new_tuple(ProseChunk, (item,)))  # ProseChunk(item), without its Python-level constructor
    if run_start >= 0:
        _parse_run(items[run_start:], chunks, skipped)  # type: ignore[arg-type]  # terminals only
    if skipped:
        chunks.sort(key=_chunk_start)
    return chunks, skipped


_new_tuple = tuple.__new__


def _chunk_start(chunk: Chunk) -> int:
    return chunk.piece.char_start if isinstance(chunk, ProseChunk) else chunk.span.start


def _parse_run(run: list[PieceToken], chunks: list[Chunk], skipped: list[Piece]) -> None:
    template = _template(run)
    if template is not None:
        chunks.extend(_replay(template, run))
        return
    failed: list[Piece] = []

    def recover(error: UnexpectedInput) -> bool:
        token = getattr(error, "token", None)
        if isinstance(token, PieceToken) and len(failed) < len(run):
            failed.append(token.piece)
            return True
        return False  # the end of input, or no progress: nothing left to skip to

    try:
        result: list[Chunk] = _TRANSFORMER.transform(_parser().parse(iter(run), on_error=recover))
        chunks.extend(result)
    except UnexpectedInput:
        failed = [token.piece for token in run]  # keep all of it as prose
    seen: set[int] = set()
    for piece in failed:
        if piece.index not in seen:
            seen.add(piece.index)
            chunks.append(ProseChunk(piece))
            skipped.append(piece)
