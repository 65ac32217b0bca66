"""Where the grammars and corpora live, in a source checkout and in an installed wheel alike.

The wheel carries ``grammars/`` and ``corpora/`` inside the package (``criteria_nlp/grammars``); a source checkout
keeps them at the repository root. Everything that reads a data file goes through these functions.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def _root_for(name: str) -> Path:
    inside = _PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    checkout = _PACKAGE_DIR.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"criteria_nlp data folder {name!r} not found next to the package or in the checkout")


def grammars_dir() -> Path:
    return _root_for("grammars")


def corpora_dir() -> Path:
    return _root_for("corpora")


def grammar_path(name: str) -> Path:
    return grammars_dir() / name


def corpus_path(*parts: str) -> Path:
    return corpora_dir().joinpath(*parts)


def shared_dir() -> Path | None:
    """The read-only ``../shared`` folder used by tests and benchmarks (``CRITERIA_NLP_SHARED`` overrides)."""
    env = os.environ.get("CRITERIA_NLP_SHARED")
    candidates = [Path(env)] if env else []
    candidates.append(_PACKAGE_DIR.parent.parent.parent / "shared")
    candidates.append(Path.cwd().parent / "shared")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    return None


def shared_chia_lines(shared: Path) -> list[tuple[str, str]]:
    """The Chia criteria of ``shared`` (``corpora/chia``), one (line, section) per non-empty line; [] when absent.

    Files ending in ``_exc`` hold exclusion criteria, the others inclusion criteria.
    """
    directory = shared / "corpora" / "chia"
    lines: list[tuple[str, str]] = []
    for path in sorted(directory.glob("*.txt")) if directory.is_dir() else []:
        section = "exclusion" if path.stem.endswith("_exc") else "inclusion"
        lines.extend((line, section) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return lines
