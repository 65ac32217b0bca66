"""A trace as a self-contained HTML page or fragment (inline CSS, no scripts)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from criteria_nlp.explain.trace import TraceNode

_HTML_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
ul.trace { list-style: none; padding-left: 1.2em; border-left: 1px solid #ddd; }
.outcome { font-weight: bold; font-family: monospace; padding: 0 0.3em; border-radius: 3px; }
.true { background: #d7f5dd; color: #135c22; } .false { background: #f9d8d8; color: #8a1c1c; }
.unknown { background: #fbefc7; color: #6b5200; }
.label { font-family: monospace; } .sentence { color: #444; margin: 0.1em 0 0.3em 0; }
.evidence, .missing { font-size: 0.9em; color: #555; } .assumed { font-style: italic; color: #a05a00; }
"""


def render_html(
    trace: TraceNode | Sequence[TraceNode], *, title: str = "Screening explanation", fragment: bool = False
) -> str:
    """A self-contained HTML page (inline CSS, no scripts); every piece of text is HTML-escaped."""
    nodes = [trace] if isinstance(trace, TraceNode) else list(trace)
    body = "".join(_html_list([node]) for node in nodes)
    if fragment:
        return body
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_HTML_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def _html_list(nodes: Sequence[TraceNode]) -> str:
    items = []
    for node in nodes:
        outcome = node.outcome.value
        parts = [
            f'<span class="outcome {outcome}">{html.escape(outcome.upper())}</span> ',
            f'<span class="label">{html.escape(node.label)}</span>',
            f'<div class="sentence">{html.escape(node.sentence)}',
            ' <span class="assumed">(assumed)</span>' if node.assumed else "",
            "</div>",
        ]
        for item in node.evidence:
            parts.append(f'<div class="evidence">evidence: {html.escape(item.describe())}</div>')
        for missing in node.missing:
            parts.append(f'<div class="missing">missing: {html.escape(missing)}</div>')
        if node.children:
            parts.append(_html_list(node.children))
        items.append("<li>" + "".join(parts) + "</li>")
    return '<ul class="trace">' + "".join(items) + "</ul>"
