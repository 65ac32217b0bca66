"""The terminology tables' loaded form on disk: read back in a tenth of the time it takes to parse the tables.

Parsing the gzip tables into dictionaries costs about a second and a half, on the first criterion that needs them.
What that produces (plain dictionaries, tuples and strings: see :class:`~criteria_nlp.knowledge.terminology.Tables`)
is written with :mod:`marshal` to the user cache directory (:func:`criteria_nlp.cache.cache_dir`, which honours
``CRITERIA_NLP_CACHE`` and ``CRITERIA_NLP_CACHE=off``) under a name that carries a hash of the table files, the
package version, this module's format and the Python version (marshal's format is Python's own). A changed table is
a new name: a stale entry is never read, and is removed when the new one is written. marshal rather than pickle:
reading an entry can build only data, never call code.

The cache is only a shortcut: a missing, read-only or unwritable directory, or a truncated, corrupt or foreign
entry, is silent and the tables are parsed as if there were no cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

NAME = "terminology-tables"
# bump when the layout of the stored value changes
_FORMAT = "1"
_SUFFIX = ".marshal"


def entry_key(sources: Sequence[Path]) -> str:
    """The hash of the files the tables are read from, the package version, the format and the Python version."""
    from criteria_nlp import __version__

    digest = hashlib.sha256(f"{_FORMAT}\0{__version__}\0{sys.version_info[:2]}".encode())
    for path in sources:
        digest.update(b"\0")
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def entry_file(sources: Sequence[Path]) -> Path | None:
    """Where the entry for ``sources`` lives (not created here); None when the cache is off."""
    from criteria_nlp.cache import cache_dir

    directory = cache_dir()
    return None if directory is None else directory / f"{NAME}-{entry_key(sources)}{_SUFFIX}"


def load_or_build(
    sources: Sequence[Path], build: Callable[[], object], valid: Callable[[object], bool]
) -> tuple[object, bool]:
    """The stored value for ``sources`` when there is a readable one that ``valid`` accepts, else ``build()`` (then
    stored for next time). Returns the value and whether it came from the cache."""
    target = entry_file(sources)
    if target is not None:
        stored = _read(target)
        if stored is not None and valid(stored):
            return stored, True
    value = build()
    if target is not None:
        _write(target, value)
    return value, False


def _read(target: Path) -> object | None:
    try:
        data = target.read_bytes()
    except OSError:
        return None
    try:
        value: object = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None  # truncated or not marshal data: built again
    return value


def _write(target: Path, value: object) -> None:
    """Store ``value`` atomically (a reader never sees half a file) and remove older entries; silent on failure."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{NAME}-", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                marshal.dump(value, file)  # type: ignore[arg-type]  # build() gives marshal-able data
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except (OSError, ValueError):
        return
    for old in target.parent.glob(f"{NAME}-*{_SUFFIX}"):
        if old != target:
            try:
                old.unlink()
            except OSError:
                continue


def load_or_build_keyed(
    name: str, key: str, build: Callable[[], object], valid: Callable[[object], bool]
) -> tuple[object, bool]:
    """Like :func:`load_or_build`, for a value whose sources the caller has hashed into ``key``: the entry ``name``
    of the start-up cache (:mod:`criteria_nlp.cache`), marshal data."""
    from criteria_nlp import cache as disk_cache

    data = disk_cache.read_bytes(name, key, _SUFFIX)
    if data is not None:
        try:
            value: object = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            value = None  # truncated or not marshal data: built again
        if value is not None and valid(value):
            return value, True
    value = build()
    with contextlib.suppress(ValueError):  # a value marshal cannot write is not stored
        disk_cache.write_bytes(name, key, marshal.dumps(value), _SUFFIX)  # type: ignore[arg-type]  # plain data
    return value, False
