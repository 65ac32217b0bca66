"""``--watch``: run a command again each time one of its files changes, in the same process.

For the protocol author who edits and saves: an edited protocol is not in the result cache, so a new command would
load spaCy and the parser again (about a second); the watching process keeps them loaded and re-lints in tens of
milliseconds. Files are polled (their modification time, size and inode, every ``interval`` seconds: no dependency,
and editors that save by writing a new file and renaming it are seen too). Ctrl-C stops watching with status 0.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import click

FileState = tuple[int, int, int] | None


def file_state(path: Path) -> FileState:
    """What tells that ``path`` changed (None while it is missing: an editor between removing and writing it)."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size, status.st_ino


def changed_files(files: Sequence[Path], states: dict[Path, FileState]) -> list[Path]:
    """The files whose state differs from ``states`` and which exist (``states`` is updated for them)."""
    changed: list[Path] = []
    for file in files:
        state = file_state(file)
        if state != states.get(file) and state is not None:
            states[file] = state
            changed.append(file)
    return changed


def watch(
    files: Sequence[Path],
    run: Callable[[list[Path]], None],
    *,
    interval: float = 0.2,
    max_runs: int | None = None,
) -> int:
    """Call ``run`` with every file now, then with the files that changed each time some do, until ``max_runs``
    runs were made (None: until Ctrl-C); returns the number of runs."""
    states = {file: file_state(file) for file in files}
    runs = 0
    with _interruptible():
        try:
            run(list(files))
            runs += 1
            while max_runs is None or runs < max_runs:
                time.sleep(interval)
                changed = changed_files(files, states)
                if changed:
                    run(changed)
                    runs += 1
        except KeyboardInterrupt:
            click.echo("stopped watching", err=True)
    return runs


class _interruptible:
    """Ctrl-C raises KeyboardInterrupt while watching (the command line's handler exits with status 130: stopping a
    watch is the normal way to end it, not a failure). Only the main thread can set a signal handler."""

    def __enter__(self) -> None:
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, signal.default_int_handler)

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def elapsed_ms(start: float) -> str:
    return f"{(time.perf_counter() - start) * 1000:.0f} ms"
