"""The parsing path, stage by stage: segment -> annotate (spaCy) -> parse (lark) -> build IR -> check.

:func:`parse_criteria` turns a protocol's eligibility text into a :class:`~criteria_nlp.ir.CriteriaDocument`;
:func:`parse_criterion` parses one criterion on its own (one line of JSONL input, a test case).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from pydantic import TypeAdapter
from spacy.tokens import Doc

from criteria_nlp.build.builder import Builder
from criteria_nlp.build.lead_ins import (
    LeadInRequirement,
    ListReading,
    ends_with_or,
    lead_in_requirement,
    lead_in_window,
    list_reading,
    with_requirement,
    with_window,
)
from criteria_nlp.check.passes import CheckContext, run_passes
from criteria_nlp.errors import CriteriaInputError
from criteria_nlp.grammar import parse_chunks, pieces_of
from criteria_nlp.ir import (
    All,
    Any_,
    AtLeast,
    Claim,
    CriteriaDocument,
    Criterion,
    Diagnostic,
    Node,
    Section,
    Span,
    Status,
    TemporalWindow,
    Unparsed,
    span_at,
    status_of,
)
from criteria_nlp.knowledge.lexicon import Lexicon, load_lexicon
from criteria_nlp.text.format_chars import FORMAT_CHARS, has_format_chars, remap_spans, strip_format
from criteria_nlp.text.nlp import annotate, default_pipeline
from criteria_nlp.text.segment import Segment, segment, segment_with_notes

MAX_CRITERION_CHARS = 5_000
MAX_RUN_CHARS = 200  # no word, number or unit is longer; spaCy's tokenizer is quadratic on such runs
_SECTION_PREFIX = {"inclusion": "inc", "exclusion": "exc", "unknown": "crit"}
# items parsed together by CriteriaParser.parse_lazily (the spaCy stage is cheaper on batches than one at a time)
_BATCH_ITEMS = 256


def decode_text(data: bytes, *, source: str | None = None) -> str:
    """Decode bytes as UTF-8 (with or without BOM); invalid bytes are a clear error naming the position."""
    try:
        return codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError as error:
        raise CriteriaInputError(
            f"{source or 'input'} is not valid UTF-8: byte {data[error.start]:#04x}",
            start=error.start,
            end=error.end,
            expected=["UTF-8 text"],
        ) from error


def _clean(text: str) -> str:
    """Control characters other than tab/newline become spaces (offsets stay the same); invisible format characters
    stay, to be removed before tokenising (:mod:`criteria_nlp.text.format_chars`)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in "\n\t\r" or ch in FORMAT_CHARS else " " for ch in text)


@dataclass(frozen=True)
class _Item:
    section: Section
    label: str | None
    start: int
    end: int
    lead_in: str | None


_LONG_RUN = re.compile(rf"\S{{{MAX_RUN_CHARS + 1}}}")


def _refusal(text: str) -> str | None:
    """Why a criterion is too long to parse, or None."""
    if len(text) > MAX_CRITERION_CHARS:
        return f"criterion longer than {MAX_CRITERION_CHARS} characters is not parsed"
    run = _LONG_RUN.search(text)
    if run is not None:
        return f"criterion holds a run of more than {MAX_RUN_CHARS} characters without a space; it is not parsed"
    return None


