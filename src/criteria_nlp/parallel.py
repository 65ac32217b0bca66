"""Work spread over processes, results in input order: ``parse --jobs N``, ``lint --jobs N``, ``screen DIR --jobs N``,
``screen POPULATION --engine python --jobs N`` and ``CriteriaParser.parse_many(..., workers=N)``.

Items go to the workers in chunks, and at most two chunks per worker are in flight, so a stream of any length is read
as it is consumed (memory stays flat) and results come back in the order the items came in. Where the operating
system can fork (Linux, macOS on request), the workers are forked from the calling process after it has built its
parser and warmed it (:func:`warm`): they share the pipeline, lexicon, grammar and terminology tables copy-on-write
instead of building them again. Elsewhere
each worker builds its own default parser once (spawned workers start like a new command: the disk cache helps).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from criteria_nlp.ir import Criterion, Section
    from criteria_nlp.pipeline import CriteriaParser

T = TypeVar("T")
R = TypeVar("R")

CHUNK_SIZE = 64
_IN_FLIGHT_PER_WORKER = 2

# the parser a worker uses: set before forking (shared copy-on-write) or built once by the spawned worker
_PARSER: CriteriaParser | None = None
# what every chunk of one map_ordered call needs besides its items (a protocol and its options): inherited by forked
# workers, pickled once per spawned worker, never sent with each chunk
_SHARED: Any = None


def available_cores() -> int:
    """The CPUs this process may run on (what ``--jobs 0`` means)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_parser() -> CriteriaParser:
    """The parser of this worker (the default parser when the worker was not forked from a process holding one)."""
    global _PARSER
    if _PARSER is None:
        from criteria_nlp.pipeline import default_parser

        _PARSER = default_parser()
    return _PARSER


def worker_shared() -> Any:
    """The ``shared`` value of the :func:`map_ordered` call this worker serves."""
    return _SHARED


def _share(value: Any) -> None:
    global _SHARED
    _SHARED = value


def map_ordered(
    function: Callable[[list[T]], list[R]],
    items: Iterable[T],
    *,
    workers: int,
    parser: CriteriaParser | None = None,
    chunk_size: int = CHUNK_SIZE,
    shared: Any = None,
) -> Iterator[R]:
    """``function`` over chunks of ``items`` in ``workers`` processes, each result in the order of the items.

    ``function`` must be a module-level function (it is sent to the workers by name); it reads the worker's parser
    with :func:`worker_parser` and ``shared`` (what every chunk needs besides its items, given to each worker once)
    with :func:`worker_shared`. An exception raised while reading ``items`` comes after the results of the items
    before it; an exception in a worker is raised where its chunk's results would have been.
    """
    global _PARSER
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    source = iter(items)
    pending: deque[Future[list[R]]] = deque()
    failure: Exception | None = None
    _PARSER = parser
    forking = context.get_start_method() == "fork"
    if forking and parser is not None:
        warm(parser)
    if forking:
        # what the parent built (pipeline, lexicon, grammar tables) is left out of the workers' collections: a
        # collection writes to every object it walks, which copies the page holding it into the worker
        gc.freeze()
    try:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_share, initargs=(shared,))
        with pool:
            try:
                while True:
                    while failure is None and len(pending) < workers * _IN_FLIGHT_PER_WORKER:
                        chunk, failure = _next_chunk(source, chunk_size)
                        if not chunk:
                            break
                        pending.append(pool.submit(function, chunk))
                    if not pending:
                        break
                    yield from pending.popleft().result()
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
    finally:
        _PARSER = None
        if forking:
            gc.unfreeze()
    if failure is not None:
        raise failure


# criteria whose parse reaches what a parser builds on its first use rather than when it is made: the terminology's
# tables, the unit registry, the readers' patterns (~1 s): built once before forking instead of once in each worker
_WARM_UP: tuple[tuple[str, str, Section], ...] = (
    ("warm-up-1", "Age from 18 to 65 years with hemoglobin >= 10 g/dL", "inclusion"),
    ("warm-up-2", "Active tuberculosis, HIV infection or creatinine > 2 x ULN", "exclusion"),
)


def warm(parser: CriteriaParser) -> None:
    """Parse a few criteria and forget them: what the parser builds on first use is then built in this process, and
    shared copy-on-write by the workers forked from it (their results are the same: only caches are filled)."""
    for _ in parser.parse_many(_WARM_UP):
        pass


def _next_chunk(source: Iterator[T], size: int) -> tuple[list[T], Exception | None]:
    """Up to ``size`` items, and the exception that stopped the reading early (the items before it are kept)."""
    chunk: list[T] = []
    try:
        for item in islice(source, size):
            chunk.append(item)
    except Exception as error:
        return chunk, error
    return chunk, None


def parse_chunk(records: list[tuple[str, str, Section]]) -> list[Criterion]:
    """One chunk of (id, text, section) records parsed by the worker's parser (in a worker process)."""
    return list(worker_parser().parse_many(records))
