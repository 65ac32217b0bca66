"""Recognise a population on disk and open it: :func:`read_population`.

What a path may be (tested in this order):

* a folder of FHIR Bulk Data NDJSON files (``Patient.ndjson``...; :mod:`criteria_nlp.population.ndjson`);
* an OMOP CDM 5.4 folder (``person`` and the clinical tables as CSV or Parquet) or a DuckDB database file holding
  them (:mod:`criteria_nlp.population.omop`);
* a folder of the long tables as Parquet files (``patients.parquet``...; :mod:`criteria_nlp.population.folder`);
* a folder of FHIR bundles or the library's own patient JSON (``*.json``, read file by file as
  :func:`criteria_nlp.sources.load_patients` reads them; :mod:`criteria_nlp.population.json_folder`).

Anything else is a :class:`PopulationFormatError` naming what was found and what was expected.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from criteria_nlp.errors import CriteriaInputError

if TYPE_CHECKING:
    from criteria_nlp.knowledge.lexicon import Lexicon
    from criteria_nlp.population.source import Population

EXPECTED = [
    "a folder of FHIR NDJSON files (Patient.ndjson, Observation.ndjson, ...)",
    "an OMOP CDM folder (person.csv or person.parquet, measurement, condition_occurrence, ...)",
    "a DuckDB database file holding the OMOP CDM tables",
    "a folder of population tables (patients.parquet, observations.parquet, ...)",
    "a folder of FHIR bundles or criteria_nlp patient JSON files (*.json)",
]
_DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")


class PopulationFormatError(CriteriaInputError):
    """A path that holds no population in a format :func:`read_population` reads."""


def read_population(
    path: str | Path,
    *,
    lexicon: Lexicon | None = None,
    on_error: Callable[[Path, str], None] | None = None,
) -> Population:
    """The population at ``path`` (see the module docstring for the formats).

    ``on_error(path, reason)`` is called for each bundle or patient file of a JSON folder that cannot be read (the
    rest is read), when the files are read (first use, not here); every reader also lists what it could not read in
    ``Population.problems``.
    """
    location = Path(path)
    if location.is_file():
        if location.suffix.lower() in _DUCKDB_SUFFIXES:
            from criteria_nlp.population.omop import OmopPopulation

            return OmopPopulation(location, lexicon=lexicon)
        raise PopulationFormatError(f"{location}: a file of type {location.suffix or '(none)'!r};", expected=EXPECTED)
    if not location.is_dir():
        raise PopulationFormatError(f"{location}: no such file or folder;", expected=EXPECTED)
    return _read_folder(location, lexicon, on_error)


def _read_folder(folder: Path, lexicon: Lexicon | None, on_error: Callable[[Path, str], None] | None) -> Population:
    from criteria_nlp.population.folder import ParquetTablesPopulation, table_files
    from criteria_nlp.population.ndjson import NdjsonPopulation, ndjson_files
    from criteria_nlp.population.omop import OmopPopulation, omop_files

    ndjson = ndjson_files(folder)
    if ndjson:
        if "Patient" not in ndjson:
            found = ", ".join(sorted(ndjson))
            raise PopulationFormatError(
                f"{folder}: FHIR NDJSON files of {found} but no Patient.ndjson;", expected=EXPECTED[:1]
            )
        return NdjsonPopulation(folder, lexicon=lexicon)
    omop = omop_files(folder)
    if omop:
        if "person" not in omop:
            found = ", ".join(sorted(omop))
            raise PopulationFormatError(f"{folder}: OMOP tables {found} but no person table;", expected=EXPECTED[1:2])
        return OmopPopulation(folder, lexicon=lexicon)
    if table_files(folder):
        return ParquetTablesPopulation(folder)
    if any(folder.glob("*.json")):
        return _json_folder(folder, lexicon, on_error)
    names = sorted(item.name for item in folder.iterdir())
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "") if names else "nothing"
    raise PopulationFormatError(f"{folder}: found {shown};", expected=EXPECTED)


def _json_folder(folder: Path, lexicon: Lexicon | None, on_error: Callable[[Path, str], None] | None) -> Population:
    from criteria_nlp.population.json_folder import JsonFolderPopulation

    return JsonFolderPopulation(folder, lexicon=lexicon, on_error=on_error)
