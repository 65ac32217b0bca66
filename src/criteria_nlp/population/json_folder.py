"""A folder of FHIR bundles or the library's own patient JSON (``*.json``) as a population, read when first needed.

Each file is read by :func:`criteria_nlp.sources.load.load_patient_file`, as ``screen DIR`` and
:func:`~criteria_nlp.sources.load_patients` read it; documents that describe no patient are skipped, and a file that
cannot be read is reported in ``problems`` (and to ``on_error``) while the rest is read. The DuckDB and Spark engines
get the long tables (every file read once, in this process); the Python engine's workers read the files of their
parts themselves (:class:`~criteria_nlp.population.source.ReadInParts`): reading a bundle costs more than
screening it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from criteria_nlp.population.tables import patients_to_tables

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from criteria_nlp.knowledge.lexicon import Lexicon
    from criteria_nlp.sources.patient import Patient

# how many rows of the long tables reading one file is worth, for the size of the Python engine's parts
_FILE_COST = 16


class JsonFolderPopulation:
    """The ``*.json`` patient files of a folder, in name order."""

    def __init__(
        self,
        folder: str | Path,
        *,
        lexicon: Lexicon | None = None,
        on_error: Callable[[Path, str], None] | None = None,
    ) -> None:
        from criteria_nlp.knowledge.lexicon import load_lexicon
        from criteria_nlp.sources.load import patient_files

        self.folder = Path(folder)
        self.name = str(folder)
        self.problems: list[str] = []
        self.lexicon = lexicon if lexicon is not None else load_lexicon()
        self.files = patient_files(self.folder)
        self._on_error = on_error
        self._reported: set[Path] = set()
        self._tables: dict[str, pa.Table] | None = None

    def _report(self, path: Path, reason: str) -> str:
        """A file that could not be read, reported once however often the files are read; the problem's text."""
        problem = reason if str(path) in reason else f"{path}: {reason}"
        if path not in self._reported:
            self._reported.add(path)
            if problem not in self.problems:  # a worker's problems are added by the engine
                self.problems.append(problem)
            if self._on_error is not None:
                self._on_error(path, reason)
        return problem

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        for table, rows in self.arrow().items():
            con.register(table, rows)

    def arrow(self) -> dict[str, pa.Table]:
        if self._tables is None:
            self._tables = patients_to_tables(self.patients())
        return dict(self._tables)

    def patients(self) -> Iterator[Patient]:
        for path in self.files:
            patients, problems = self._read([path])
            for problem_path, reason in problems:
                self._report(problem_path, reason)
            yield from patients

    def patient_parts(self, size: int) -> Iterator[list[Path]]:
        # a file costs as much to read as ~16 patients of the tables, and bundles differ in size (5x in Synthea):
        # small parts keep both workers busy to the end
        files = max(1, size // _FILE_COST)
        for start in range(0, len(self.files), files):
            yield self.files[start : start + files]

    def read_part(self, part: list[Path]) -> tuple[list[Patient], list[str]]:
        """The patients of the files ``part`` and the problems met (``on_error`` is called in the process that
        read the file: a worker's problems come back to the engine, which adds them to ``problems``)."""
        patients, problems = self._read(part)
        return patients, [self._report(path, reason) for path, reason in problems]

    def _read(self, paths: list[Path]) -> tuple[list[Patient], list[tuple[Path, str]]]:
        """The patients of ``paths`` and the files that could not be read, with the reason."""
        from criteria_nlp.errors import PatientDataError
        from criteria_nlp.sources.load import load_patient_file

        patients: list[Patient] = []
        problems: list[tuple[Path, str]] = []
        for path in paths:
            try:
                patient = load_patient_file(path, validate=False, strict=False, lexicon=self.lexicon)
            except PatientDataError as error:
                problems.append((path, error.describe()))
                continue
            if patient is not None:
                patients.append(patient)
        return patients, problems
