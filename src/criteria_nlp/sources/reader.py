"""The one interface every patient data source implements; :data:`criteria_nlp.sources.load.READERS` lists them.

A reader turns one JSON document (already parsed) into one :class:`~criteria_nlp.sources.patient.Patient`.
:func:`~criteria_nlp.sources.load.load_patient` asks each reader in turn whether it ``accepts`` the document and
hands it to the first that does; a document no reader accepts is an error naming the file and every reader's
``expected``.
"""

from __future__ import annotations

from typing import Any, Protocol

from criteria_nlp.knowledge.lexicon import Lexicon
from criteria_nlp.sources.patient import Patient


class SourceReader(Protocol):
    """One input format.

    ``name``: short id ("fhir-r4"); ``expected``: what the format looks like, for the error shown when no reader
    accepts a document.
    """

    name: str
    expected: str

    def accepts(self, data: object) -> bool:
        """Whether ``data`` (any parsed JSON value) is in this format; cheap, looks only at the top level."""
        ...

    def describes_patient(self, data: Any) -> bool:
        """False for an accepted document that holds no patient (skipped by ``load_patients``, e.g. a FHIR bundle of
        practitioners), True otherwise."""
        ...

    def read(self, data: Any, *, source: str, strict: bool, validate: bool, lexicon: Lexicon) -> Patient:
        """The patient in an accepted document, checked (:func:`criteria_nlp.sources.check.check_patient`).

        ``source`` names the document in messages; ``strict`` makes warnings errors; ``validate`` runs the
        format's full schema validation where it has one (slow).
        """
        ...
