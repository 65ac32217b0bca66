"""The terminal report (rich): colour and underlined unparsed spans on a terminal, ``~~~`` markers under the
unparsed spans otherwise."""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from criteria_nlp.lint.model import Finding, LintedDocument

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_STATUS_STYLE = {"computable": "green", "partial": "yellow", "not_computable": "red", "not_decidable": "blue"}


def _collapse(text: str) -> tuple[str, list[int]]:
    """Whitespace runs become one space; the list maps each original offset to its display offset."""
    shown: list[str] = []
    mapping: list[int] = []
    previous_space = False
    for ch in text:
        if ch.isspace():
            if not previous_space:
                shown.append(" ")
            previous_space = True
        else:
            shown.append(ch)
            previous_space = False
        mapping.append(len(shown) - 1)
    mapping.append(len(shown))
    return "".join(shown), mapping


def _criterion_line(text: str, start: int, spans: Sequence[tuple[int, int]]) -> tuple[Text, str]:
    shown, mapping = _collapse(text)
    line = Text(shown)
    markers = [" "] * len(shown)
    for span_start, span_end in spans:
        lo = mapping[max(0, span_start - start)]
        hi = mapping[min(len(text), span_end - start)]
        if hi <= lo:
            continue
        line.stylize("underline red", lo, hi)
        for k in range(lo, min(hi, len(markers))):
            markers[k] = "~"
    return line, "".join(markers).rstrip()


def render_text(items: Sequence[LintedDocument], *, color: bool | None = None, width: int | None = None) -> str:
    """The terminal report; ``color`` None means "when writing to a terminal" (decided by the caller's console)."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=bool(color),
        no_color=not color,
        color_system="standard" if color else None,
        width=width or 120,
        highlight=False,
        soft_wrap=True,
    )
    for number, item in enumerate(items):
        if number:
            console.print()
        _text_document(console, item, underline=bool(color))
    if len(items) > 1:
        console.print()
        scores = ", ".join(f"{i.uri} {i.report.score.score:g}" for i in items)
        console.print(f"{len(items)} documents: {scores}")
    return buffer.getvalue()


def _text_document(console: Console, item: LintedDocument, *, underline: bool) -> None:
    report, score = item.report, item.report.score
    header = Text()
    header.append(item.uri, style="bold")
    header.append(f"  score {score.score:g}/100", style="bold")
    header.append(f"  (readability {score.readability:g}, penalty {score.penalty:g})")
    console.print(header)
    console.print(
        f"  {score.decidable} decidable criteria: {score.computable} computable, {score.partial} partial, "
        f"{score.not_computable} not computable; {score.not_decidable} not decidable by data (not scored)"
    )
    console.print(
        f"  {report.counts.error} errors, {report.counts.warning} warnings, {report.counts.info} info",
        style="dim" if not (report.counts.error or report.counts.warning) else None,
    )
    by_criterion: dict[str | None, list[Finding]] = {}
    for finding in report.findings:
        by_criterion.setdefault(finding.criterion, []).append(finding)
    section = None
    for criterion in report.criteria:
        if criterion.section != section:
            section = criterion.section
            console.print(Text(f"\n{section.capitalize()} criteria", style="bold underline"))
        head = Text("  ")
        head.append(f"{criterion.id:<9}", style="bold")
        head.append(f"{criterion.status:<15}", style=_STATUS_STYLE[criterion.status])
        line, markers = _criterion_line(
            criterion.text, criterion.span.start, [(u.span.start, u.span.end) for u in criterion.unparsed]
        )
        if not underline:
            line = Text(line.plain)
        head.append_text(line)
        console.print(head)
        indent = " " * (2 + 9 + 15)
        if markers.strip() and not underline:
            console.print(indent + markers)
        for finding in by_criterion.get(criterion.id, []):
            _text_finding(console, finding, indent)
    for finding in by_criterion.get(None, []):
        _text_finding(console, finding, "  ")


def _text_finding(console: Console, finding: Finding, indent: str) -> None:
    line = Text(indent)
    line.append(f"{finding.severity:<8}", style=_SEVERITY_STYLE[finding.severity])
    line.append(f"{finding.rule} {finding.name}", style="bold")
    line.append(f"  {finding.region.start_line}:{finding.region.start_column}  {finding.message}")
    console.print(line)
    if finding.suggestion:
        console.print(Text(f"{indent}        → {finding.suggestion}", style="green"))


__all__ = ["render_text"]
