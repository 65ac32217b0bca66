"""Invisible format characters (zero-width spaces and joiners, word joiner, soft hyphen, BOM) inside words.

They are invisible in an editor, so a reader sees "18" where the text holds "1", U+200D, "8". They are removed before
tokenising (:func:`strip_format`), and every span found in the stripped text is mapped back to the original text
(:func:`remap_spans`), so offsets still index the document the user gave.
"""

from __future__ import annotations

import re
from typing import Any

FORMAT_CHARS = frozenset("\u200b\u200c\u200d\u2060\u00ad\ufeff")
_FORMAT = re.compile("[" + "".join(sorted(FORMAT_CHARS)) + "]")


def has_format_chars(text: str) -> bool:
    return _FORMAT.search(text) is not None


def without_format_chars(text: str) -> str:
    return _FORMAT.sub("", text)


class PositionMap:
    """Offsets in the stripped text -> offsets in the original text (``base`` added)."""

    def __init__(self, original: str, base: int = 0) -> None:
        self.kept = [i + base for i, char in enumerate(original) if char not in FORMAT_CHARS]
        self.length = len(original) + base

    def start(self, offset: int) -> int:
        return self.kept[offset] if offset < len(self.kept) else self.length

    def end(self, offset: int) -> int:
        if offset <= 0:
            return self.start(0)
        return self.kept[offset - 1] + 1 if offset <= len(self.kept) else self.length


def strip_format(text: str, base: int = 0) -> tuple[str, PositionMap]:
    """The text without format characters, and the map of its offsets back to ``text`` (plus ``base``)."""
    return without_format_chars(text), PositionMap(text, base)


def remap_spans(data: Any, positions: PositionMap) -> Any:
    """A ``model_dump()`` tree with every span (a dict of exactly ``start`` and ``end``) mapped back."""
    if isinstance(data, dict):
        if data.keys() == {"start", "end"} and isinstance(data["start"], int) and isinstance(data["end"], int):
            start = positions.start(data["start"])
            end = start if data["end"] <= data["start"] else positions.end(data["end"])
            return {"start": start, "end": end}
        return {key: remap_spans(value, positions) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [remap_spans(item, positions) for item in data]
    return data
