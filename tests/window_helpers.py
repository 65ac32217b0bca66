"""What the window-bound tests share: every time window of an IR tree's JSON, in document order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def json_windows(node: Any) -> Iterator[dict[str, Any]]:
    """The ``window`` objects of a node's JSON (``model_dump(mode="json")``), as the same dicts, so a caller may
    read them or change them in place."""
    if isinstance(node, dict):
        window = node.get("window")
        if isinstance(window, dict):
            yield window
        for value in node.values():
            yield from json_windows(value)
    elif isinstance(node, list):
        for value in node:
            yield from json_windows(value)
