"""Split a protocol's eligibility text into single criteria with exact character offsets.

The input is the free text of a ClinicalTrials.gov "Eligibility Criteria" field or something like it: section
headers ("Inclusion Criteria:", "Subjects will be excluded if..."), numbered or bulleted items, items wrapped over
several lines, sub-lists under a lead-in ("... as defined by the following:"), or plain one-criterion-a-line text.

Rules, in the order they are applied to each line:

* A blank line only stops a wrapped item: the next line never continues across it.
* A header line ("Inclusion Criteria", "Key exclusion criteria:", "Patients are not eligible if any of the
  following apply:") switches the section and is not a criterion; text after a header's colon on the same line
  ("Inclusion Criteria: Age >= 18") is one. "Eligibility criteria" and "... are eligible if" count as inclusion;
  a mixed "Inclusion/exclusion criteria" header sets the section to "unknown". A header run into a line ("Age ≥ 18.
  Exclusion Criteria: pregnancy") splits it: the part before stays in the section it was in, the header switches.
* A line without a label that is indented deeper than the first line of the item before it (and that item does not
  end with ":") continues that item: the segment then spans both lines, newline included.
* An item followed by a deeper-indented item, or an item ending with ":" followed by an item in another list
  style, is a lead-in: it is not emitted itself, its sub-items carry it in ``lead_in`` and get the label
  ``"<parent>.<own>"`` ("3.a").
* Anything else is a new item. Siblings are found by list style (``1.`` / ``a)`` / ``(ii)`` / ``-`` ...) and
  indentation, so a flat "1. ... a. ... b. ... 2. ..." list still nests correctly after a lead-in.

Each line is looked at a constant number of times with anchored, bounded regular expressions and the nesting depth
is capped, so the whole pass is linear in the input length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from criteria_nlp.text.headers import classify_header, inline_header_starts

Section = Literal["inclusion", "exclusion", "unknown"]

__all__ = ["HeaderNote", "Segment", "segment", "segment_with_notes"]


@dataclass(frozen=True, slots=True)
class Segment:
    """One criterion: ``text == document[start:end]``, label and surrounding whitespace excluded."""

    section: Section
    label: str | None
    start: int
    end: int
    text: str
    lead_in: str | None


@dataclass(frozen=True, slots=True)
class HeaderNote:
    """A line that looks like a section header but names no section the segmenter knows ("Key criteria:").

    The criteria under it get the section "unknown", which the screening engine never decides on."""

    start: int
    end: int
    text: str


_TAB_WIDTH = 4
_MAX_DEPTH = 8
_MAX_SENTENCE_HEADER = 300
_MAX_HEADER_QUALIFIER = 60

# A line break with all the whitespace after it: runs of blank lines cost one regex step (the next line's
# indentation is given back by looking for the last break inside the match).
_LINE_BREAK = re.compile(r"[\r\n]\s*")
_LEADING_SPACE = re.compile(r"[^\S\r\n]*")
_EXTRA_SPACE = frozenset("\ufeff\u200b")

# Bullets that are never the start of ordinary text may be glued to the text ("•Age"); the others need a space.
_GLUED_BULLETS = "•·▪▫►▸‣⁃●○◦■□➢➤✓✔☐\uf0b7\uf0a7\uf0d8\uf076\uf0fc"
_SPACED_BULLETS = "-–—*+o"
_LABEL = re.compile(
    r"\((?P<paren>\d{1,3}|[A-Za-z]|[ivxIVX]{2,6})\)"
    r"|(?P<num>\d{1,3})(?P<num_punct>[.)])(?=\s|[^\W\d_]|$)"
    r"|(?P<roman>[ivx]{2,6}|[IVX]{2,6})(?P<roman_punct>[.)])(?=\s|$)"
    r"|(?P<alpha>[A-Za-z])(?P<alpha_punct>[.)])(?=\s|$)"
    rf"|(?P<glued>[{_GLUED_BULLETS}])"
    rf"|(?P<spaced>[{_SPACED_BULLETS}])(?=\s)"
)
_ROMAN = re.compile(r"x{0,3}(?:ix|iv|v?i{0,3})", re.IGNORECASE)
_DIGIT_AFTER_SPACE = re.compile(r"\s+\d")

_QUALIFIER = (
    r"(?:key|main|major|general|additional|specific|other|principal|primary|secondary|basic|important|selection"
    r"|patient|subject|participant|study|clinical)"
)
_CORE_HEADER = re.compile(
    r"[#*_=\s]*"
    rf"(?:{_QUALIFIER}\s+){{0,2}}"
    r"(?:criteria\s+(?:for|of)\s+)?"
    r"(?P<kind>inclusion\s*(?:/|&|and|or)\s*exclusion|exclusion\s*(?:/|&|and|or)\s*inclusion"
    r"|non[-\s]?inclusion|inclusion(?:s|ary)?|exclusion(?:s|ary)?|(?:in)?eligibility)"
    r"(?P<criteria>\s+(?:criterias?|criterion|criterium|requirements|conditions))?"
    r"[*_]*",
    re.IGNORECASE,
)
_HEADER_TRAILER = frozenset(":.-–—*_=# \t：")

_SENTENCE_KEYWORD = re.compile(
    r"\b(?:eligib\w*|ineligib\w*|include[ds]?|(?:inclusion|exclusion)\s+criteri\w*|enrol+(?:ed|ment|s)?|exclude[ds]?"
    r"|disqualif\w*|participat(?:e|ion)|entry|entered)\b",
    re.IGNORECASE,
)
_SENTENCE_ENDINGS = (":", "：", "...", "…", " if", " following")
_FOLLOWING_ENDINGS = (" apply", " applies", " is applicable", " are applicable")
_NEGATIVE = re.compile(
    r"\b(?:exclu(?:de[ds]?|sion)|disqualif\w*|ineligib\w*|none\s+of"
    r"|not\s+(?:be\s+)?(?:eligible|included|enrolled|entered|allowed|permitted|participate)"
    r"|(?:must|may|will|shall|should|can|do|does)\s*not|cannot|won't|can't|don't|doesn't)\b",
    re.IGNORECASE,
)
_LEAD_IN_END = frozenset(":：")


@dataclass(slots=True)
class _Level:
    """One open list: where its markers sit, what they look like, and whose sub-list it is."""

    indent: int
    style: str
    last_label: str | None
    parent_path: str | None
    lead_in: str | None


@dataclass(slots=True)
class _Item:
    """The item being read; it is emitted once the next item shows it is not a lead-in."""

    start: int
    end: int
    indent: int
    style: str
    path: str | None
    lead_in: str | None
    section: Section


@dataclass(frozen=True, slots=True)
class _Marker:
    style: str
    label: str | None
    end: int  # offset just after the marker, relative to the content start


def segment(text: str) -> list[Segment]:
    """Split eligibility text into criteria; see the module docstring for the rules."""
    return _Segmenter(text).run()


def segment_with_notes(text: str) -> tuple[list[Segment], list[HeaderNote]]:
    """:func:`segment`, and the header-like lines it did not recognise."""
    segmenter = _Segmenter(text)
    return segmenter.run(), segmenter.notes


class _Segmenter:
    def __init__(self, document: str) -> None:
        self.document = document
        self.section: Section = "unknown"
        self.levels: list[_Level] = []
        self.pending: _Item | None = None
        self.after_blank = False
        self.segments: list[Segment] = []
        self.notes: list[HeaderNote] = []

    def run(self) -> list[Segment]:
        position = 0
        document = self.document
        for match in _LINE_BREAK.finditer(document):
            start, end = match.span()
            self._line(position, start)
            last_break = max(document.rfind("\n", start, end), document.rfind("\r", start, end))
            first_break = 2 if document.startswith("\r\n", start) else 1
            if last_break >= start + first_break:
                self.after_blank = True
            position = last_break + 1
        self._line(position, len(self.document))
        self._flush()
        return self.segments

    # -- one line ---------------------------------------------------------------------------------------------

    def _line(self, line_start: int, line_end: int) -> None:
        document = self.document
        content_start = self._skip_space(line_start, line_end)
        content_end = line_end
        while content_end > content_start and _is_space(document[content_end - 1]):
            content_end -= 1
        if content_start == content_end:
            self.after_blank = True
            return
        indent = self._column(line_start, content_start)
        # the marker depends only on the document and the open levels, which a line that is no header leaves alone
        marker = self._marker(content_start, content_end)
        body_start = content_start if marker is None else content_start + marker.end
        for split in inline_header_starts(document[body_start:content_end]):
            piece_end = body_start + split
            while _is_space(document[piece_end - 1]):
                piece_end -= 1
            self._piece(content_start, piece_end, indent, marker)
            content_start = body_start + split
            marker = self._marker(content_start, content_end)
        self._piece(content_start, content_end, indent, marker)

    def _piece(self, content_start: int, content_end: int, indent: int, marker: _Marker | None) -> None:
        """A line, or the part of it before or from a header run into it."""
        if self._header(content_start, content_end, indent, marker) or self._fuzzy_header(
            content_start, content_end, indent, marker
        ):
            return
        if marker is None:
            if self._continues_pending(indent):
                self.pending.end = content_end  # type: ignore[union-attr]
                return
            if self._sentence_header(content_start, content_end):
                return
        self._item(content_start, content_end, indent, marker)

    def _continues_pending(self, indent: int) -> bool:
        pending = self.pending
        return (
            pending is not None
            and pending.start < pending.end
            and not self.after_blank
            and indent > pending.indent
            and not self._ends_lead_in(pending)
        )

    def _item(self, content_start: int, content_end: int, indent: int, marker: _Marker | None) -> None:
        pending = self.pending
        if marker is None and pending is not None:
            if pending.start == pending.end:  # the previous line held only a label: this line is its text
                pending.start, pending.end = content_start, content_end
                self.after_blank = False
                return
            if self._continues_pending(indent):
                pending.end = content_end
                return
        self.after_blank = False
        style = marker.style if marker is not None else ""
        label = marker.label if marker is not None else None
        text_start = content_start if marker is None else self._skip_space(content_start + marker.end, content_end)
        level = self._place(indent, style, label)
        path = label if level.parent_path is None or label is None else f"{level.parent_path}.{label}"
        level.last_label = label
        self.pending = _Item(text_start, content_end, indent, style, path, level.lead_in, self.section)

    def _place(self, indent: int, style: str, label: str | None) -> _Level:
        """The list level the new item belongs to, opening or closing sub-lists on the way."""
        pending = self.pending
        levels = self.levels
        if pending is not None and pending.start < pending.end and len(levels) < _MAX_DEPTH:
            lead_in_colon = self._ends_lead_in(pending)
            deeper = indent > pending.indent and (style != "" or lead_in_colon)
            if deeper or (style != pending.style and lead_in_colon):
                lead_in = self.document[pending.start : pending.end]
                self.pending = None  # a lead-in is not a criterion
                level = _Level(indent, style, None, pending.path, lead_in)
                levels.append(level)
                return level
        self._flush()
        while levels and levels[-1].indent > indent:
            levels.pop()
        for depth in range(len(levels) - 1, -1, -1):
            if levels[depth].style == style:
                del levels[depth + 1 :]
                return levels[depth]
        if levels and levels[-1].indent == indent:
            replaced = levels.pop()
            level = _Level(indent, style, None, replaced.parent_path, replaced.lead_in)
        elif levels:
            level = _Level(indent, style, None, levels[-1].parent_path, levels[-1].lead_in)
        else:
            level = _Level(indent, style, None, None, None)
        if len(levels) >= _MAX_DEPTH:
            levels.pop()
        levels.append(level)
        return level

    def _flush(self) -> None:
        pending = self.pending
        self.pending = None
        if pending is None or pending.start == pending.end:
            return
        self.segments.append(
            Segment(
                section=pending.section,
                label=pending.path,
                start=pending.start,
                end=pending.end,
                text=self.document[pending.start : pending.end],
                lead_in=pending.lead_in,
            )
        )

    # -- headers ----------------------------------------------------------------------------------------------

    def _header(self, content_start: int, content_end: int, indent: int, marker: _Marker | None) -> bool:
        """Handle a section header line ("Inclusion Criteria:", "1. Exclusion criteria"); False if it is none."""
        document = self.document
        header_start = content_start
        if marker is not None:
            header_start = self._skip_space(content_start + marker.end, content_end)
        match = _CORE_HEADER.match(document, header_start, content_end)
        if match is None:
            return False
        rest = match.end()
        scan = self._skip_space(rest, content_end)
        inline_start: int | None = None
        if scan == content_end or all(char in _HEADER_TRAILER for char in document[scan:content_end]):
            pass
        elif document[scan] in ":：":
            inline_start = scan + 1
        elif match.group("criteria"):
            window_end = min(content_end, scan + _MAX_HEADER_QUALIFIER)
            colon = _find_colon(document, scan, window_end)
            if colon >= 0:
                inline_start = colon + 1
            elif not (content_end - scan <= 40 and (document[scan] in "(-–—" or document.startswith("for ", scan))):
                return False
        else:
            return False
        self._flush()
        self.levels.clear()
        self.after_blank = False
        self.section = _section_of(match.group("kind"))
        if inline_start is not None:
            inline_start = self._skip_space(inline_start, content_end)
            if inline_start < content_end:
                self._item(inline_start, content_end, indent, self._marker(inline_start, content_end))
        return True

    def _fuzzy_header(self, content_start: int, content_end: int, indent: int, marker: _Marker | None) -> bool:
        """A header the exact pattern misses (see :mod:`criteria_nlp.text.headers`); an unrecognised one opens the
        section "unknown" and is noted."""
        document = self.document
        head_start = content_start if marker is None else self._skip_space(content_start + marker.end, content_end)
        colon = _find_colon(document, head_start, content_end)
        head_end = content_end if colon < 0 else colon + 1
        kind = classify_header(document[head_start:head_end])
        if kind is None or (marker is not None and kind == "unrecognised"):
            return False
        self._flush()
        self.levels.clear()
        self.after_blank = False
        if kind == "unrecognised":
            self.section = "unknown"
            self.notes.append(HeaderNote(head_start, head_end, document[head_start:head_end]))
        else:
            self.section = kind
        inline_start = self._skip_space(head_end, content_end)
        if colon >= 0 and inline_start < content_end:
            self._item(inline_start, content_end, indent, self._marker(inline_start, content_end))
        return True

    def _sentence_header(self, content_start: int, content_end: int) -> bool:
        """A sentence such as "Subjects will be excluded if any of the following apply:"."""
        if content_end - content_start > _MAX_SENTENCE_HEADER:
            return False
        line = self.document[content_start:content_end]
        lowered = line.lower()
        ends_like_header = lowered.endswith(_SENTENCE_ENDINGS) or (
            lowered.endswith(_FOLLOWING_ENDINGS) and "following" in lowered
        )
        if not ends_like_header or _SENTENCE_KEYWORD.search(line) is None:
            return False
        self._flush()
        self.levels.clear()
        self.after_blank = False
        self.section = "exclusion" if _NEGATIVE.search(line) else "inclusion"
        if any(char.isdigit() for char in line):
            # a number in it is content ("Adequate organ function within 14 days prior to enrollment:"): the line
            # still opens its section, and stays as the lead-in of the items below (or as a criterion), never lost
            self._item(content_start, content_end, 0, None)
        return True

    # -- small helpers ----------------------------------------------------------------------------------------

    def _marker(self, content_start: int, content_end: int, *, bullets: bool = True) -> _Marker | None:
        """The list marker at the start of a line's content, or None; ``bullets=False`` accepts labels only."""
        match = _LABEL.match(self.document, content_start, content_end)
        if match is None:
            return None
        length = match.end() - content_start
        if match.group("glued") is not None or match.group("spaced") is not None:
            if not bullets:
                return None
            bullet = match.group("glued") or match.group("spaced")
            # "* 1) Age ..." : a bullet in front of a number counts as one marker, labelled by the number
            label_start = self._skip_space(match.end(), content_end)
            inner = (
                self._marker(label_start, content_end, bullets=False)
                if label_start > match.end() or bullet in _GLUED_BULLETS
                else None
            )
            if inner is not None and inner.label is not None:
                return _Marker(f"bullet{bullet}{inner.style}", inner.label, label_start - content_start + inner.end)
            return _Marker(f"bullet{bullet}", None, length)
        if match.group("num") is not None:
            number = match.group("num")
            punct = match.group("num_punct")
            if punct == "." and not self._numbered_item_allowed(number, match.end(), content_end):
                return None
            return _Marker(f"n{punct}", number, length)
        if match.group("paren") is not None:
            label = match.group("paren")
            return _Marker(f"({_kind_of(label, self.levels, '(')})", label, length)
        label = match.group("roman") or match.group("alpha")
        punct = match.group("roman_punct") or match.group("alpha_punct")
        if match.group("roman") is not None and not _ROMAN.fullmatch(label):
            return None
        return _Marker(f"{_kind_of(label, self.levels, punct)}{punct}", label, length)

    def _numbered_item_allowed(self, number: str, after: int, content_end: int) -> bool:
        """ "2. 5 x ULN" is a broken decimal unless it continues a "1." list."""
        if _DIGIT_AFTER_SPACE.match(self.document, after, content_end) is None:
            return True
        value = int(number)
        if value == 1:
            return True
        for level in self.levels:
            last = level.last_label
            if level.style == "n." and last is not None and last.isdigit() and int(last) + 1 == value:
                return True
        return False

    def _ends_lead_in(self, item: _Item) -> bool:
        return item.end > item.start and self.document[item.end - 1] in _LEAD_IN_END

    def _skip_space(self, start: int, end: int) -> int:
        document = self.document
        position = _LEADING_SPACE.match(document, start, end).end()  # type: ignore[union-attr]
        while position < end and _is_space(document[position]):
            position = _LEADING_SPACE.match(document, position + 1, end).end()  # type: ignore[union-attr]
        return position

    def _column(self, line_start: int, content_start: int) -> int:
        if self.document.find("\t", line_start, content_start) < 0:
            return content_start - line_start
        column = 0
        for char in self.document[line_start:content_start]:
            column = (column // _TAB_WIDTH + 1) * _TAB_WIDTH if char == "\t" else column + 1
        return column


def _is_space(char: str) -> bool:
    return char.isspace() or char in _EXTRA_SPACE


def _find_colon(document: str, start: int, end: int) -> int:
    colon = document.find(":", start, end)
    wide = document.find("：", start, end)
    if colon < 0 or (0 <= wide < colon):
        return wide
    return colon


def _section_of(kind: str) -> Section:
    lowered = kind.lower()
    if "/" in lowered or "&" in lowered or " and " in lowered or " or " in lowered:
        return "unknown"
    if lowered.startswith(("exclu", "non", "inelig")):
        return "exclusion"
    return "inclusion"


_PREVIOUS_LETTER = {"i": "h", "v": "u", "x": "w"}
_PREVIOUS_ROMAN = {"v": "iv", "x": "ix"}


def _kind_of(label: str, levels: list[_Level], punct: str) -> str:
    """List style of a letter label: "alpha"/"ALPHA", "roman"/"ROMAN", or "num" inside parentheses.

    "i", "v" and "x" are letters when they continue an "h", "u", "w" list; "i" starts a roman list otherwise and
    "v"/"x" continue one only after "iv"/"ix".
    """
    if label.isdigit():
        return "num"
    case = "upper" if label.isupper() else "lower"
    alpha = "ALPHA" if case == "upper" else "alpha"
    roman = "ROMAN" if case == "upper" else "roman"
    if len(label) > 1:
        return roman
    lowered = label.lower()
    if lowered not in _PREVIOUS_LETTER:
        return alpha
    for level in reversed(levels):
        last = (level.last_label or "").lower()
        if level.style in (f"{alpha}{punct}", f"({alpha})") and last == _PREVIOUS_LETTER[lowered]:
            return alpha
        if (level.style == f"{roman}{punct}" or level.style == f"({roman})") and last == _PREVIOUS_ROMAN.get(lowered):
            return roman
    return roman if lowered == "i" else alpha
