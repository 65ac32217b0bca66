"""The spaCy pipeline's built state kept in the start-up disk cache (:mod:`criteria_nlp.cache`).

Initialising the components (tokenising ~4,000 lexicon and cue phrases for the phrase matchers, and whatever a
later component reads) is a third of a command's start-up. This module keeps what the components hold after
:func:`~criteria_nlp.text.nlp.build_pipeline` initialised them, through spaCy's own serialisation methods
(``to_bytes`` / ``from_bytes``), and restores it in the next process instead of initialising again.

Generic on purpose: every component of the pipeline that is not a plain function is stored, under its name. The
entry's key is a hash of every data file under ``corpora/`` a component could read (all but the example trials
and patients), the code of the ``text`` and ``knowledge`` packages that builds and tokenises the phrases, and the
versions of spaCy and of this package; any change gives another key, and the entry is built again. A component
without ``to_bytes`` / ``from_bytes`` turns the cache off for the pipeline (initialised every time: slower, never
wrong). A missing, corrupt or unwritable entry means initialising as if there were no cache.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from types import FunctionType
from typing import Any

from spacy.about import __version__ as spacy_version
from spacy.language import Language

from criteria_nlp import cache as disk_cache
from criteria_nlp.resources import corpora_dir

ENTRY = "pipeline"
_PACKAGE = Path(__file__).resolve().parents[1]
# folders of corpora/ that no pipeline component reads: examples for users and tests
_NOT_PIPELINE_DATA = frozenset({"trials", "patients"})


def pipeline_data_files() -> list[Path]:
    """Every data file a pipeline component could read (sorted, so that the key does not depend on the file
    system's order)."""
    root = corpora_dir()
    return sorted(
        path for path in root.rglob("*") if path.is_file() and path.relative_to(root).parts[0] not in _NOT_PIPELINE_DATA
    )


def pipeline_code_files() -> list[Path]:
    """The code that builds the components' state: the tokenizer rules and components (``text``) and the lexicon,
    cue and terminology readers (``knowledge``)."""
    return sorted([*(_PACKAGE / "text").glob("*.py"), *(_PACKAGE / "knowledge").rglob("*.py")])


def key_for(files: Iterable[Path]) -> str:
    """The entry key for a pipeline built from ``files`` (by content, not by date) with this spaCy."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return disk_cache.key_of(spacy_version, digest.hexdigest())


@cache
def pipeline_key() -> str:
    """The key of the bundled pipeline's entry in this process."""
    return key_for([*pipeline_data_files(), *pipeline_code_files()])


def _stateful(nlp: Language) -> list[tuple[str, Any]]:
    """The components that hold state (a component made from a plain function holds none)."""
    return [(name, component) for name, component in nlp.pipeline if not isinstance(component, FunctionType)]


def _cacheable(components: list[tuple[str, Any]]) -> bool:
    return all(hasattr(c, "to_bytes") and hasattr(c, "from_bytes") for _, c in components)


def restore_or_initialize(nlp: Language, initialize: Callable[[], None], key: str | None = None) -> bool:
    """Give ``nlp``'s components their state from the cache entry ``key`` (default: the bundled pipeline's), or
    call ``initialize`` and store the state it made. True when the state came from the cache."""
    components = _stateful(nlp)
    if not _cacheable(components):
        initialize()
        return False
    key = key or pipeline_key()
    stored = disk_cache.read_bytes(ENTRY, key)
    if stored is not None and _restore(components, stored):
        return True
    initialize()
    states = {name: base64.b64encode(component.to_bytes()).decode() for name, component in components}
    disk_cache.write_bytes(ENTRY, key, json.dumps(states).encode())
    return False


def _restore(components: list[tuple[str, Any]], stored: bytes) -> bool:
    """Each component's state from ``stored``; False when the entry does not fit the pipeline or is corrupt."""
    try:
        states = json.loads(stored)
        if not isinstance(states, dict) or list(states) != [name for name, _ in components]:
            return False
        for name, component in components:
            component.from_bytes(base64.b64decode(states[name], validate=True))
    # a corrupt entry may fail in any way json or a component's reader fails: the cache is only a shortcut,
    # and the caller initialises every component again (replacing what was restored before the failure)
    except Exception:
        return False
    return True
