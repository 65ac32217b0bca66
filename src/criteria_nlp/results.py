"""The result cache: the parsed document of a protocol (and its lint report) kept on disk, so that parsing or linting
an unchanged protocol again rebuilds the result from its JSON instead of loading spaCy and parsing.

An entry lives in the ``results`` folder of the start-up cache directory (:mod:`criteria_nlp.cache`: the same
``CRITERIA_NLP_CACHE`` setting names it or turns it off). Its name is a hash of everything the result is made from:
the protocol's bytes, the name it was read under (the document's ``source``), what was asked (a document, or a
document and its lint report) and :func:`fingerprint`, a hash of the package's code, grammars and data files and of
the versions of the libraries the parse goes through. A stale entry is therefore never read: it is simply not found.

An entry is a header line holding the SHA-256 of what follows, then one line of JSON per part (pydantic's own JSON
of the document, then of the report). An entry that does not match its hash or does not validate is ignored, and
rebuilt by the caller; a missing, read-only or full cache directory is silent (the result is computed as if there
were no cache). The folder is bounded: writing an entry removes the least recently used ones beyond
:data:`MAX_BYTES` (a hit marks its entry as used). An entry over :data:`MAX_ENTRY_BYTES` is not kept, nor the
document of a protocol over :data:`MAX_CACHED_INPUT` bytes (parsed as a stream, never held whole).

``parse --input-format jsonl`` keeps what it wrote instead (the output text in the format asked, and the problems
it reported about bad lines), under the kind ``parse-jsonl-<format>``: its input is one criterion a line, and an input
over :data:`MAX_CACHED_INPUT` bytes is streamed and not kept, as a protocol is. ``CRITERIA_NLP_RESULTS=off`` turns
this cache off and leaves the start-up caches on (for benchmarks that measure the parse itself).

Only ``pydantic`` and the IR are imported here: a hit costs no spaCy, pint, lark or terminology table.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from criteria_nlp import cache as disk_cache

if TYPE_CHECKING:
    from criteria_nlp.ir import CriteriaDocument
    from criteria_nlp.lint.model import LintedDocument

FOLDER = "results"
MAX_BYTES = 64 * 1024 * 1024
MAX_ENTRY_BYTES = 8 * 1024 * 1024
# a protocol larger than this is parsed as a stream and never held whole, so it is not kept
MAX_CACHED_INPUT = 512 * 1024
RESULTS_ENV = "CRITERIA_NLP_RESULTS"
_OFF = frozenset({"off", "0", "no", "false"})
# bump when the layout of an entry changes
_FORMAT = "result-1"
_MAGIC = b"criteria-nlp-result "
_SUFFIX = ".json"
_PACKAGE = Path(__file__).resolve().parent
# libraries whose version can change a parse or its JSON
_LIBRARIES = ("spacy", "lark", "pint", "pydantic", "pydantic_core", "ucumvert")
# folders of corpora/ that nothing parsing or linting reads: examples for users and tests
_NOT_PARSE_DATA = frozenset({"trials", "patients"})


@functools.cache
def fingerprint() -> str:
    """A hash of what a parse and a lint report are made from besides the protocol: the package's code (every
    module: a result is made by many), its grammars and data files, and the versions of the libraries it uses."""
    from criteria_nlp.resources import corpora_dir, grammars_dir

    corpora = corpora_dir()
    files = [
        *_PACKAGE.rglob("*.py"),
        *(path for path in grammars_dir().rglob("*") if path.is_file()),
        *(p for p in corpora.rglob("*") if p.is_file() and p.relative_to(corpora).parts[0] not in _NOT_PARSE_DATA),
    ]
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(path.parents[1])).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    for library in _LIBRARIES:
        digest.update(f"{library}={_version(library)}\0".encode())
    return digest.hexdigest()


def _version(library: str) -> str:
    try:
        return importlib.metadata.version(library)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def result_key(kind: str, data: bytes, source: str | None) -> str | None:
    """The name of the entry of ``kind`` ("parse", "lint") for the protocol ``data`` read as ``source``; None when
    the cache is turned off."""
    if _folder() is None:
        return None
    return disk_cache.key_of(_FORMAT, fingerprint(), kind, "\1" if source is None else f"\2{source}", data)


def _folder() -> Path | None:
    if os.environ.get(RESULTS_ENV, "").strip().lower() in _OFF:
        return None
    directory = disk_cache.cache_dir()
    return None if directory is None else directory / FOLDER


def read_parts(key: str) -> list[bytes] | None:
    """The parts of the entry ``key``, or None when it is missing, unreadable or damaged."""
    folder = _folder()
    if folder is None:
        return None
    path = folder / f"{key}{_SUFFIX}"
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    header, _, body = raw.partition(b"\n")
    if header != _MAGIC + hashlib.sha256(body).hexdigest().encode():
        return None
    with contextlib.suppress(OSError):  # a read-only folder: pruned by date of writing instead
        os.utime(path)  # used now: the last to be pruned
    return body.split(b"\n")


def write_parts(key: str, parts: list[bytes]) -> None:
    """Store ``parts`` (each without a line break) as the entry ``key``, atomically, then prune the folder; silent
    when the folder cannot be written."""
    folder = _folder()
    body = b"\n".join(parts)
    if folder is None or len(body) > MAX_ENTRY_BYTES or any(b"\n" in part for part in parts):
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".result-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(_MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
            os.replace(temporary, folder / f"{key}{_SUFFIX}")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return
    prune(folder, MAX_BYTES)


def prune(folder: Path, max_bytes: int) -> None:
    """Remove the least recently used entries of ``folder`` until the rest hold at most ``max_bytes``."""
    entries: list[tuple[float, int, Path]] = []
    for path in folder.glob(f"*{_SUFFIX}"):
        try:
            status = path.stat()
        except OSError:
            continue
        entries.append((status.st_mtime, status.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries, key=lambda entry: (entry[0], entry[2].name)):
        if total <= max_bytes:
            break
        try:
            path.unlink()
        except OSError:
            continue
        total -= size


def cached_document(key: str | None) -> CriteriaDocument | None:
    """The document stored under ``key`` by :func:`store_document`, or None."""
    parts = None if key is None else read_parts(key)
    if parts is None or len(parts) != 1:
        return None
    from criteria_nlp.ir import CriteriaDocument

    try:
        return CriteriaDocument.model_validate_json(parts[0])
    except ValueError:  # pydantic's ValidationError: an entry from another layout
        return None


def store_document(key: str | None, document: CriteriaDocument) -> None:
    if key is not None:
        write_parts(key, [document.model_dump_json().encode()])


def cached_lint(key: str | None, uri: str) -> LintedDocument | None:
    """The document and lint report stored under ``key`` by :func:`store_lint`, for the file ``uri``, or None."""
    parts = None if key is None else read_parts(key)
    if parts is None or len(parts) != 2:
        return None
    from criteria_nlp.ir import CriteriaDocument
    from criteria_nlp.lint.model import LintedDocument, LintReport

    try:
        document = CriteriaDocument.model_validate_json(parts[0])
        report = LintReport.model_validate_json(parts[1])
    except ValueError:
        return None
    return LintedDocument(document=document, report=report, uri=uri)


def store_lint(key: str | None, linted: LintedDocument) -> None:
    if key is not None:
        write_parts(key, [linted.document.model_dump_json().encode(), linted.report.model_dump_json().encode()])


def cached_output(key: str | None) -> tuple[str, list[str]] | None:
    """The output text and the problems stored under ``key`` by :func:`store_output`, or None."""
    parts = None if key is None else read_parts(key)
    if parts is None or len(parts) != 2:
        return None
    try:
        text, problems = json.loads(parts[0]), json.loads(parts[1])
    except ValueError:
        return None
    if not isinstance(text, str) or not isinstance(problems, list) or not all(isinstance(p, str) for p in problems):
        return None
    return text, problems


def store_output(key: str | None, text: str, problems: list[str]) -> None:
    if key is not None:
        write_parts(key, [json.dumps(text).encode(), json.dumps(problems).encode()])
