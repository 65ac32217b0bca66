"""What :func:`~criteria_nlp.knowledge.units.ucum.from_ucum` answered for each UCUM code, kept in the start-up disk
cache (:mod:`criteria_nlp.cache`), so that a process reads the codes it meets without building ucumvert's registry.

Building that registry (ucumvert's grammar and its pint definitions) took ~1.8 s of every ``screen`` process that
read a FHIR quantity, for the few dozen distinct codes a data set holds. Each answer is computed once, the first time
a code is met, and added to the entry; later processes read it. The entry holds answers only (a canonical spelling,
or the message and suggestions of the :class:`~criteria_nlp.errors.UnknownUnitError`), and its key is a hash of
everything an answer depends on: the unit data files (``corpora/units/``), the code of the units package, and the
versions of pint and ucumvert. A missing, corrupt, read-only or turned-off cache (``CRITERIA_NLP_CACHE=off``) only
means computing the answers again: a malformed entry or answer is never used.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from criteria_nlp import cache as disk_cache
from criteria_nlp.resources import corpus_path

ENTRY = "ucum-codes"
# an answer: ("unit", canonical spelling, ()) or ("error", message, suggestions)
Answer = tuple[str, str, tuple[str, ...]]

_UNITS_CODE = Path(__file__).resolve().parent
# the answers of this process: those read from the entry and those computed here
_answers: dict[str, Answer] = {}
_loaded = False


def _library_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


@cache
def entry_key() -> str:
    """The key of the entry: the unit data, the units package's code and the libraries' versions."""
    digest = hashlib.sha256()
    data = sorted(path for path in corpus_path("units").rglob("*") if path.is_file())
    for path in [*data, *sorted(_UNITS_CODE.glob("*.py"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return disk_cache.key_of(_library_version("pint"), _library_version("ucumvert"), digest.hexdigest())


def _valid(answer: Any) -> Answer | None:
    """A stored answer checked for its shape (anything else reads as missing)."""
    if not isinstance(answer, list) or len(answer) != 3 or answer[0] not in ("unit", "error"):
        return None
    kind, text, suggestions = answer
    if not isinstance(text, str) or not isinstance(suggestions, list):
        return None
    if not all(isinstance(item, str) for item in suggestions) or (kind == "unit" and suggestions):
        return None
    return (kind, text, tuple(suggestions))


def _stored() -> dict[str, Answer]:
    """The entry's answers (empty when there is none or it is corrupt)."""
    entry = disk_cache.read_json(ENTRY, entry_key())
    if not isinstance(entry, dict):
        return {}
    answers = {}
    for code, answer in entry.items():
        checked = _valid(answer)
        if isinstance(code, str) and checked is not None:
            answers[code] = checked
    return answers


def remembered(code: str) -> Answer | None:
    """The answer for ``code`` computed by this or an earlier process, or None."""
    global _loaded
    if not _loaded:
        _loaded = True
        _answers.update(_stored())
    return _answers.get(code)


def remember(code: str, answer: Answer) -> None:
    """Keep ``answer`` for this process and add it to the entry (merged with what other processes added since)."""
    _answers[code] = answer
    merged = {**_stored(), **_answers}
    disk_cache.write_json(ENTRY, entry_key(), {key: list(value) for key, value in sorted(merged.items())})


def forget() -> None:
    """Drop this process's answers (tests: the next lookup reads the entry again)."""
    global _loaded
    _answers.clear()
    _loaded = False