class CriteriaParser:
    """Holds the pipeline, lexicon and builder; reuse one instance for many documents.

    ``keep_claims``: fill :attr:`Criterion.claims` with the builder's ledger (which reader read which words, as
    what), which the linter reads; claims are not part of the JSON and do not take part in equality. Off by
    default: making them costs about a fifth of the parse, and only the linter reads them (``parse(...,
    claims=True)`` asks for them per call).
    """

    def __init__(self, lexicon: Lexicon | None = None, *, keep_claims: bool = False) -> None:
        self.keep_claims = keep_claims
        self.lexicon = lexicon or load_lexicon()
        self.nlp = default_pipeline() if lexicon is None else _pipeline_for(self.lexicon)
        self.builder = Builder(self.lexicon)

    def parse(self, text: str | bytes, *, source: str | None = None, claims: bool | None = None) -> CriteriaDocument:
        """The document of a protocol's eligibility text; ``claims`` (default: the parser's ``keep_claims``) fills
        each criterion's claims."""
        text, items, diagnostics = self._frame(text, source)
        criteria = self._document_criteria(text, items, self.keep_claims if claims is None else claims)
        return CriteriaDocument(text=text, source=source, criteria=tuple(criteria), diagnostics=diagnostics)

    def parse_lazily(
        self, text: str | bytes, *, source: str | None = None, claims: bool | None = None
    ) -> tuple[CriteriaDocument, Iterator[Criterion]]:
        """:meth:`parse` for large protocols: the document without its criteria (its text, source and diagnostics
        are known before any criterion is parsed) and its criteria, the same as :meth:`parse` gives, parsed a few
        hundred at a time as they are consumed, so that they need not all be held at once
        (:func:`criteria_nlp.ir.stream.write_document_json` writes them as they come)."""
        text, items, diagnostics = self._frame(text, source)
        frame = CriteriaDocument(text=text, source=source, criteria=(), diagnostics=diagnostics)
        return frame, self._criteria_in_batches(text, items, self.keep_claims if claims is None else claims)

    def _frame(self, text: str | bytes, source: str | None) -> tuple[str, list[_Item], tuple[Diagnostic, ...]]:
        """The cleaned text, its items (one a criterion) and the document's diagnostics."""
        if isinstance(text, bytes):
            text = decode_text(text, source=source)
        text = _clean(text)
        segments, notes = segment_with_notes(text)
        items = [_Item(s.section, s.label, s.start, s.end, s.lead_in) for s in segments]
        diagnostics = [
            Diagnostic(
                code="unknown-header",
                severity="warning",
                message=f"{note.text.strip()!r} looks like a section header but names no section (inclusion or "
                "exclusion); the criteria under it are in section 'unknown' and are never decided",
                span=Span(start=note.start, end=note.end),
            )
            for note in notes
        ]
        if not items:  # every item gives a criterion (joined lists give one each): no items, no criteria
            diagnostics.append(
                Diagnostic(
                    code="no-criteria",
                    severity="error",
                    message="the text holds no eligibility criteria",
                    span=Span(start=0, end=len(text)),
                )
            )
        return text, items, tuple(diagnostics)

    def _criteria_in_batches(self, text: str, items: Sequence[_Item], claims: bool) -> Iterator[Criterion]:
        """:meth:`_document_criteria` a batch of items at a time, each batch cut where no sub-list can go on (the
        next item has another lead-in, or none), so that lists are joined as in one batch."""
        used: dict[str, int] = {}
        jobs = [(text, item, _criterion_id(item, number, used)) for number, item in enumerate(items)]
        start = 0
        for end in range(1, len(jobs) + 1):
            if end < len(jobs) and (end - start < _BATCH_ITEMS or not _list_may_end(items, end)):
                continue
            criteria = list(self._criteria(jobs[start:end], claims))
            yield from _join_lists(self._with_lead_in_windows(criteria, text), text)
            start = end

    def parse_one(
        self, text: str, *, section: Section = "inclusion", criterion_id: str = "1", claims: bool | None = None
    ) -> Criterion:
        """Parse one criterion on its own (a list label or bullet in front of it is recognised and left out)."""
        return next(iter(self.parse_many([(criterion_id, text, section)], claims=claims)))

    def parse_many(
        self,
        records: Iterable[tuple[str, str, Section]],
        batch_size: int = 512,
        *,
        workers: int = 1,
        claims: bool | None = None,
    ) -> Iterator[Criterion]:
        """Parse (id, text, section) records, one criterion each (JSONL input); reads ``batch_size`` records ahead.

        With ``workers`` > 1 the records are parsed in that many processes (:mod:`criteria_nlp.parallel`), the
        criteria still yielded in the records' order.
        """
        if workers > 1:
            from criteria_nlp.parallel import map_ordered, parse_chunk

            yield from map_ordered(parse_chunk, records, workers=workers, parser=self)
            return
        keep = self.keep_claims if claims is None else claims
        batch: list[tuple[str, _Item, str]] = []
        for criterion_id, raw, section in records:
            text = _clean(raw)
            segments = segment(text)
            if segments:
                item = _Item(section, segments[0].label, segments[0].start, segments[-1].end, None)
            else:
                item = _Item(section, None, 0, len(text), None)
            batch.append((text, item, criterion_id))
            if len(batch) >= batch_size:
                yield from self._criteria(batch, keep)
                batch = []
        if batch:
            yield from self._criteria(batch, keep)

    def _document_criteria(self, text: str, items: Sequence[_Item], claims: bool) -> list[Criterion]:
        used: dict[str, int] = {}
        jobs = [(text, item, _criterion_id(item, number, used)) for number, item in enumerate(items)]
        return _join_lists(self._with_lead_in_windows(list(self._criteria(jobs, claims)), text), text)

    def _with_lead_in_windows(self, criteria: list[Criterion], document: str) -> list[Criterion]:
        """ "Any of the following within 6 months before screening:": the lead-in's window reaches each item."""
        windows: dict[int, TemporalWindow | None] = {}
        needs: dict[int, LeadInRequirement | None] = {}
        result: list[Criterion] = []
        for criterion in criteria:
            lead_in = criterion.lead_in
            start = -1 if lead_in is None else document.rfind(lead_in, 0, criterion.span.start)
            if lead_in is None or start < 0 or has_format_chars(lead_in):
                result.append(criterion)
                continue
            if start not in windows:
                (doc,) = annotate(self.nlp, [lead_in])
                windows[start] = lead_in_window(parse_chunks(pieces_of(doc))[0], start)
                needs[start] = lead_in_requirement(lead_in, criterion.section, start, self._parse_lead_in)
            window = windows[start]
            expression = criterion.expression if window is None else with_window(criterion.expression, window)
            need = needs[start]
            if need is not None:  # "Patients aged 18 or older are eligible if:" (build/lead_ins.py)
                expression = with_requirement(expression, need, criterion.section)
            if expression is not criterion.expression:
                criterion = criterion.model_copy(update={"expression": expression, "status": status_of(expression)})
            result.append(criterion)
        return result

    def _parse_lead_in(self, text: str, section: Section) -> Criterion:
        return self.parse_one(text, section=section, claims=False)

    def _criteria(self, jobs: Sequence[tuple[str, _Item, str]], claims: bool) -> Iterator[Criterion]:
        """Criteria for (document text, item, id) jobs; lazily, one job at a time."""
        pieces = [text[item.start : item.end] for text, item, _ in jobs]
        refusals = [_refusal(piece) for piece in pieces]
        # which texts hold invisible format characters, asked once: they are removed before tokenising, and the
        # criterion is then parsed with its spans mapped back
        formatted = [
            refusal is None and has_format_chars(piece) for piece, refusal in zip(pieces, refusals, strict=True)
        ]
        # text that is not parsed is not tokenised either: spaCy's tokenizer is quadratic on long runs without spaces
        texts = (
            "" if refusal else strip_format(piece)[0] if format_chars else piece
            for piece, refusal, format_chars in zip(pieces, refusals, formatted, strict=True)
        )
        docs = annotate(self.nlp, texts)
        for (text, item, criterion_id), refusal, format_chars, doc in zip(jobs, refusals, formatted, docs, strict=True):
            yield self._criterion(text, item, criterion_id, doc, refusal, format_chars, [] if claims else None)

    def _criterion(
        self,
        text: str,
        item: _Item,
        criterion_id: str,
        doc: Doc,
        refusal: str | None,
        format_chars: bool,
        claims: list[Claim] | None,
    ) -> Criterion:
        """One criterion; its claims are gathered in ``claims`` (None: not asked for)."""
        span = span_at(item.start, item.end)
        diagnostics: list[Diagnostic] = []
        status: Status | None = None  # known from the check passes' walk of the expression
        if refusal is not None:
            expression: Node | None = Unparsed(span=span, text=text[item.start : item.end], reason=refusal)
            diagnostics.append(Diagnostic(code="too-long", severity="warning", message=refusal, span=span))
        else:
            if format_chars:
                read = self._without_format_chars(text, item, doc, diagnostics, claims)
            else:
                read = self._expression(text, item, span, doc, item.start, diagnostics, claims)
            expression, status = (None, None) if read is None else read
        if expression is None:  # nested beyond Python's recursion limit ("< 5 < 5 < 5 ..." a thousand times)
            reason = "criterion nested too deeply to be read; it is not parsed"
            expression = Unparsed(span=span, text=text[item.start : item.end], reason=reason)
            diagnostics[:] = [Diagnostic(code="too-long", severity="warning", message=reason, span=span)]
            claims = None
            status = None
        return Criterion(
            id=criterion_id,
            section=item.section,
            label=item.label,
            text=text[item.start : item.end],
            span=span,
            expression=expression,
            status=status or status_of(expression),
            lead_in=item.lead_in,
            diagnostics=tuple(diagnostics),
            claims=tuple(claims or ()),
        )

    def _without_format_chars(
        self, text: str, item: _Item, doc: Doc, diagnostics: list[Diagnostic], claims: list[Claim] | None
    ) -> tuple[Node, Status] | None:
        """Parse the criterion with its invisible format characters removed, then map every span back (the status
        stays: it depends only on the kinds of leaf)."""
        stripped, positions = strip_format(text[item.start : item.end], base=item.start)
        local: list[Diagnostic] = []
        local_claims: list[Claim] | None = [] if claims is not None else None
        read = self._expression(stripped, item, span_at(0, len(stripped)), doc, 0, local, local_claims)
        if read is None:
            return None
        expression, status = read
        diagnostics.extend(Diagnostic.model_validate(remap_spans(d.model_dump(), positions)) for d in local)
        if claims is not None and local_claims:
            claims.extend(Claim.model_validate(remap_spans(c.model_dump(), positions)) for c in local_claims)
        return _NODE.validate_python(remap_spans(expression.model_dump(), positions)), status

    def _expression(
        self,
        text: str,
        item: _Item,
        span: Span,
        doc: Doc,
        offset: int,
        diagnostics: list[Diagnostic],
        claims: list[Claim] | None,
    ) -> tuple[Node, Status] | None:
        """The checked expression of one criterion (``span`` in ``text``; ``offset``: where ``doc`` starts) and its
        status, its diagnostics and claims added to the lists; None when it nests beyond the recursion limit."""
        try:
            return self._checked(text, item, span, doc, offset, diagnostics, claims)
        except RecursionError:
            return None

    def _checked(
        self,
        text: str,
        item: _Item,
        span: Span,
        doc: Doc,
        offset: int,
        diagnostics: list[Diagnostic],
        claims: list[Claim] | None,
    ) -> tuple[Node, Status]:
        pieces = pieces_of(doc, offset=offset)
        chunks, skipped = parse_chunks(pieces)
        result = self.builder.build(chunks, item.section, span, text, pieces)
        expression = result.expression
        if claims is not None:
            claims.extend(result.claims())
        diagnostics.extend(result.diagnostics)
        for piece in skipped:
            diagnostics.append(
                Diagnostic(
                    code="syntax",
                    severity="warning",
                    message=f"{piece.text!r} does not fit the threshold grammar here",
                    span=piece.span,
                )
            )
        context = CheckContext(self.lexicon, text=text)
        expression = run_passes(expression, context)
        diagnostics.extend(context.diagnostics)
        return expression, context.status(expression)


