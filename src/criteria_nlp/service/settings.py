"""The service's options and limits, one frozen record passed to :func:`criteria_nlp.service.app.create_app`.

Worker processes (``--workers N``) are started by uvicorn from an import string, so the settings travel to them as
JSON in the environment variable :data:`ENVIRONMENT_VARIABLE`.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

ENVIRONMENT_VARIABLE = "CRITERIA_NLP_SERVICE_SETTINGS"
MEBIBYTE = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """``trials`` is a folder of protocol texts or a library database (see :mod:`.library`); None: no library.

    Limits: ``max_body_bytes`` (413 above it), ``max_text_chars`` (criteria text of one request),
    ``max_bundle_entries`` (entries of a patient Bundle, or records of the library's own patient JSON),
    ``time_budget_s`` (504 when a request's computation takes longer), ``max_pending`` (requests waiting for or
    holding the computation thread; 503 above it).
    """

    trials: Path | None = None
    max_body_bytes: int = 10 * MEBIBYTE
    max_text_chars: int = 100_000
    max_bundle_entries: int = 10_000
    time_budget_s: float = 30.0
    max_pending: int = 64

    def to_environment(self) -> str:
        data = asdict(self)
        data["trials"] = str(self.trials) if self.trials is not None else None
        return json.dumps(data)

    @classmethod
    def from_environment(cls) -> Settings:
        raw = os.environ.get(ENVIRONMENT_VARIABLE)
        if not raw:
            return cls()
        data = json.loads(raw)
        known = {field.name for field in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        if values.get("trials") is not None:
            values["trials"] = Path(values["trials"])
        return cls(**values)
