"""Where requests compute: one thread per worker process, a bound on waiting requests, a time budget.

Parsing and evaluation are pure Python (the GIL lets one thread run at a time) and share the spaCy pipeline, so a
single computation thread costs no throughput and needs no locks; the event loop stays free to answer ``/health``
and to refuse work. More than ``max_pending`` requests waiting is answered 503; a computation that runs past the
time budget is answered 504 — matching also stops itself at the deadline, and a queued request whose client has
been answered is cancelled before it starts.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from criteria_nlp.service.matching import TimeBudgetExceeded

T = TypeVar("T")


class Overloaded(Exception):
    """Too many requests are waiting for the computation thread."""


class Compute:
    def __init__(self, *, time_budget_s: float, max_pending: int) -> None:
        self.time_budget_s = time_budget_s
        self.max_pending = max_pending
        self._pending = 0
        self._executor: ThreadPoolExecutor | None = None

    def deadline(self) -> float:
        """The :func:`time.monotonic` time by which a computation started now must end."""
        return time.monotonic() + self.time_budget_s

    async def run(self, function: Callable[..., T], *arguments: object) -> T:
        if self._pending >= self.max_pending:
            raise Overloaded(f"{self._pending} requests are waiting; try again shortly")
        self._pending += 1
        try:
            future = asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(function, *arguments))
            done, _ = await asyncio.wait({future}, timeout=self.time_budget_s)
            if not done:  # answer now; a computation already running ends on its own (matching at its deadline)
                future.cancel()
                raise TimeBudgetExceeded(f"the request took longer than its budget of {self.time_budget_s:g} s")
            return future.result()
        finally:
            self._pending -= 1

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