_NODE: TypeAdapter[Node] = TypeAdapter(Node)


def _join_lists(criteria: list[Criterion], document: str) -> list[Criterion]:
    """The items of one sub-list become one criterion when their lead-in asks for other than the section's way of
    joining separate criteria (:func:`criteria_nlp.build.lead_ins.list_reading`).

    Separate inclusion criteria are all required and separate exclusion criteria each exclude; so "one of the
    following:" (or items ending in "or") joins inclusion items into ``any``, "all of the following:" joins
    exclusion items into ``all``, and "at least 2 of the following:" joins either into ``at_least``. Two sub-lists
    under the same words are two criteria.
    """
    joined: list[Criterion] = []
    position = 0
    while position < len(criteria):
        end = _list_end(criteria, position, document)
        group = criteria[position:end]
        reading = _group_reading(group)
        if reading is None or len(group) < 2:
            joined.extend(group)
        else:
            joined.append(_joined(group, reading, document))
        position = end
    return joined


def _list_may_end(items: Sequence[_Item], position: int) -> bool:
    """Whether no sub-list can run on from the item before ``position`` to the item at ``position`` (the items of a
    sub-list share their lead-in: see :func:`_list_end`)."""
    lead_in = items[position].lead_in
    return lead_in is None or lead_in != items[position - 1].lead_in


