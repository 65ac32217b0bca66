"""One self-contained HTML page: inline CSS and no scripts, fonts or other network resources; the protocol text
with highlights, the per-criterion parse tree, the findings table and the score breakdown."""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence

from criteria_nlp import __version__
from criteria_nlp.ir import render_tree
from criteria_nlp.lint.model import SEVERITY_ORDER, Finding, LintedDocument
from criteria_nlp.lint.rules import RULES_BY_ID

_CSS = """
:root { --error: #b3261e; --warning: #9a6700; --info: #0b5cad; --ok: #1a7f37; --muted: #5f6368; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       margin: 0; color: #1f2328; background: #f6f8fa; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.5em; margin: 0 0 4px; } h2 { font-size: 1.2em; margin: 28px 0 10px; }
h3 { font-size: 1em; margin: 0; }
section.doc { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 20px; margin-bottom: 28px; }
.score { display: flex; gap: 24px; align-items: center; flex-wrap: wrap; }
.score .big { font-size: 2.6em; font-weight: 700; }
.score .big.good { color: var(--ok); }
.score .big.fair { color: var(--warning); }
.score .big.poor { color: var(--error); }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { background: #f0f3f6; }
table.breakdown { width: auto; }
table.breakdown td:last-child { text-align: right; font-variant-numeric: tabular-nums; }
pre.protocol { white-space: pre-wrap; word-wrap: break-word; background: #fbfbfc; border: 1px solid var(--line);
               border-radius: 6px; padding: 14px; font: 14px/1.7 ui-monospace, Menlo, Consolas, monospace; }
.hl { border-radius: 2px; }
.hl.sev-error { background: #ffd8d3; } .hl.sev-warning { background: #fff1c2; } .hl.sev-info { background: #dcecff; }
.unparsed { text-decoration: underline wavy var(--error); text-decoration-thickness: 1.5px;
             text-underline-offset: 3px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 0.8em; font-weight: 600; color: #fff; }
.badge.error { background: var(--error); }
.badge.warning { background: var(--warning); }
.badge.info { background: var(--info); }
.badge.computable { background: var(--ok); } .badge.partial { background: var(--warning); }
.badge.not_computable { background: var(--error); } .badge.not_decidable { background: var(--info); }
.criterion { border-top: 1px solid var(--line); padding: 10px 0; }
.criterion .text { margin: 4px 0; }
.criterion pre.tree { margin: 6px 0; padding: 8px 10px; background: #f6f8fa; border-radius: 6px; font-size: 0.85em; }
.criterion ul { margin: 4px 0 0 18px; padding: 0; }
.muted { color: var(--muted); } code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.95em; }
.legend span { margin-right: 14px; }
.suggestion { color: var(--ok); }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _score_class(score: float) -> str:
    return "good" if score >= 80 else "fair" if score >= 50 else "poor"


def _highlighted_text(item: LintedDocument, finding_ids: dict[int, str]) -> str:
    """The protocol text split at every span boundary; each piece carries the classes of the spans covering it."""
    text = item.document.text
    marks: list[tuple[int, int, str, str, str | None]] = []  # start, end, class, title, anchor id
    for index, finding in enumerate(item.report.findings):
        if finding.span.end > finding.span.start and finding.criterion is not None:
            marks.append(
                (
                    finding.span.start,
                    finding.span.end,
                    f"hl sev-{finding.severity}",
                    f"{finding.rule} {finding.name}: {finding.message}",
                    finding_ids[index],
                )
            )
    for criterion in item.report.criteria:
        for unparsed in criterion.unparsed:
            marks.append(
                (unparsed.span.start, unparsed.span.end, "unparsed", f"not understood: {unparsed.reason}", None)
            )
    boundaries = sorted({0, len(text), *(m[0] for m in marks), *(m[1] for m in marks)})
    pieces: list[str] = []
    placed: set[str] = set()
    for lo, hi in itertools.pairwise(boundaries):
        if hi <= lo:
            continue
        covering = [m for m in marks if m[0] <= lo and hi <= m[1]]
        chunk = _e(text[lo:hi])
        if not covering:
            pieces.append(chunk)
            continue
        classes: list[str] = []
        worst = min(
            (c for c in covering if c[2].startswith("hl")), key=lambda c: SEVERITY_ORDER[c[2][7:]], default=None
        )
        if worst is not None:
            classes.append(worst[2])
        if any(c[2] == "unparsed" for c in covering):
            classes.append("unparsed")
        anchors = [c[4] for c in covering if c[4] and c[4] not in placed and c[0] == lo]
        placed.update(a for a in anchors if a)
        anchor = f' id="{_e(anchors[0])}"' if anchors else ""
        title = " | ".join(dict.fromkeys(c[3] for c in covering))
        pieces.append(f'<span class="{_e(" ".join(classes))}"{anchor} title="{_e(title)}">{chunk}</span>')
    return "".join(pieces)


def _html_score(item: LintedDocument) -> list[str]:
    report, score = item.report, item.report.score
    parts = ['<div class="score">']
    parts.append(
        f'<div><div class="big {_score_class(score.score)}" data-score="{score.score:g}">{score.score:g}</div>'
        '<div class="muted">machine-readability score / 100</div></div>'
    )
    rows = [
        ("Criteria", score.criteria),
        ("Computable", score.computable),
        ("Partial", score.partial),
        ("Not computable", score.not_computable),
        ("Not decidable by data (not scored)", score.not_decidable),
        ("Readability (status only)", f"{score.readability:g}"),
        ("Penalty (ambiguity, logic, units)", f"−{score.penalty:g}"),
    ]
    parts.append('<table class="breakdown">')
    parts.extend(f"<tr><td>{_e(label)}</td><td>{_e(value)}</td></tr>" for label, value in rows)
    parts.append("</table>")
    counts = report.counts
    parts.append(
        f'<div><span class="badge error">{counts.error} errors</span> '
        f'<span class="badge warning">{counts.warning} warnings</span> '
        f'<span class="badge info">{counts.info} info</span></div>'
    )
    parts.append("</div>")
    return parts


def _html_findings(item: LintedDocument, finding_ids: dict[int, str]) -> list[str]:
    findings = item.report.findings
    if not findings:
        return ['<p class="muted">No findings.</p>']
    parts = [
        '<table class="findings"><thead><tr><th>#</th><th>Severity</th><th>Rule</th><th>Criterion</th>'
        "<th>Line:col</th><th>Text</th><th>Message</th></tr></thead><tbody>"
    ]
    for index, finding in enumerate(findings):
        suggestion = f'<div class="suggestion">→ {_e(finding.suggestion)}</div>' if finding.suggestion else ""
        parts.append(
            f'<tr class="finding" data-rule="{_e(finding.rule)}" data-severity="{_e(finding.severity)}">'
            f'<td><a href="#{_e(finding_ids[index])}">{index + 1}</a></td>'
            f'<td><span class="badge {_e(finding.severity)}">{_e(finding.severity)}</span></td>'
            f"<td><code>{_e(finding.rule)}</code> {_e(finding.name)}</td>"
            f"<td>{_e(finding.criterion or '—')}</td>"
            f"<td>{finding.region.start_line}:{finding.region.start_column}</td>"
            f"<td><code>{_e(finding.text[:80])}</code></td>"
            f"<td>{_e(finding.message)}{suggestion}</td></tr>"
        )
    parts.append("</tbody></table>")
    return parts


def _html_criteria(item: LintedDocument, number: int) -> list[str]:
    report = item.report
    parts: list[str] = []
    by_criterion: dict[str, list[Finding]] = {}
    for finding in report.findings:
        if finding.criterion:
            by_criterion.setdefault(finding.criterion, []).append(finding)
    for criterion_report, criterion in zip(report.criteria, item.document.criteria, strict=True):
        points = "not scored" if criterion_report.points is None else f"{criterion_report.points:g} point(s)"
        parts.append(
            f'<div class="criterion" id="{_e(f"d{number}-{criterion.id}")}" data-criterion="{_e(criterion.id)}">'
        )
        parts.append(
            f"<h3>{_e(criterion.section)} {_e(criterion.label or criterion.id)} "
            f'<span class="badge {_e(criterion_report.status)}">{_e(criterion_report.status.replace("_", " "))}</span> '
            f'<span class="muted">{_e(points)}</span></h3>'
        )
        parts.append(f'<div class="text">{_e(criterion.text)}</div>')
        tree = "\n".join(render_tree(criterion.expression))
        parts.append(f'<pre class="tree">{_e(tree)}</pre>')
        notes = [
            f"<li>not understood: <code>{_e(u.text)}</code> — {_e(u.reason)}</li>" for u in criterion_report.unparsed
        ]
        notes += [
            f'<li><span class="badge {_e(f.severity)}">{_e(f.rule)}</span> {_e(f.message)}</li>'
            for f in by_criterion.get(criterion.id, [])
        ]
        if notes:
            parts.append("<ul>" + "".join(notes) + "</ul>")
        parts.append("</div>")
    return parts


def _html_document(item: LintedDocument, number: int) -> str:
    finding_ids = {index: f"d{number}-f{index + 1}" for index in range(len(item.report.findings))}
    parts = [f'<section class="doc" id="doc-{number}">', f"<h1>{_e(item.uri)}</h1>"]
    parts += _html_score(item)
    parts.append("<h2>Protocol text</h2>")
    parts.append(
        '<p class="legend muted"><span class="hl sev-error">error</span><span class="hl sev-warning">warning</span>'
        '<span class="hl sev-info">info</span><span class="unparsed">not understood</span></p>'
    )
    parts.append(f'<pre class="protocol">{_highlighted_text(item, finding_ids)}</pre>')
    parts.append("<h2>Findings</h2>")
    parts += _html_findings(item, finding_ids)
    parts.append("<h2>Criteria and parse trees</h2>")
    parts += _html_criteria(item, number)
    parts.append("</section>")
    return "\n".join(parts)


def render_html(items: Sequence[LintedDocument], *, title: str = "criteria-nlp lint report") -> str:
    fired = sorted({f.rule for item in items for f in item.report.findings})
    rules_rows = "".join(
        f"<tr><td><code>{_e(r.id)}</code></td><td>{_e(r.name)}</td><td>{_e(r.severity)}</td>"
        f"<td>{_e(r.description)}</td></tr>"
        for r in (RULES_BY_ID[rule_id] for rule_id in fired)
    )
    body = "\n".join(_html_document(item, number) for number, item in enumerate(items, start=1))
    rules_section = (
        f'<section class="doc"><h2>Rules that fired</h2><table><thead><tr><th>Id</th><th>Name</th><th>Severity</th>'
        f"<th>Description</th></tr></thead><tbody>{rules_rows}</tbody></table></section>"
        if fired
        else ""
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>\n{body}\n{rules_section}\n"
        f'<p class="muted">Generated by criteria-nlp {_e(__version__)}.</p></main></body></html>\n'
    )


__all__ = ["render_html"]
