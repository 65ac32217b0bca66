"""A disk cache for what costs seconds to build at start-up and depends only on data files and library versions.

It lives in the user cache directory (``platformdirs.user_cache_dir("criteria-nlp")``, e.g.
``~/.cache/criteria-nlp`` on Linux); ``CRITERIA_NLP_CACHE`` names another directory, and ``CRITERIA_NLP_CACHE=off``
turns the cache off. An entry's file name carries a hash of everything it was built from (the data, the package
version, the versions of the libraries that built it), so a stale entry is never read: it is simply not found, and
the entry is built again. The cache is only ever a shortcut: a missing, read-only or corrupt cache directory is
silent, and the caller builds what it needs as if there were no cache.

Installations: in the user cache directory each installation of the package (each directory it is installed or
checked out in) has a folder of its own, ``install-<hash of that path>``. Writing an entry removes the older entries
of the same name, so two checkouts of one version with different data files (two branches, an edited lexicon) would
otherwise remove each other's entries on every start. A folder whose installation no longer exists (its path is
recorded in the folder's ``origin`` file) is removed when another installation writes. A directory named by
``CRITERIA_NLP_CACHE`` is used as given: it belongs to one installation.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

CACHE_ENV = "CRITERIA_NLP_CACHE"
_OFF = frozenset({"off", "0", "no", "false", "none"})
# bump when the layout of an entry changes; old entries are then never read
_FORMAT = "1"
# the directory of this installation of the package: what the folders of the user cache directory are named by
_PACKAGE_DIR = Path(__file__).resolve().parent
_NAMESPACE_PREFIX = "install-"
_ORIGIN = "origin"


def cache_dir() -> Path | None:
    """The cache directory (not created here), or None when the cache is turned off."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return None if configured.strip().lower() in _OFF or not configured.strip() else Path(configured)
    return shared_cache_dir() / installation_namespace(_PACKAGE_DIR)


def shared_cache_dir() -> Path:
    """The user cache directory that every installation's folder is in."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("criteria-nlp", appauthor=False))


def installation_namespace(package_dir: Path) -> str:
    """The name of the folder of the installation in ``package_dir`` (a hash of its resolved path)."""
    return _NAMESPACE_PREFIX + hashlib.sha256(str(package_dir).encode()).hexdigest()[:16]


def key_of(*parts: str | bytes) -> str:
    """A hash of ``parts``, the package version and the cache format: the name of an entry built from them."""
    from criteria_nlp import __version__

    digest = hashlib.sha256(f"{_FORMAT}\0{__version__}".encode())
    for part in parts:
        digest.update(b"\0")
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()[:32]


def file_digest(path: Path) -> str:
    """The SHA-256 of a data file an entry is built from."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entry_path(name: str, key: str, suffix: str) -> Path | None:
    """Where the entry ``name`` with ``key`` lives, its directory created; None when there is no usable directory.

    For a library that reads and writes its own cache file (lark's grammar tables); JSON entries use
    :func:`read_json` / :func:`write_json`.
    """
    directory = cache_dir()
    if directory is None:
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if directory.name.startswith(_NAMESPACE_PREFIX) and os.environ.get(CACHE_ENV) is None:
        claim_namespace(directory, _PACKAGE_DIR)
    return directory / f"{name}-{key}{suffix}"


@functools.cache
def claim_namespace(directory: Path, package_dir: Path) -> None:
    """Record which installation ``directory`` belongs to, and remove the folders of installations that no longer
    exist (once a process; silent on failure). A folder without an ``origin`` file is never removed."""
    origin = directory / _ORIGIN
    try:
        if not origin.exists():
            origin.write_text(str(package_dir), encoding="utf-8")
    except OSError:
        pass
    for other in directory.parent.glob(f"{_NAMESPACE_PREFIX}*"):
        if other == directory:
            continue
        try:
            owner = Path((other / _ORIGIN).read_text(encoding="utf-8").strip())
        except (OSError, UnicodeDecodeError):
            continue
        if owner.is_absolute() and not owner.exists():
            shutil.rmtree(other, ignore_errors=True)


def read_json(name: str, key: str) -> Any | None:
    """The JSON entry ``name`` with ``key``, or None when it is missing, unreadable or corrupt."""
    data = read_bytes(name, key, ".json")
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        return None


def write_json(name: str, key: str, value: Any) -> None:
    """Store ``value`` as the JSON entry ``name`` with ``key`` (see :func:`write_bytes`)."""
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    write_bytes(name, key, data, ".json")


def read_bytes(name: str, key: str, suffix: str = ".bin") -> bytes | None:
    """The entry ``name`` with ``key``, or None when it is missing or unreadable (its content is the caller's to
    check: a corrupt entry must read as missing)."""
    directory = cache_dir()
    if directory is None:
        return None
    try:
        return (directory / f"{name}-{key}{suffix}").read_bytes()
    except OSError:
        return None


def write_bytes(name: str, key: str, data: bytes, suffix: str = ".bin") -> None:
    """Store ``data`` as the entry ``name`` with ``key`` (atomically: a reader never sees half a file) and remove
    the older entries of ``name``; silent when the directory cannot be written."""
    target = entry_path(name, key, suffix)
    if target is None:
        return
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        remove_stale(name, keep=target)
    except OSError:
        return


def remove_stale(name: str, keep: Path) -> None:
    """Remove the entries of ``name`` other than ``keep`` (built from older data); silent on failure."""
    for old in keep.parent.glob(f"{name}-*"):
        if old == keep or old.name.endswith(".tmp"):
            continue
        try:
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
        except OSError:
            continue