def _list_end(criteria: list[Criterion], position: int, document: str) -> int:
    """Where the sub-list starting at ``position`` ends: at an item with another lead-in, or after the lead-in's
    words are written again (a second list under the same words)."""
    lead_in = criteria[position].lead_in
    end = position + 1
    while end < len(criteria) and lead_in is not None and criteria[end].lead_in == lead_in:
        if document.find(lead_in, criteria[end - 1].span.end, criteria[end].span.start) >= 0:
            break
        end += 1
    return end


def _group_reading(group: list[Criterion]) -> ListReading | None:
    """How the group's items join when that differs from the section's joining of separate criteria."""
    first = group[0]
    if first.lead_in is None or first.section == "unknown":
        return None
    reading = list_reading(first.lead_in)
    if reading is None and any(ends_with_or(c.text) for c in group[:-1]):
        reading = ListReading("any")
    if reading is None or reading.count > len(group):
        return None
    if reading.join == ("all" if first.section == "inclusion" else "any"):
        return None
    return reading


def _joined(group: list[Criterion], reading: ListReading, document: str) -> Criterion:
    first = group[0]
    span = Span(start=group[0].span.start, end=group[-1].span.end)
    children = tuple(c.expression for c in group)
    expression: Node
    if reading.join == "at_least":
        expression = AtLeast(span=span, count=reading.count, children=children)
    elif reading.join == "any":
        expression = Any_(span=span, children=children)
    else:
        expression = All(span=span, children=children)
    return Criterion(
        id=first.id,
        section=first.section,
        label=first.label,
        text=span.slice(document),
        span=span,
        expression=expression,
        status=status_of(expression),
        lead_in=first.lead_in,
        diagnostics=tuple(d for c in group for d in c.diagnostics),
        claims=tuple(claim for c in group for claim in c.claims),
    )


