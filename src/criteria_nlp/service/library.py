"""The trial library: protocol texts parsed once and kept in an embedded SQLite store.

A library is either a folder of protocol texts (``*.txt``; the file name without ``.txt`` is the trial id) or a
database file. A folder keeps its store in :data:`FOLDER_STORE` inside it and follows its files: at start-up a
changed or new file is parsed, an unchanged one is read back from the store, a deleted one is dropped. A database
file is managed with ``criteria-nlp trials add | list | remove``.

Each row is keyed by the trial id and holds the SHA-256 of the package version and the text, so a new version of
criteria_nlp parses everything again. The store holds protocol text and its parse only, never patient data.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from criteria_nlp import __version__
from criteria_nlp.errors import CriteriaInputError
from criteria_nlp.ir import CriteriaDocument

FOLDER_STORE = ".criteria-nlp-trials.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS trials (
    id TEXT PRIMARY KEY,
    text_hash TEXT NOT NULL,
    version TEXT NOT NULL,
    criteria INTEGER NOT NULL,
    text TEXT NOT NULL,
    document TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Trial:
    id: str
    document: CriteriaDocument

    @property
    def title(self) -> str:
        return self.id


@dataclass(frozen=True)
class TrialInfo:
    id: str
    criteria: int
    version: str
    text_hash: str


@dataclass(frozen=True)
class SyncReport:
    """What opening a library did: trials parsed (new or changed), read back unchanged, and dropped."""

    parsed: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


def text_hash(text: str) -> str:
    return hashlib.sha256(f"{__version__}\0{text}".encode()).hexdigest()


def trial_id_of(path: Path) -> str:
    return path.name.removesuffix(".txt")


class TrialLibrary:
    """A store of parsed protocols; :meth:`trials` loads them into memory once."""

    def __init__(self, database: Path, folder: Path | None = None) -> None:
        self.database = database
        self.folder = folder
        self._trials: dict[str, Trial] | None = None
        with self._connect() as connection:
            connection.execute(_SCHEMA)

    @classmethod
    def open(cls, location: Path) -> tuple[TrialLibrary, SyncReport]:
        """A folder (synchronised with its files) or a database file (created when missing)."""
        if location.is_dir():
            library = cls(location / FOLDER_STORE, folder=location)
            return library, library.sync_folder()
        if location.exists() and not location.is_file():
            raise CriteriaInputError(f"{location}: not a folder of protocol texts nor a library database")
        location.parent.mkdir(parents=True, exist_ok=True)
        return cls(location), SyncReport((), (), ())

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            connection = sqlite3.connect(self.database)
        except sqlite3.Error as error:
            raise CriteriaInputError(f"{self.database}: cannot open the trial library: {error}") from error
        with closing(connection), connection:
            yield connection

    def sync_folder(self) -> SyncReport:
        assert self.folder is not None
        files = {trial_id_of(path): path for path in sorted(self.folder.glob("*.txt")) if path.is_file()}
        parsed: list[str] = []
        unchanged: list[str] = []
        for trial_id, path in files.items():
            (parsed if self.add(trial_id, read_protocol(path)) else unchanged).append(trial_id)
        removed = [info.id for info in self.summaries() if info.id not in files]
        self.remove(removed)
        return SyncReport(tuple(parsed), tuple(unchanged), tuple(removed))

    def add(self, trial_id: str, text: str) -> bool:
        """Parse and store ``text`` unless the store already holds this text for this version; True if parsed."""
        digest = text_hash(text)
        with self._connect() as connection:
            row = connection.execute("SELECT text_hash FROM trials WHERE id = ?", (trial_id,)).fetchone()
        if row is not None and row[0] == digest:
            return False
        from criteria_nlp.pipeline import default_parser

        document = default_parser().parse(text, source=trial_id)
        with self._connect() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO trials (id, text_hash, version, criteria, text, document)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (trial_id, digest, __version__, len(document.criteria), text, document.model_dump_json()),
            )
        self._trials = None
        return True

    def remove(self, trial_ids: Iterable[str]) -> list[str]:
        """Drop these trials; returns the ids that were there."""
        removed: list[str] = []
        with self._connect() as connection:
            for trial_id in trial_ids:
                if connection.execute("DELETE FROM trials WHERE id = ?", (trial_id,)).rowcount:
                    removed.append(trial_id)
        self._trials = None
        return removed

    def summaries(self) -> list[TrialInfo]:
        with self._connect() as connection:
            rows = connection.execute("SELECT id, criteria, version, text_hash FROM trials ORDER BY id").fetchall()
        return [TrialInfo(id=row[0], criteria=row[1], version=row[2], text_hash=row[3]) for row in rows]

    def _loaded(self) -> dict[str, Trial]:
        if self._trials is None:
            with self._connect() as connection:
                rows = connection.execute("SELECT id, document FROM trials ORDER BY id").fetchall()
            self._trials = {row[0]: Trial(row[0], CriteriaDocument.model_validate_json(row[1])) for row in rows}
        return self._trials

    def trials(self) -> list[Trial]:
        """Every trial with its parsed document, ordered by id (read from the store once)."""
        return list(self._loaded().values())

    def get(self, trial_id: str) -> Trial | None:
        return self._loaded().get(trial_id)


def read_protocol(path: Path) -> str:
    from criteria_nlp.pipeline import decode_text

    try:
        data = path.read_bytes()
    except OSError as error:
        raise CriteriaInputError(f"{path}: cannot be read: {error}") from error
    return decode_text(data, source=str(path))
