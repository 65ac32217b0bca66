"""Importing spaCy for a command without spaCy's own command line.

``import spacy`` runs ``from .cli.info import info``, which imports spaCy's whole command-line package (typer,
weasel, httpx, jinja2, requests: ~15 % of a ``criteria-nlp parse`` or ``lint`` run) although no command here uses
it. :func:`import_spacy_without_its_cli` imports spaCy with two stand-ins in ``sys.modules`` for ``spacy.cli``
and ``spacy.cli.info``. They heal themselves: the first use of anything they do not hold (``spacy.info()``,
``spacy.cli.download``, ``from spacy.cli import train``) imports the real modules, puts them in place and answers
from them, so later code sees spaCy as usual. Should a spaCy release import more of its CLI at start-up than
the stand-ins answer, that use heals them too (nothing saved, nothing broken). The commands call this before
anything imports spaCy; the library never does (it does not touch a program's modules).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

_STAND_INS = ("spacy.cli.info", "spacy.cli")


class _StandIn(types.ModuleType):
    """A module standing in for one of spaCy's CLI modules until something asks it for what it does not hold."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system probing (__spec__, __file__ ...) does not heal
            raise AttributeError(name)
        return getattr(_real(self.__name__), name)


def _real(name: str) -> types.ModuleType:
    """The real module ``name`` (``spacy.cli`` or ``spacy.cli.info``), imported in place of both stand-ins; each
    stand-in then holds what its real module holds (references taken earlier keep working)."""
    stand_ins = {n: sys.modules[n] for n in _STAND_INS if isinstance(sys.modules.get(n), _StandIn)}
    for stand_in_name in stand_ins:
        del sys.modules[stand_in_name]
    for stand_in_name, stand_in in stand_ins.items():
        real = importlib.import_module(stand_in_name)
        stand_in.__dict__.update({k: v for k, v in real.__dict__.items() if k != "__getattr__"})
    return importlib.import_module(name)


def _info(*args: Any, **kwargs: Any) -> Any:
    """``spacy.info``: the real one, imported on first call."""
    return _real("spacy.cli.info").info(*args, **kwargs)


def import_spacy_without_its_cli() -> None:
    """Import spaCy with stand-ins for its CLI modules (see the module's docstring); nothing when spaCy is imported
    already or cannot be found."""
    if "spacy" in sys.modules or any(name in sys.modules for name in _STAND_INS):
        return
    spec = importlib.util.find_spec("spacy")  # a top-level name: found without importing it
    if spec is None or not spec.submodule_search_locations:
        return
    cli = _StandIn("spacy.cli")
    cli.__path__ = [f"{location}/cli" for location in spec.submodule_search_locations]
    info = _StandIn("spacy.cli.info")
    info.info = _info  # type: ignore[attr-defined]  # the one name spacy/__init__.py takes from it
    sys.modules["spacy.cli"], sys.modules["spacy.cli.info"] = cli, info
    try:
        # as the import system does for a submodule it imports: "import spacy.cli; spacy.cli.download" works
        importlib.import_module("spacy").cli = cli  # type: ignore[attr-defined]
    except ImportError:
        # a spaCy that imports its CLI differently at start-up: the stand-ins go, the real modules come
        for name in _STAND_INS:
            if isinstance(sys.modules.get(name), _StandIn):
                del sys.modules[name]
        importlib.import_module("spacy")