def _criterion_id(item: _Item, number: int, used: dict[str, int]) -> str:
    """A unique id; ``used`` maps each id given to the next suffix to try for it as a base (20,000 items with
    one label cost linear time, not quadratic)."""
    base = f"{_SECTION_PREFIX[item.section]}-{item.label or number + 1}"
    candidate = base
    suffix = used.get(base, 2)
    while candidate in used:
        candidate = f"{base}-{suffix}"
        suffix += 1
    used[base] = max(used.get(base, 2), suffix)
    used.setdefault(candidate, 2)
    return candidate


def _pipeline_for(lexicon: Lexicon):  # type: ignore[no-untyped-def]
    from criteria_nlp.text.nlp import build_pipeline

    return build_pipeline(lexicon)


_DEFAULT: CriteriaParser | None = None


def default_parser() -> CriteriaParser:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = CriteriaParser()
    return _DEFAULT


def parse_criteria(text: str | bytes, *, source: str | None = None) -> CriteriaDocument:
    """Parse a protocol's eligibility text (sections, numbered or bulleted items) into a document."""
    return default_parser().parse(text, source=source)


def parse_criterion(text: str, *, section: Section = "inclusion", criterion_id: str = "1") -> Criterion:
    """Parse one criterion on its own."""
    return default_parser().parse_one(text, section=section, criterion_id=criterion_id)


__all__ = ["CriteriaParser", "Segment", "decode_text", "parse_criteria", "parse_criterion"]
