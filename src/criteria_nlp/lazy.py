"""Names a package exports but loads on first use (a module ``__getattr__``, PEP 562), so that importing the package
does not import spaCy, pint or the linter's rules until a command needs them."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, names: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: ``names`` maps each exported name to the module that defines it; the value
    is imported on first use and kept in ``namespace`` (the package's globals), so the next use is a plain lookup."""

    def __getattr__(name: str) -> Any:
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
