"""Loading patients from files or parsed JSON, through the registry of readers.

:data:`READERS` lists every input format; :func:`load_patient` hands a document to the first reader that accepts it.
Malformed JSON, a document no reader accepts, or a resource that cannot be read at all raises
:class:`~criteria_nlp.errors.PatientDataError` naming the file (and the resource id).
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from criteria_nlp.errors import PatientDataError
from criteria_nlp.knowledge.lexicon import Lexicon, load_lexicon
from criteria_nlp.sources.fhir import FHIR_R4
from criteria_nlp.sources.own_json import OWN_JSON
from criteria_nlp.sources.patient import Patient
from criteria_nlp.sources.reader import SourceReader

# Every input format, asked in this order; a new source is one module and one entry here.
READERS: tuple[SourceReader, ...] = (FHIR_R4, OWN_JSON)


def load_patient(
    source: str | Path | Mapping[str, Any],
    *,
    validate: bool = False,
    strict: bool = False,
    lexicon: Lexicon | None = None,
) -> Patient:
    """Read one patient from a file path or an already-parsed JSON object.

    ``validate=True`` additionally validates FHIR input with fhir.resources (slow: about 0.2 s per bundle).
    ``strict=True`` raises :class:`PatientDataError` where the default records a warning.
    """
    name, data = _read_json(source)
    reader = reader_for(data, name)
    lex = lexicon if lexicon is not None else load_lexicon()
    return reader.read(data, source=name, strict=strict, validate=validate, lexicon=lex)


def load_patients(
    directory: str | Path,
    *,
    validate: bool = False,
    strict: bool = False,
    lexicon: Lexicon | None = None,
    on_error: Callable[[Path, str], None] | None = None,
) -> Iterator[Patient]:
    """Every patient in ``directory`` (``*.json``, sorted by name).

    Documents that describe no patient (Synthea's practitioner and hospital information bundles) are skipped. Any
    other unreadable file (malformed, not UTF-8, a dangling or looping link, a directory or FIFO named ``*.json``)
    raises :class:`PatientDataError`; with ``on_error`` it is reported there (path, reason) and the rest is read.
    A file that is not a regular file is never opened (a FIFO would block).
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise PatientDataError(f"{folder}: not a directory")
    lex = lexicon if lexicon is not None else load_lexicon()
    for path in patient_files(folder):
        try:
            patient = load_patient_file(path, validate=validate, strict=strict, lexicon=lex)
        except PatientDataError as error:
            if on_error is None:
                raise
            on_error(path, error.describe())
            continue
        if patient is not None:
            yield patient


def load_patient_file(path: Path, *, validate: bool, strict: bool, lexicon: Lexicon) -> Patient | None:
    """One file of a patient directory as :func:`load_patients` reads it (None for a document that describes no
    patient); an unreadable file raises :class:`PatientDataError`. ``screen DIR --jobs`` reads files one by one."""
    _require_regular(path)
    name, data = _read_json(path)
    reader = reader_for(data, name)
    if not reader.describes_patient(data):
        return None
    patient = reader.read(data, source=name, strict=strict, validate=validate, lexicon=lexicon)
    return patient.model_copy(update={"source": name})


def _require_regular(path: Path) -> None:
    """A regular file (links followed); anything else is an error that names what it is, without opening it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as error:
        raise PatientDataError(f"{path}: a dangling link or a file that vanished") from error
    except OSError as error:
        raise PatientDataError(f"{path}: cannot be read: {error.strerror or error}") from error
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
        raise PatientDataError(f"{path}: {kind}; skipped, not opened")


def patient_files(directory: str | Path) -> list[Path]:
    """The ``*.json`` files :func:`load_patients` would read (including skipped non-patient bundles)."""
    return sorted(Path(directory).glob("*.json"))


def reader_for(data: object, name: str) -> SourceReader:
    """The first reader in :data:`READERS` that accepts ``data``; none is an error naming ``name``."""
    for reader in READERS:
        if reader.accepts(data):
            return reader
    found = type(data).__name__
    raise PatientDataError(
        f"{name}: no patient reader accepts this JSON {found};",
        expected=[f"{reader.expected} [{reader.name}]" for reader in READERS],
    )


def _read_json(source: str | Path | Mapping[str, Any]) -> tuple[str, Any]:
    if isinstance(source, Mapping):
        return "<dict>", dict(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise PatientDataError(f"{path}: no such file") from error
    except (OSError, UnicodeDecodeError) as error:
        raise PatientDataError(f"{path}: cannot be read: {error}") from error
    try:
        return str(path), json.loads(text)
    except json.JSONDecodeError as error:
        raise PatientDataError(
            f"{path}: malformed JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from error
    except RecursionError as error:
        raise PatientDataError(f"{path}: JSON nested too deeply to be a patient") from error
    except ValueError as error:  # an integer of thousands of digits
        raise PatientDataError(f"{path}: JSON holds a number too long to read: {error}") from error
